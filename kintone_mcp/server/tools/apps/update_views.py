"""The ``update_views`` tool: list and calendar views (columns, filter, sort) in an app's preview."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from mcp.types import CallToolResult
from pydantic import BaseModel, ConfigDict, Field

from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import Ctx
from kintone_mcp.server.tools.confirming import app_named, names_shown
from kintone_mcp.server.tools.spec import Effect, ToolSpec, write

if TYPE_CHECKING:
    from kintone_mcp.client.models.apps import View


class ViewDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64)
    type: Literal["LIST", "CALENDAR"] = "LIST"
    fields: list[str] | None = Field(None, description="LIST: the columns, in order")
    # Typed loosely and checked by the handler: the full Filter schema would add ~1.2 KB to tools/list here.
    filter: dict[str, Any] | None = Field(None, description="as get_records takes it")
    query: str | None = Field(None, description='condition only, e.g. status in ("Open")')
    order_by: str | None = Field(None, description='e.g. "due asc, $id desc"')
    date: str | None = Field(None, description="CALENDAR: the date field")
    title: str | None = Field(None, description="CALENDAR: the field shown")


class ViewsUpdated(Out):
    app: int
    views: list[str] = Field(description="every view after the change, in order")
    removed: list[str] | None = None
    revision: int
    note: str


async def update_views(
    ctx: Ctx,
    app: Annotated[int | str, Field(description="App id or alias.")],
    views: Annotated[list[ViewDef] | None, Field(max_length=50, description="Views to add or change, by name.")] = None,
    remove: Annotated[list[str] | None, Field(description="Names of views to delete.")] = None,
    replace_all: Annotated[bool, Field(description="Delete every view not given.")] = False,
) -> Annotated[CallToolResult, ViewsUpdated]:
    """Add or change list and calendar views (preview; deploy_app makes them live); views not named are kept
    unless replace_all or remove. Checked against the app's fields before sending."""
    import pydantic

    from kintone_mcp.query import QuerySyntaxError, parse, to_text
    from kintone_mcp.query.ast import Query
    from kintone_mcp.server.filters import Filter, and_, compile_filter
    from kintone_mcp.server.query_check import QueryRejected, check

    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    if not views and not remove:
        raise ToolInputError("Nothing to change: give views to add or change, or names to remove.")
    properties = dict((await state.client.get_fields(app_id, preview=True)).raw())
    read = await state.client.get_views(app_id, preview=True)
    current = read.ordered()
    existing = {v.name: v for v in current}
    problems: list[str] = []
    names = [v.name for v in views or ()]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"the view {dup!r} is given twice.")
    for gone in remove or ():
        if gone not in existing:
            problems.append(f"remove names {gone!r}, which is no view of the app (views: {sorted(existing)}).")
        if gone in names:
            problems.append(f"{gone!r} is both given and removed.")
    built: dict[str, dict[str, Any]] = {}
    for v in views or ():
        where = None
        try:
            parsed = parse(v.query or "")
            if parsed.order_by or parsed.limit is not None or parsed.offset is not None:
                problems.append(f"{v.name}: query takes a condition only; put the sort in order_by.")
            order = parse(f"order by {v.order_by}").order_by if v.order_by else ()
            flt = Filter.model_validate(v.filter) if v.filter else None
            where = and_(parsed.where, compile_filter(flt, properties) if flt else None)
            check(Query(where, order), properties, state.policy)
        except QuerySyntaxError as exc:
            problems.append(f"{v.name}: {exc.message}")
            continue
        except pydantic.ValidationError as exc:
            problems.append(f"{v.name}: filter: " + "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'filter'}: {e['msg']}" for e in exc.errors(include_url=False)
            ) + " (a filter is {match?, conditions: [{field, op, value}]}, as get_records takes it)")
            continue
        except (QueryRejected, ToolInputError, ValueError) as exc:
            problems.append(f"{v.name}: {exc}")
            continue
        for code in v.fields or ():
            if code not in properties:
                problems.append(f"{v.name}: the column {code!r} is no field of the app.")
        if v.type == "LIST" and (v.date or v.title):
            problems.append(f"{v.name}: date and title are for CALENDAR views.")
        if v.type == "CALENDAR":
            if v.fields:
                problems.append(f"{v.name}: a CALENDAR view has no columns (fields); it shows `title`.")
            date_type = (properties.get(v.date or "") or {}).get("type")
            if v.date is None or date_type not in {"DATE", "DATETIME", "CREATED_TIME", "UPDATED_TIME"}:
                problems.append(f"{v.name}: a CALENDAR view needs `date`, a date or date-time field.")
            if v.title is not None and v.title not in properties:
                problems.append(f"{v.name}: the title {v.title!r} is no field of the app.")
        view: dict[str, Any] = {
            "type": v.type,
            "name": v.name,
            "filterCond": to_text(where) if where is not None else "",
            "sort": ", ".join(f"{k.field.code} {'desc' if k.descending else 'asc'}" for k in order),
        }
        if v.type == "LIST":
            view["fields"] = list(v.fields or ())
        else:
            view["date"], view["title"] = v.date, v.title or "Record_number"
        built[v.name] = view
    if problems:
        raise ToolInputError("Nothing was sent:\n- " + "\n- ".join(problems))
    kept = [] if replace_all else [n for n in existing if n not in built and n not in (remove or ())]
    result: dict[str, dict[str, Any]] = {}
    for name in [*kept, *built]:
        view = built.get(name) or _as_sent(existing[name])
        result[name] = {**view, "index": str(len(result))}
    # The PUT replaces every view: the revision read guards against losing someone else's change meanwhile.
    revision = await state.client.update_views(app_id, result, revision=read.revision or -1)
    removed = sorted(set(existing) - set(result))
    return ok(
        ViewsUpdated(
            app=app_id,
            views=list(result),
            removed=removed or None,
            revision=revision,
            note=f"Changed in preview; deploy_app (apps=[{app_id}]) makes it live.",
        )
    )


def _as_sent(view: View) -> dict[str, Any]:
    """A view kept as it is, in the form views.json takes (the PUT replaces the whole set: docs/kintone-api.md §4.1)."""
    out: dict[str, Any] = {"type": view.type, "name": view.name, "filterCond": view.filter_cond, "sort": view.sort}
    for key, value in (("fields", view.fields or None), ("date", view.date), ("title", view.title),
                       ("html", view.html), ("pager", view.pager), ("device", view.device)):
        if value is not None:
            out[key] = value
    return out


async def confirm_update_views(
    ctx: Ctx,
    app: int | str,
    views: list[ViewDef] | None = None,
    remove: list[str] | None = None,
    replace_all: bool = False,
) -> Effect:
    """Destructive when views are deleted (named in remove, or left out with replace_all)."""
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    where = await app_named(state, app_id)
    given = {v.name for v in views or ()}
    existing = [v.name for v in (await state.client.get_views(app_id, preview=True)).ordered()]
    deleted = [n for n in existing if n in (remove or ()) or (replace_all and n not in given)]
    if not deleted:
        return Effect(f"Add or change the views {names_shown(sorted(given))} of {where} (preview until deploy_app)?",
                      destructive=False)
    return Effect(
        f"Change the views of {where}, deleting {'the view' if len(deleted) == 1 else 'the views'} "
        f"{names_shown(deleted)} (preview until deploy_app)?"
    )


SPEC: ToolSpec = write(
    update_views,
    "Change an app's views",
    summary="Add or change list and calendar views (columns, filter or query, sort); other views kept unless asked",
    idempotent=True,
    destructive=True,
    toolset="apps",
    confirm=confirm_update_views,
)
