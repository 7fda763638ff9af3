"""How a read of records is planned, shared by ``get_records`` and the transfer engine (``transfer/exporting``):
the field list checked, the view found, and the conditions of view, query and filter joined into one checked query.

Kept apart from ``get_records`` because that module, as a tool, imports the MCP SDK, and the ``export`` command must
not (``tests/commands/test_transfer_imports.py``).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from kintone_mcp.query import parse
from kintone_mcp.query.ast import Expr, OrderKey, Query
from kintone_mcp.query.errors import QuerySyntaxError
from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.fieldinfo import Properties, walk_fields
from kintone_mcp.server.filters import Filter, and_, compile_filter
from kintone_mcp.server.query_check import check
from kintone_mcp.server.record_input import field_suggestions
from kintone_mcp.server.state import ServerState

if TYPE_CHECKING:
    from kintone_mcp.client.models.apps import View


def check_fields(fields: list[str], properties: Properties) -> list[str]:
    """The field list, validated, with ``$id`` and ``$revision`` added so every record can be referred to."""
    problems = []
    inner = {c: t for c, _, t in walk_fields(properties) if t is not None}
    for code in fields:
        if code in ("$id", "$revision") or code in properties:
            continue
        if code == "*":
            problems.append('"*" (every field) stands alone: give ["*"] or a list of field codes')
        elif code in inner:
            problems.append(f"{code!r} is a column of the table {inner[code]!r}: name the table to get its rows")
        else:
            problems.append(f"unknown field {code!r}: {field_suggestions(code, properties)}")
    if problems:
        raise ToolInputError("`fields` names fields this app does not have:\n- " + "\n- ".join(problems))
    return list(dict.fromkeys(["$id", "$revision", *fields]))


def order_keys(order_by: str) -> tuple[OrderKey, ...]:
    return parse(f"order by {order_by}").order_by


def order_text(order: tuple[OrderKey, ...]) -> str:
    return ", ".join(f"{k.field.code} {'desc' if k.descending else 'asc'}" for k in order)


async def find_view(state: ServerState, app_id: int, view: str | int) -> View:
    """A saved view of the app by id or name (exact, then ignoring case); refused with the list of views."""
    views = (await state.client.get_views(app_id)).ordered()
    key = str(view).strip()
    for match in (
        lambda v: v.id is not None and str(v.id) == key,
        lambda v: v.name == key,
        lambda v: v.name.casefold() == key.casefold(),
    ):
        found = [v for v in views if match(v)]
        if len(found) == 1:
            return found[0]
    listed = ", ".join(f"{v.name!r} (id {v.id})" for v in views[:30]) or "none"
    raise ToolInputError(
        f"App {app_id} has no view {view!r}. Its views: {listed}. Give one of these names or ids as `view` "
        "(get_app lists them with their filters), or leave `view` out."
    )


@dataclasses.dataclass(frozen=True)
class ReadPlan:
    """What the arguments of a first call ask for: which records, in which order, from where."""

    where: Expr | None
    order: tuple[OrderKey, ...]
    #: whether an order was asked for (by order_by, the query or the view), not left to the default
    ordered: bool
    limit: int | None
    offset: int


async def plan_read(
    state: ServerState,
    app_id: int,
    properties: Properties,
    *,
    view: str | int | None,
    query: str | None,
    filter: Filter | None,
    order_by: str | None,
    limit: int | None,
) -> ReadPlan:
    parsed = parse(query) if query else Query()
    # One rule for a setting that can be given twice (an argument and inside `query`): both may be given only
    # when they agree; either alone is used. A disagreement is refused rather than one silently winning.
    conflicts = []
    if order_by and parsed.order_by and order_text(order_keys(order_by)) != order_text(parsed.order_by):
        conflicts.append(f"`order_by` is {order_by!r} but `query` says order by {order_text(parsed.order_by)!r}")
    if limit is not None and parsed.limit is not None and limit != parsed.limit:
        conflicts.append(f"`limit` is {limit} but `query` says limit {parsed.limit}")
    if conflicts:
        raise ToolInputError(
            "Conflicting arguments: " + "; ".join(conflicts) + ". Give each setting once (as the argument, or "
            "inside `query`), or give both the same value."
        )
    view_where: Expr | None = None
    view_order: tuple[OrderKey, ...] = ()
    if view is not None:
        found = await find_view(state, app_id, view)
        try:
            view_where = parse(found.filter_cond).where if found.filter_cond.strip() else None
            view_order = order_keys(found.sort) if found.sort.strip() else ()
        except QuerySyntaxError as exc:
            raise ToolInputError(
                f"The view {found.name!r} has a filter or sort this server cannot read ({exc.message}): "
                f"filter {found.filter_cond!r}, sort {found.sort!r}. Give its conditions as `query` instead."
            ) from exc
    where = and_(view_where, parsed.where, compile_filter(filter, properties) if filter else None)
    # An explicit order (the argument or the query's) replaces the view's sort: that is what was asked for.
    order = order_keys(order_by) if order_by else parsed.order_by or view_order
    check(Query(where, order), properties, state.policy)
    return ReadPlan(where, order, bool(order), limit if limit is not None else parsed.limit, parsed.offset or 0)
