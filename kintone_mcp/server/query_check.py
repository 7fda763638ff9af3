"""Check a parsed query against an app's fields before it is sent.

Kintone answers a wrong query with one code (GAIA_IQ03 "operator not allowed", GAIA_IQ11 "unknown field" …) and no
hint of what would work. Checking locally lets every problem be reported at once, with the operators the field
does allow and the option labels that exist, which is what a model needs to fix its next call.

Operators whose support by Kintone is unconfirmed are accepted (``lenient``), so that this check never refuses
a query that Kintone would run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kintone_mcp.query.ast import And, Condition, Expr, FuncCall, Op, Or, Query, StringLit
from kintone_mcp.query.operators import allowed_functions, allowed_operators
from kintone_mcp.server.fieldinfo import Properties, option_labels, walk_fields
from kintone_mcp.server.record_input import field_suggestions

_SYSTEM = {"$id": "__ID__", "$revision": "__REVISION__"}
_CHOICE_TYPES = frozenset({"CHECK_BOX", "RADIO_BUTTON", "DROP_DOWN", "MULTI_SELECT"})


class QueryProblem(ValueError):
    """The query does not fit the app's fields. ``str()`` is written for the model."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "The query was not sent: "
            + ("; ".join(problems) if len(problems) == 1 else "\n- " + "\n- ".join(problems))
            + "\n(get_app lists every field with the operators it allows.)"
        )


class _Resolved:
    __slots__ = ("in_subtable", "prop", "type")

    def __init__(self, ftype: str, prop: Mapping[str, Any] | None, in_subtable: bool) -> None:
        self.type = ftype
        self.prop = prop
        self.in_subtable = in_subtable


def resolve_field(code: str, properties: Properties) -> _Resolved | str:
    """The field a query names, or a problem text."""
    if code in _SYSTEM:
        return _Resolved(_SYSTEM[code], None, False)
    if "." in code:
        related, _, _inner = code.partition(".")
        related_prop = properties.get(related)
        if related_prop is None or related_prop.get("type") != "REFERENCE_TABLE":
            return (
                f"{code!r}: a dotted name only works for related-records fields (REFERENCE_TABLE), "
                f"and {related!r} is not one"
            )
        # The related app's field types are not known here; Kintone checks them.
        return _Resolved("", None, True)
    for c, prop, table in walk_fields(properties):
        if c == code:
            return _Resolved(str(prop.get("type", "")), prop, table is not None)
    flat = {c: p for c, p, _ in walk_fields(properties)}
    return f"unknown field {code!r}; {field_suggestions(code, flat)}"


def check_expr(expr: Expr | None, properties: Properties, problems: list[str]) -> None:
    if expr is None:
        return
    if isinstance(expr, And | Or):
        for item in expr.items:
            check_expr(item, properties, problems)
        return
    _check_condition(expr, properties, problems)


def _check_condition(cond: Condition, properties: Properties, problems: list[str]) -> None:
    code = cond.field.code
    found = resolve_field(code, properties)
    if isinstance(found, str):
        problems.append(found)
        return
    if not found.type:
        return
    ops = allowed_operators(found.type, in_subtable=found.in_subtable, lenient=True)
    if not ops:
        problems.append(f"{code} ({found.type}) cannot be searched")
        return
    if cond.op not in ops:
        where = " inside a table" if found.in_subtable else ""
        problems.append(
            f"{code} ({found.type}{where}) does not take `{cond.op.value}`; it takes "
            + ", ".join(f"`{o.value}`" for o in _ordered(ops))
            + (' (e.g. in ("x") instead of = "x")' if cond.op in (Op.EQ, Op.NE) and Op.IN in ops else "")
        )
        return
    funcs = allowed_functions(found.type)
    for v in cond.values:
        if isinstance(v, FuncCall) and v.name not in funcs:
            allowed = ", ".join(f"{f}()" for f in sorted(funcs)) or "none"
            problems.append(f"{code} ({found.type}) cannot use {v.name}(); functions it accepts: {allowed}")
    if found.type in _CHOICE_TYPES and found.prop is not None:
        options = option_labels(found.prop)
        for v in cond.values:
            if isinstance(v, StringLit) and v.value != "" and options and v.value not in options:
                problems.append(f"{code}: {v.value!r} is not an option; options are {options}")


def _ordered(ops: frozenset[Op]) -> list[Op]:
    return [o for o in Op if o in ops]


def check_query(query: Query, properties: Properties) -> None:
    """Raise QueryProblem listing every field, operator, function or option problem in ``query``."""
    problems: list[str] = []
    check_expr(query.where, properties, problems)
    for key in query.order_by:
        found = resolve_field(key.field.code, properties)
        if isinstance(found, str):
            problems.append("order by: " + found)
    if problems:
        raise QueryProblem(problems)
