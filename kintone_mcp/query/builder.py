"""Builds queries from Python values, so that no caller ever pastes a value into query text by hand.

Every value goes into the tree as a literal and is escaped by the printer; every field code is checked to be
one field-code token. A value such as ``x" or $id > "0`` therefore stays one string, and a "field code" such as
``Title = "" or $id`` is refused instead of becoming syntax.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from decimal import Decimal

from kintone_mcp.query.ast import (
    And,
    Condition,
    Expr,
    FieldRef,
    FuncCall,
    NumberLit,
    Op,
    Or,
    OrderKey,
    Query,
    StringLit,
    Value,
)
from kintone_mcp.query.errors import QuerySyntaxError
from kintone_mcp.query.lexer import Kind, Lexer, is_control
from kintone_mcp.query.parser import check_function
from kintone_mcp.query.printer import to_text

#: What a condition value may be given as.
ValueLike = str | int | float | Decimal | date | datetime | time | StringLit | NumberLit | FuncCall

_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def field_ref(code: str) -> FieldRef:
    """A :class:`FieldRef` for ``code``, refusing anything that is not exactly one field code."""
    if not isinstance(code, str):
        raise TypeError(f"a field code must be a str, not {type(code).__name__}")
    problem = None
    if not code or code != code.strip():
        problem = "it is empty or has surrounding spaces"
    else:
        try:
            tok = Lexer(code).token_at(0)
        except QuerySyntaxError:
            tok = None
        if tok is None or tok.kind is not Kind.WORD or tok.end != len(code):
            problem = "it contains characters other than letters, digits, '_' (and a leading '$')"
        elif code.count(".") > 1:
            problem = "it has more than one dot (only RelatedRecords.Field is allowed)"
    if problem is not None:
        raise ValueError(f"{code[:40]!r} is not a valid field code: {problem}; use the field code, not the label")
    return FieldRef(code)


def func(name: str, *args: str | int) -> FuncCall:
    """A function call value such as ``func("FROM_TODAY", -7, "DAYS")``; checked against the function's signature."""
    upper = name.upper()
    texts = tuple(str(a) if isinstance(a, int) and not isinstance(a, bool) else str(a).upper() for a in args)
    problem = check_function(upper, texts)
    if problem is not None:
        raise ValueError(problem)
    return FuncCall(upper, texts)


