"""Prints a query tree back as canonical query text that parses to the same tree.

Canonical means: lower-case keywords, one space between tokens, every nested group parenthesised (Kintone's
and/or precedence is unconfirmed, so the text never relies on it), strings in double quotes with ``\\`` and
``"`` escaped, and an explicit ``asc``/``desc`` on every sort key.
"""

from __future__ import annotations

import dataclasses
from typing import TypeVar, cast

from kintone_mcp.query.ast import And, Condition, Expr, FieldRef, FuncCall, NumberLit, Op, Or, Query, StringLit, Value
from kintone_mcp.query.lexer import is_control

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t"}


def quote(text: str) -> str:
    """``text`` as a query string literal: ``a"b`` → ``"a\\"b"``.

    Raises ValueError for control characters other than newline and tab, which the query language cannot
    carry (a raw one is a syntax error and there is no escape for it).
    """
    out = ['"']
    for ch in text:
        escaped = _ESCAPES.get(ch)
        if escaped is not None:
            out.append(escaped)
        elif is_control(ch):
            raise ValueError(
                f"a query string cannot contain the control character U+{ord(ch):04X}; only newline and tab can "
                "be written (as \\n and \\t)"
            )
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def to_text(node: Query | Expr | Value) -> str:
    """Canonical query text for a whole query, a condition expression, or a single value."""
    if isinstance(node, Query):
        return _query(node)
    if isinstance(node, StringLit | NumberLit | FuncCall):
        return _value(node)
    return _expr(node, top=True)


def _query(query: Query) -> str:
    parts: list[str] = []
    if query.where is not None:
        parts.append(_expr(query.where, top=True))
    if query.order_by:
        keys = ", ".join(f"{k.field.code} {'desc' if k.descending else 'asc'}" for k in query.order_by)
        parts.append(f"order by {keys}")
    if query.limit is not None:
        parts.append(f"limit {query.limit}")
    if query.offset is not None:
        parts.append(f"offset {query.offset}")
    return " ".join(parts)


def _expr(expr: Expr, *, top: bool = False) -> str:
    if isinstance(expr, Condition):
        return _condition(expr)
    joiner = " and " if isinstance(expr, And) else " or "
    text = joiner.join(_expr(item) for item in expr.items)
    return text if top else f"({text})"


def _condition(cond: Condition) -> str:
    field = cond.field.code
    if cond.op in (Op.IS_EMPTY, Op.IS_NOT_EMPTY):
        return f"{field} {cond.op.value}"
    if cond.op in (Op.IN, Op.NOT_IN):
        return f"{field} {cond.op.value} ({', '.join(_value(v) for v in cond.values)})"
    return f"{field} {cond.op.value} {_value(cond.values[0])}"


def _value(value: Value) -> str:
    if isinstance(value, StringLit):
        return quote(value.value)
    if isinstance(value, NumberLit):
        return value.text
    return f"{value.name}({', '.join(value.args)})"


_Node = TypeVar("_Node", bound=Query | And | Or | Condition | FieldRef | StringLit | NumberLit | FuncCall)


def strip_positions(node: _Node) -> _Node:
    """A copy of ``node`` with every ``pos`` set to 0, so that trees can be compared by meaning."""
    return cast(_Node, _strip(node))


def _strip(node: object) -> object:
    if isinstance(node, Query):
        return dataclasses.replace(
            node,
            where=None if node.where is None else strip_positions(node.where),
            order_by=tuple(dataclasses.replace(k, field=strip_positions(k.field)) for k in node.order_by),
        )
    if isinstance(node, And | Or):
        return type(node)(tuple(strip_positions(item) for item in node.items))
    if isinstance(node, Condition):
        return dataclasses.replace(
            node, field=strip_positions(node.field), values=tuple(strip_positions(v) for v in node.values), pos=0
        )
    if isinstance(node, FieldRef | StringLit | NumberLit | FuncCall):
        return dataclasses.replace(node, pos=0)
    raise TypeError(f"not a query node: {type(node).__name__}")
