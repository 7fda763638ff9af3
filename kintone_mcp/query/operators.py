"""Which operators and functions each field type accepts (docs/kintone-api.md §6.2 and §6.3).

This table is data shared by the sandbox (which rejects a query the way Kintone does) and the client (which
checks a query before sending it). Keep the two in agreement by keeping one table.
"""

from __future__ import annotations

from collections.abc import Mapping

from kintone_mcp.query.ast import Op

_COMPARE = frozenset({Op.EQ, Op.NE, Op.GT, Op.LT, Op.GE, Op.LE})
_IN = frozenset({Op.IN, Op.NOT_IN})
_LIKE = frozenset({Op.LIKE, Op.NOT_LIKE})
_EMPTY = frozenset({Op.IS_EMPTY, Op.IS_NOT_EMPTY})

#: Operators per field type, as in Kintone's official table. Types absent here are not searchable
#: (CATEGORY, GROUP, REFERENCE_TABLE, SUBTABLE itself, LABEL, SPACER, HR).
OPERATORS_BY_TYPE: Mapping[str, frozenset[Op]] = {
    "__ID__": _COMPARE | _IN,
    "__REVISION__": _COMPARE | _IN,
    "RECORD_NUMBER": _COMPARE | _IN,
    "NUMBER": _COMPARE | _IN,
    "CALC": _COMPARE | _IN,
    "SINGLE_LINE_TEXT": frozenset({Op.EQ, Op.NE}) | _IN | _LIKE,
    "LINK": frozenset({Op.EQ, Op.NE}) | _IN | _LIKE,
    "MULTI_LINE_TEXT": _LIKE | _EMPTY,
    "RICH_TEXT": _LIKE,
    "CHECK_BOX": _IN,
    "RADIO_BUTTON": _IN,
    "DROP_DOWN": _IN,
    "MULTI_SELECT": _IN,
    "DATE": _COMPARE,
    "TIME": _COMPARE,
    "DATETIME": _COMPARE,
    "CREATED_TIME": _COMPARE,
    "UPDATED_TIME": _COMPARE,
    "USER_SELECT": _IN,
    "ORGANIZATION_SELECT": _IN,
    "GROUP_SELECT": _IN,
    "CREATOR": _IN,
    "MODIFIER": _IN,
    "STATUS_ASSIGNEE": _IN,
    "STATUS": frozenset({Op.EQ, Op.NE}) | _IN,
    "FILE": _LIKE | _EMPTY,
}

#: Operators whose acceptance by real Kintone is unconfirmed ([U] in docs/kintone-api.md). The sandbox accepts them
#: unless configured to be strict; the client never rejects them, so that it cannot refuse a query Kintone takes.
UNCERTAIN_OPERATORS_BY_TYPE: Mapping[str, frozenset[Op]] = {
    "SINGLE_LINE_TEXT": _EMPTY,
    "LINK": _EMPTY,
    "DATE": _EMPTY,
    "TIME": _EMPTY,
    "DATETIME": _EMPTY,
}

_DATE_FUNCTIONS = frozenset(
    {
        "TODAY",
        "YESTERDAY",
        "TOMORROW",
        "FROM_TODAY",
        "THIS_WEEK",
        "LAST_WEEK",
        "NEXT_WEEK",
        "THIS_MONTH",
        "LAST_MONTH",
        "NEXT_MONTH",
        "THIS_YEAR",
        "LAST_YEAR",
        "NEXT_YEAR",
    }
)

#: Every function name the query language knows.
ALL_FUNCTIONS: frozenset[str] = _DATE_FUNCTIONS | {"NOW", "LOGINUSER", "PRIMARY_ORGANIZATION"}

#: Functions per field type (§6.3). A function on any other type is an error.
FUNCTIONS_BY_TYPE: Mapping[str, frozenset[str]] = {
    "USER_SELECT": frozenset({"LOGINUSER"}),
    "CREATOR": frozenset({"LOGINUSER"}),
    "MODIFIER": frozenset({"LOGINUSER"}),
    "STATUS_ASSIGNEE": frozenset({"LOGINUSER"}),
    "ORGANIZATION_SELECT": frozenset({"PRIMARY_ORGANIZATION"}),
    "DATE": _DATE_FUNCTIONS,
    "DATETIME": _DATE_FUNCTIONS | {"NOW"},
    "CREATED_TIME": _DATE_FUNCTIONS | {"NOW"},
    "UPDATED_TIME": _DATE_FUNCTIONS | {"NOW"},
}

#: Field types that may sit inside a SUBTABLE.
SUBTABLE_INNER_TYPES: frozenset[str] = frozenset(
    {
        "SINGLE_LINE_TEXT",
        "NUMBER",
        "CALC",
        "MULTI_LINE_TEXT",
        "RICH_TEXT",
        "LINK",
        "CHECK_BOX",
        "RADIO_BUTTON",
        "DROP_DOWN",
        "MULTI_SELECT",
        "FILE",
        "DATE",
        "TIME",
        "DATETIME",
        "USER_SELECT",
        "ORGANIZATION_SELECT",
        "GROUP_SELECT",
    }
)


def allowed_operators(field_type: str, *, in_subtable: bool = False, lenient: bool = False) -> frozenset[Op]:
    """Operators a field of ``field_type`` accepts.

    Inside a subtable (or through a related-records dot reference) ``=`` and ``!=`` are not allowed and
    ``in`` / ``not in`` take their place. ``lenient`` adds the operators whose support is unconfirmed.
    """
    ops = OPERATORS_BY_TYPE.get(field_type, frozenset())
    if lenient:
        ops = ops | UNCERTAIN_OPERATORS_BY_TYPE.get(field_type, frozenset())
    if in_subtable and ops:
        ops = (ops - {Op.EQ, Op.NE}) | (_IN if ops & {Op.EQ, Op.NE, Op.IN} else frozenset())
    return ops


def allowed_functions(field_type: str) -> frozenset[str]:
    """Functions usable as a value for a field of ``field_type``."""
    return FUNCTIONS_BY_TYPE.get(field_type, frozenset())
