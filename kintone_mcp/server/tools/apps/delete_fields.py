"""The ``delete_fields`` tool: removes fields from an app's preview form, saying how many records hold values in
them (which the deploy deletes)."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.client.errors import KintoneError
from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import ServerState, state_of
from kintone_mcp.server.tools.arguments import Ctx
from kintone_mcp.server.tools.confirming import app_named, counted, names_shown
from kintone_mcp.server.tools.spec import Effect, ToolSpec, write

#: System fields Kintone keeps on every app.
_SYSTEM = {"RECORD_NUMBER", "CREATOR", "CREATED_TIME", "MODIFIER", "UPDATED_TIME", "STATUS", "STATUS_ASSIGNEE",
           "CATEGORY", "__ID__", "__REVISION__"}


class FieldsDeleted(Out):
    app: int
    deleted: list[str]
    records_with_values: dict[str, int | str] = Field(
        description="field -> records holding a value in it (lost at deploy_app)"
    )
    revision: int
    note: str


def _has_value(code: str, ftype: str) -> str | None:
    """A query matching records whose field holds a value, for the types where Kintone's operators allow one."""
    if ftype in {"SINGLE_LINE_TEXT", "LINK"}:
        return f'{code} != ""'
    if ftype in {"MULTI_LINE_TEXT", "FILE"}:
        return f"{code} is not empty"
    if ftype in {"CHECK_BOX", "MULTI_SELECT", "DROP_DOWN", "RADIO_BUTTON", "USER_SELECT", "ORGANIZATION_SELECT",
                 "GROUP_SELECT"}:
        return f'{code} not in ("")'
    return None


async def _count(state: ServerState, app: int, code: str, prop: dict[str, Any], total: int) -> int | str:
    query = _has_value(code, str(prop.get("type")))
    if query is None:
        return f"at most {total} (Kintone cannot search {prop.get('type')} fields for being filled)"
    try:
        page = await state.client.get_records(app, query=f"{query} limit 1", fields=["$id"], total_count=True)
    except KintoneError:
        return f"at most {total}"
    return page.total_count if page.total_count is not None else f"at most {total}"


async def _checked(state: ServerState, app_id: int, codes: list[str]) -> list[str]:
    """The codes to delete, once each; raises naming every code that is no deletable field."""
    preview = dict((await state.client.get_fields(app_id, preview=True)).raw())
    problems = []
    inner = {c: table for table, p in preview.items() for c in (p.get("fields") or {})}
    for code in dict.fromkeys(codes):
        prop = preview.get(code)
        if prop is None and code in inner:
            problems.append(f"{code} is a column of the table {inner[code]}: delete the table, or change its "
                            "columns with update_fields.")
        elif prop is None:
            problems.append(f"{code} is no field of app {app_id} (fields: {', '.join(sorted(preview))}).")
        elif prop.get("type") in _SYSTEM:
            problems.append(f"{code} is a system field ({prop.get('type')}); Kintone keeps it on every app.")
    if problems:
        raise ToolInputError("Nothing was deleted:\n- " + "\n- ".join(problems))
    return list(dict.fromkeys(codes))


async def _holding(state: ServerState, app_id: int, chosen: list[str]) -> dict[str, int | str]:
    """Field -> how many records hold a value in it (what the deploy deletes)."""
    live = dict((await state.client.get_fields(app_id)).raw())
    everything = await state.client.get_records(app_id, query="limit 1", fields=["$id"], total_count=True)
    total = everything.total_count or 0
    counts: dict[str, int | str] = {}
    for code in chosen:
        # A field added in preview and never deployed holds no values.
        counts[code] = await _count(state, app_id, code, live[code], total) if code in live else 0
    return counts


async def delete_fields(
    ctx: Ctx,
    app: Annotated[int | str, Field(description="App id or alias.")],
    codes: Annotated[list[str], Field(min_length=1, max_length=100, description="Field codes to delete.")],
) -> Annotated[CallToolResult, FieldsDeleted]:
    """Delete fields from an app's form (preview). At deploy_app their values in every record are deleted for
    good; the answer says how many records hold values. Until then deploy_app with revert: true undoes it."""
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    chosen = await _checked(state, app_id, codes)
    counts = await _holding(state, app_id, chosen)
    revision = await state.client.delete_fields(app_id, chosen)
    return ok(
        FieldsDeleted(
            app=app_id,
            deleted=chosen,
            records_with_values=counts,
            revision=revision,
            note=(
                f"Deleted from the preview form. deploy_app (apps=[{app_id}]) deletes these fields' values in every "
                "record for good; deploy_app with revert: true undoes the deletion instead."
            ),
        )
    )


async def confirm_delete_fields(ctx: Ctx, app: int | str, codes: list[str]) -> Effect:
    """ "Delete the fields amount (a value in 37 records), notes (none) from Deals (app 2)? …"."""
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    counts = await _holding(state, app_id, await _checked(state, app_id, codes))
    held = [f"{code} ({_held(n)})" for code, n in counts.items()]
    return Effect(
        f"Delete the {'field' if len(held) == 1 else 'fields'} {names_shown(held)} from "
        f"{await app_named(state, app_id)}? deploy_app then deletes their values for good (a revert before it "
        "undoes this)."
    )


def _held(n: int | str) -> str:
    if n == 0:
        return "no values"
    return f"values in {counted(n, 'record')}" if isinstance(n, int) else f"values in {n.split(' (')[0]} records"


SPEC: ToolSpec = write(
    delete_fields,
    "Delete fields from an app",
    summary="Delete fields (preview), saying how many records hold values in them; the deploy deletes the values",
    idempotent=False,
    destructive=True,
    toolset="apps",
    confirm=confirm_delete_fields,
)
