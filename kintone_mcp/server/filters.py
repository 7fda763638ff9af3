"""The structured ``filter`` argument: conditions a model fills in as JSON, turned into a query by us.

A model that writes Kintone query text has to get quoting, escaping, operator rules and option labels right.
With a filter it names a field, an operator and a value; we escape the value, pick quoted or bare form by the
field's type, recognise functions such as ``TODAY()``, and check the result against the app's fields.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Discriminator, Field, Tag

from kintone_mcp.query import parse
from kintone_mcp.query.ast import And, Condition, Expr, FieldRef, FuncCall, NumberLit, Op, Or, Query, StringLit, Value
from kintone_mcp.query.errors import QuerySyntaxError, format_expected
from kintone_mcp.query.lexer import is_control
from kintone_mcp.query.operators import ALL_FUNCTIONS, allowed_functions
from kintone_mcp.server.fieldinfo import Properties, field_type
from kintone_mcp.server.query_check import QueryRejected, check

Scalar = str | int | float

_NUMERIC_TYPES = frozenset({"NUMBER", "CALC", "RECORD_NUMBER", "__ID__", "__REVISION__"})
_SYSTEM = {"$id": "__ID__", "$revision": "__REVISION__"}
_FUNC_SHAPE = re.compile(r"^\s*([A-Za-z_]+)\s*\((.*)\)\s*$", re.DOTALL)
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$")
#: How the date functions are spelt, for error messages.
_DATE_EXAMPLES = "TODAY(), THIS_WEEK(), THIS_MONTH(), LAST_MONTH(), THIS_YEAR(), FROM_TODAY(-30, DAYS)"


class FilterCondition(BaseModel):
    """One condition: field, operator, value."""

    field: Annotated[str, Field(description="Field code, or $id.")]
    op: Annotated[
        Literal["=", "!=", ">", "<", ">=", "<=", "in", "not in", "like", "not like", "is empty", "is not empty"],
        Field(description="Operator; get_app's `operators` lists those of each field type."),
    ] = "="
    value: Annotated[
        Scalar | list[Scalar] | None,
        Field(
            description='A value; a list for in/not in; none for is empty. Dates "YYYY-MM-DD" or TODAY(), '
            "THIS_WEEK(), THIS_MONTH(), LAST_MONTH(), THIS_YEAR(), FROM_TODAY(-7, DAYS); users LOGINUSER(). "
            "A table column matches a record when any row does."
        ),
    ] = None


def _kind(value: Any) -> str:
    """Which of the two shapes an item is, so that a mistake is reported against that shape only."""
    return "group" if isinstance(value, dict) and "conditions" in value else "condition"


class Filter(BaseModel):
    """Conditions joined by and (match all) or or (match any); groups nest."""

    match: Literal["all", "any"] = "all"
    conditions: list[
        Annotated[
            Annotated[FilterCondition, Tag("condition")] | Annotated[Filter, Tag("group")],
            Discriminator(_kind),
        ]
    ] = Field(min_length=1)


def compile_filter(flt: Filter, properties: Properties) -> Expr:
    """The filter as a query expression, checked against ``properties``. Raises QueryRejected."""
    problems: list[str] = []
    expr = _group(flt, properties, problems)
    if problems:
        raise QueryRejected(problems)
    # The callers check the whole query they send (this filter joined with theirs) against the app lists.
    check(Query(where=expr), properties, None)
    return expr


def _group(flt: Filter, properties: Properties, problems: list[str]) -> Expr:
    items: list[Expr] = []
    for c in flt.conditions:
        items.append(_group(c, properties, problems) if isinstance(c, Filter) else _cond(c, properties, problems))
    if len(items) == 1:
        return items[0]
    return And(tuple(items)) if flt.match == "all" else Or(tuple(items))


def _cond(c: FilterCondition, properties: Properties, problems: list[str]) -> Expr:
    op = Op(c.op)
    found = field_type(properties, c.field) if c.field not in _SYSTEM else (_SYSTEM[c.field], None)
    ftype = found[0] if found else ""
    ref = FieldRef(c.field)
    if op in (Op.IS_EMPTY, Op.IS_NOT_EMPTY):
        return Condition(ref, op, ())
    raw = c.value
    where = f"{c.field} {op.value}"
    if op in (Op.IN, Op.NOT_IN):
        values = raw if isinstance(raw, list) else ([] if raw is None else [raw])
        if not values:
            problems.append(f'{where}: give a list of values, e.g. ["A", "B"]')
        return Condition(ref, op, tuple(_value(v, ftype, where, problems) for v in values))
    if isinstance(raw, list):
        if len(raw) != 1:
            problems.append(f"{where}: takes one value, got a list (use in / not in for several)")
            return Condition(ref, op, (StringLit(""),))
        raw = raw[0]
    if raw is None:
        problems.append(f"{where}: needs a value (use is empty to match empty fields)")
        return Condition(ref, op, (StringLit(""),))
    return Condition(ref, op, (_value(raw, ftype, where, problems),))


def _function(text: str, where: str, problems: list[str]) -> Value | None:
    """A function value, parsed by the query parser so that its arguments are checked as in a query."""
    try:
        parsed = parse(f"f in ({text.strip()})").where
    except QuerySyntaxError as exc:
        problems.append(f"{where} {text.strip()}: {exc.detail or 'expected ' + format_expected(exc.expected)}")
        return None
    if isinstance(parsed, Condition) and len(parsed.values) == 1 and isinstance(parsed.values[0], FuncCall):
        return parsed.values[0]
    problems.append(f"{where} {text.strip()!r}: give one function per value, e.g. THIS_MONTH()")
    return None


def _value(raw: Scalar, ftype: str, where: str, problems: list[str]) -> Value:
    functions = allowed_functions(ftype)
    if isinstance(raw, str):
        bad = next((ch for ch in raw if is_control(ch) and ch not in "\n\t"), None)
        if bad is not None:
            # The query language has no way to write it (the printer would refuse); say so instead of failing.
            problems.append(
                f"{where}: the value contains the control character U+{ord(bad):04X}, which a Kintone query cannot "
                "hold; remove it (newlines and tabs are fine)"
            )
            return StringLit("")
        m = _FUNC_SHAPE.match(raw)
        # On a field that takes functions, anything shaped like a call is meant as one (THIS_QUARTER() included,
        # which the parser then names as unknown); elsewhere only real function names are, so text such as
        # "f(x)" can still be searched for.
        if m and (m.group(1).upper() in ALL_FUNCTIONS or functions):
            return _function(raw, where, problems) or StringLit(raw)
        if ftype == "DATE" and raw.strip() and not _is_date(raw.strip()):
            problems.append(f'{where}: {raw!r} is not a date; use "YYYY-MM-DD" or a function: {_DATE_EXAMPLES}')
        elif ftype == "TIME" and raw.strip() and not _TIME_RE.match(raw.strip()):
            problems.append(f'{where}: {raw!r} is not a time of day; use "HH:MM", e.g. "09:30"')
    if ftype in _NUMERIC_TYPES and not isinstance(raw, bool):
        try:
            number = Decimal(repr(raw) if isinstance(raw, float) else str(raw).strip())
        except InvalidOperation:
            number = None
        if number is not None and number.is_finite():
            # Plain positional text: Kintone's query language has no exponent notation.
            return NumberLit(
                str(raw).strip() if isinstance(raw, int | str) and "e" not in str(raw).lower() else format(number, "f")
            )
    return StringLit(str(raw))


def and_(*exprs: Expr | None) -> Expr | None:
    """Conjunction of the given expressions, skipping None; flattens nested ands."""
    items: list[Expr] = []
    for e in exprs:
        if e is None:
            continue
        items.extend(e.items if isinstance(e, And) else (e,))
    if not items:
        return None
    return items[0] if len(items) == 1 else And(tuple(items))


def _is_date(text: str) -> bool:
    if not _DATE_RE.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


_ENTITY_KIND = {
    "USER_SELECT": "user", "CREATOR": "user", "MODIFIER": "user", "STATUS_ASSIGNEE": "user",
    "ORGANIZATION_SELECT": "organization", "GROUP_SELECT": "group",
}  # fmt: skip


def empty_result_hint(where: Expr | None, properties: Properties) -> str | None:
    """For a query that matched nothing: a user, organization or group condition given a literal value that may
    be a display name, where Kintone matches codes only. A silent zero there reads as "none" to a model."""
    found: list[str] = []

    def walk(expr: Expr | None) -> None:
        if isinstance(expr, And | Or):
            for item in expr.items:
                walk(item)
        elif isinstance(expr, Condition):
            ftype = (field_type(properties, expr.field.code) or ("", None))[0]
            values = [v.value for v in expr.values if isinstance(v, StringLit) and v.value]
            if ftype in _ENTITY_KIND and values:
                found.append(f"{expr.field.code} ({_ENTITY_KIND[ftype]}) {', '.join(repr(v) for v in values[:5])}")

    walk(where)
    if not found:
        return None
    return (
        f"Nothing matched. User, organization and group fields match codes, not display names: check "
        f'{"; ".join(found)} (list_users finds codes, e.g. search="sato").'
    )