def value(v: ValueLike) -> Value:
    """The literal for a Python value.

    ``str`` → string; ``int``/``float``/``Decimal`` → number (plain decimal notation, never exponent form);
    ``datetime`` (must carry a time zone) → ``"YYYY-MM-DDTHH:MM:SSZ"`` in UTC; ``date`` → ``"YYYY-MM-DD"``;
    ``time`` → ``"HH:MM"``. A :class:`FuncCall` or literal node is taken as it is.
    """
    if isinstance(v, StringLit | NumberLit | FuncCall):
        return v
    if isinstance(v, bool):
        raise TypeError('a query has no boolean values; compare with the text the field holds, e.g. "yes"')
    if isinstance(v, str):
        bad = next((ch for ch in v if is_control(ch) and ch not in "\n\t"), None)
        if bad is not None:
            raise ValueError(
                f"a query string cannot contain the control character U+{ord(bad):04X}; only newline and tab "
                "can be written"
            )
        return StringLit(v)
    if isinstance(v, int):
        return NumberLit(str(v))
    if isinstance(v, float | Decimal):
        # repr() is the shortest text that reads back as the same float, so no digits are invented.
        number = Decimal(repr(v)) if isinstance(v, float) else v
        if not number.is_finite():
            raise ValueError(f"{v} is not a finite number and has no query form")
        text = format(number, "f")
        if not _NUMBER.fullmatch(text):  # pragma: no cover - format(..., "f") of a finite Decimal always matches
            raise ValueError(f"{v!r} has no plain decimal form")
        return NumberLit(text)
    if isinstance(v, datetime):
        if v.tzinfo is None or v.utcoffset() is None:
            raise ValueError("a datetime without a time zone is ambiguous; attach one (e.g. datetime(..., tzinfo=UTC))")
        return StringLit(v.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    if isinstance(v, date):
        return StringLit(v.isoformat())
    if isinstance(v, time):
        if v.second or v.microsecond:
            raise ValueError("TIME fields hold hours and minutes; pass a time with seconds = 0")
        return StringLit(v.strftime("%H:%M"))
    raise TypeError(f"cannot use a {type(v).__name__} as a query value")


def _op(op: str | Op) -> Op:
    if isinstance(op, Op):
        return op
    try:
        return Op(" ".join(op.lower().split()))
    except ValueError:
        known = ", ".join(o.value for o in Op)
        raise ValueError(f"unknown operator {op[:20]!r}; operators are: {known}") from None


def cond(field: str, op: str | Op, val: ValueLike | Iterable[ValueLike] | None = None) -> Condition:
    """``cond("Title", "=", "x")``, ``cond("Stage", "in", ["A", "B"])``, ``cond("Notes", "is empty")``."""
    ref = field_ref(field)
    operator = _op(op)
    if operator in (Op.IS_EMPTY, Op.IS_NOT_EMPTY):
        if val is not None:
            raise ValueError(f"'{operator.value}' takes no value")
        return Condition(ref, operator)
    if operator in (Op.IN, Op.NOT_IN):
        if val is None or isinstance(val, str | StringLit | NumberLit | FuncCall) or not isinstance(val, Iterable):
            raise TypeError(f'\'{operator.value}\' takes a list of values, e.g. ["A", "B"]')
        values = tuple(value(v) for v in val)
        if not values:
            raise ValueError(f"'{operator.value}' needs at least one value")
        return Condition(ref, operator, values)
    if val is None:
        raise ValueError(f"'{operator.value}' needs a value")
    if not isinstance(val, ValueLike):
        raise TypeError(f"'{operator.value}' takes one value, not a {type(val).__name__}")
    return Condition(ref, operator, (value(val),))


def eq(field: str, val: ValueLike) -> Condition:
    return cond(field, Op.EQ, val)


def ne(field: str, val: ValueLike) -> Condition:
    return cond(field, Op.NE, val)


def gt(field: str, val: ValueLike) -> Condition:
    return cond(field, Op.GT, val)


def lt(field: str, val: ValueLike) -> Condition:
    return cond(field, Op.LT, val)


def ge(field: str, val: ValueLike) -> Condition:
    return cond(field, Op.GE, val)


def le(field: str, val: ValueLike) -> Condition:
    return cond(field, Op.LE, val)


def in_(field: str, values: Iterable[ValueLike]) -> Condition:
    return cond(field, Op.IN, values)


def not_in(field: str, values: Iterable[ValueLike]) -> Condition:
    return cond(field, Op.NOT_IN, values)


def like(field: str, text: str) -> Condition:
    return cond(field, Op.LIKE, text)


def not_like(field: str, text: str) -> Condition:
    return cond(field, Op.NOT_LIKE, text)


def is_empty(field: str) -> Condition:
    return cond(field, Op.IS_EMPTY)


def is_not_empty(field: str) -> Condition:
    return cond(field, Op.IS_NOT_EMPTY)


def _group(kind: type[And] | type[Or], items: tuple[Expr, ...]) -> Expr:
    if not items:
        raise ValueError(f"{kind.__name__.lower()}_() needs at least one condition")
    flat: list[Expr] = []
    for item in items:
        if not isinstance(item, Condition | And | Or):
            raise TypeError(f"{kind.__name__.lower()}_() takes conditions, not {type(item).__name__}")
        flat.extend(item.items if isinstance(item, kind) else (item,))
    return flat[0] if len(flat) == 1 else kind(tuple(flat))


def and_(*items: Expr) -> Expr:
    """All of ``items``; a single item is returned as it is, nested ``and`` groups are merged."""
    return _group(And, items)


def or_(*items: Expr) -> Expr:
    """Any of ``items``; a single item is returned as it is, nested ``or`` groups are merged."""
    return _group(Or, items)


def _order_key(key: str | tuple[str, str]) -> OrderKey:
    if isinstance(key, str):
        return OrderKey(field_ref(key))
    code, direction = key
    d = direction.lower()
    if d not in ("asc", "desc"):
        raise ValueError(f"sort direction must be 'asc' or 'desc', not {direction[:20]!r}")
    return OrderKey(field_ref(code), d == "desc")


def _count(name: str, n: int | None) -> int | None:
    if n is None:
        return None
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"{name} must be a whole number, 0 or more")
    return n


def make_query(
    where: Expr | None = None,
    order_by: Iterable[str | tuple[str, str]] = (),
    limit: int | None = None,
    offset: int | None = None,
) -> Query:
    """A :class:`Query` tree; see :func:`build_query`."""
    if where is not None and not isinstance(where, Condition | And | Or):
        raise TypeError(f"where must be a condition built with cond()/and_()/or_(), not {type(where).__name__}")
    return Query(
        where=where,
        order_by=tuple(_order_key(k) for k in order_by),
        limit=_count("limit", limit),
        offset=_count("offset", offset),
    )


def build_query(
    where: Expr | None = None,
    order_by: Iterable[str | tuple[str, str]] = (),
    limit: int | None = None,
    offset: int | None = None,
) -> str:
    """Query text from a condition tree and options.

    ``order_by`` items are a field code (ascending) or ``(code, "asc" | "desc")``. Limits of the server
    (limit ≤ 500, offset ≤ 10,000) are not applied here.
    """
    return to_text(make_query(where, order_by, limit, offset))
