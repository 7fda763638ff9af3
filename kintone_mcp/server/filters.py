"""The structured ``filter`` argument: conditions a model fills in as JSON, turned into a query by us.

A model that writes Kintone query text has to get quoting, escaping, operator rules and option labels right.
With a filter it names a field, an operator and a value; we escape the value, pick quoted or bare form by the
field's type, recognise functions such as ``TODAY()``, and check the result against the app's fields.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, Discriminator, Field, Tag

from kintone_mcp.query import parse
from kintone_mcp.query.ast import And, Condition, Expr, FieldRef, FuncCall, NumberLit, Op, Or, Query, StringLit, Value
from kintone_mcp.query.errors import QuerySyntaxError, format_expected
from kintone_mcp.query.lexer import is_control
from kintone_mcp.query.operators import ALL_FUNCTIONS, allowed_functions
from kintone_mcp.server.fieldinfo import Properties, field_type
from kintone_mcp.server.query_check import QueryRejected, check

if TYPE_CHECKING:
    from kintone_mcp.server.state import ServerState

Scalar = str | int | float

#: Types whose emptiness is asked as `= ""`, which Kintone documents, rather than `is empty`, which it does not.
_EMPTY_AS_BLANK = frozenset({"SINGLE_LINE_TEXT", "LINK"})
_NUMERIC_TYPES = frozenset({"NUMBER", "CALC", "RECORD_NUMBER", "__ID__", "__REVISION__"})
_SYSTEM = {"$id": "__ID__", "$revision": "__REVISION__"}
_FUNC_SHAPE = re.compile(r"^\s*([A-Za-z_]+)\s*\((.*)\)\s*$", re.DOTALL)
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$")
#: How the date functions are spelt, for error messages.
_DATE_EXAMPLES = "TODAY(), THIS_WEEK(), THIS_MONTH(), LAST_MONTH(), THIS_YEAR(), FROM_TODAY(-30, DAYS)"


# One condition: field, operator, value. Described once, in get_records' description, which the other tools that take
# a filter point to: a docstring or field descriptions here would be advertised again by every one of them.
class FilterCondition(BaseModel):
    field: str
    op: Literal["=", "!=", ">", "<", ">=", "<=", "in", "not in", "like", "not like", "is empty", "is not empty"] = "="
    value: Scalar | list[Scalar] | None = None


def _kind(value: Any) -> str:
    """Which of the two shapes an item is, so that a mistake is reported against that shape only."""
    return "group" if isinstance(value, dict) and "conditions" in value else "condition"


class Filter(BaseModel):
    # Not a docstring, for the same reason as FilterCondition's comment.

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
        if ftype in _EMPTY_AS_BLANK:
            # Kintone's table lists no `is empty` for these types (an emulator measured GAIA_IQ03 on text), while
            # `= ""` is documented: ask that, so "is empty" means what it says whatever Kintone decides.
            if found and found[1] is not None:  # a table column takes no = / != (§6.2)
                return Condition(ref, Op.IN if op is Op.IS_EMPTY else Op.NOT_IN, (StringLit(""),))
            return Condition(ref, Op.EQ if op is Op.IS_EMPTY else Op.NE, (StringLit(""),))
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


async def empty_result_hint(state: ServerState, where: Expr | None, properties: Properties) -> str | None:
    """For a query that matched nothing, what in it may be the reason, checked rather than guessed:

    - a user, organization or group condition on a code that does not exist (Kintone matches codes only, so a
      display name matches nothing). Codes that exist get no hint: a valid code blamed for an empty answer sends
      a model after the wrong condition. When the codes cannot be checked (no User API access), it says so.
    """
    entities: list[tuple[str, str, list[str]]] = []

    def walk(expr: Expr | None) -> None:
        if isinstance(expr, And | Or):
            for item in expr.items:
                walk(item)
        elif isinstance(expr, Condition) and expr.op in _MATCHING_OPS:
            ftype = (field_type(properties, expr.field.code) or ("", None))[0]
            values = [v.value for v in expr.values if isinstance(v, StringLit) and v.value]
            if ftype in _ENTITY_KIND and values:
                entities.append((expr.field.code, _ENTITY_KIND[ftype], values))

    walk(where)
    hint = await _entity_hint(state, entities)
    return f"Nothing matched. {hint}" if hint else None


#: Conditions that match a value (an unknown value makes them match nothing); `not in` and `!=` match everything then.
_MATCHING_OPS = frozenset({Op.EQ, Op.IN})
#: The User API answers at most this many codes per call.
_CODES_PER_CALL = 100


async def _entity_hint(state: ServerState, entities: list[tuple[str, str, list[str]]]) -> str | None:
    from kintone_mcp.client.errors import KintoneError  # loaded when a call needs it (tests/server/test_startup.py)

    if not entities:
        return None
    wanted: dict[str, set[str]] = {}
    for _, kind, values in entities:
        wanted.setdefault(kind, set()).update(values)
    unknown: dict[str, set[str]] = {}
    try:
        if not state.client.has_user_api_credentials:
            raise LookupError
        for kind, codes in wanted.items():
            known = await _existing_codes(state, kind, sorted(codes))
            unknown[kind] = codes - known
    except (LookupError, KintoneError):
        shown = "; ".join(f"{code} ({kind}) {', '.join(repr(v) for v in vals[:5])}" for code, kind, vals in entities)
        return (
            f"User, organization and group fields match codes, not display names; this connection cannot check "
            f"whether {shown} are existing codes (no access to the User API), so check them with the user."
        )
    bad = [
        f"{code} ({kind}) {', '.join(repr(v) for v in values if v in unknown.get(kind, set()))}: no {kind} has "
        "this code"
        for code, kind, values in entities
        if any(v in unknown.get(kind, set()) for v in values)
    ]
    if not bad:
        return None  # every code exists: the conditions together match nothing, which is the answer
    return (
        f"{'; '.join(bad)}. User, organization and group fields match codes, not display names "
        '(list_users finds codes, e.g. search="sato").'
    )


async def _existing_codes(state: ServerState, kind: str, codes: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(codes), _CODES_PER_CALL):
        chunk = codes[start : start + _CODES_PER_CALL]
        if kind == "user":
            found.update(u.code for u in await state.client.list_users(codes=chunk))
        elif kind == "organization":
            found.update(o.code for o in await state.client.list_organizations(codes=chunk))
        else:
            found.update(g.code for g in await state.client.list_groups(codes=chunk))
    return found
