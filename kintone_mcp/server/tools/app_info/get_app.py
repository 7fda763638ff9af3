"""The ``get_app`` tool: an app's schema, to learn field codes, types, options and query operators."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.server.results import ok
from kintone_mcp.server.state import ServerState, state_of
from kintone_mcp.server.tools.app_info.app_schema import AppSchema, build_app_schema
from kintone_mcp.server.tools.arguments import AppArg, Ctx
from kintone_mcp.server.tools.spec import ToolSpec, read


async def get_app(
    ctx: Ctx,
    app: AppArg = None,
    preview: Annotated[bool, Field(description="Pending changes, with what differs.")] = False,
    include: list[Literal["layout", "permissions"]] | None = None,
) -> Annotated[CallToolResult, AppSchema]:
    """An app's schema: every field's code, label, type, whether it is required, its options, default, subtable
    columns and lookup source; the query operators of each field type; process states and actions; saved views.

    Call it before querying or writing an app you have not seen: records, filters and queries use field codes,
    and choice fields only accept their listed options.
    """
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    if not preview and not include:
        return ok(await build_app_schema(state, app_id))
    return ok(await _with_extras(state, app_id, preview=preview, include=set(include or ())))


async def _with_extras(state: ServerState, app_id: int, *, preview: bool, include: set[str]) -> AppSchema:
    # Loaded only when asked: the default answer stays the small live schema (and needs no manage right).
    from kintone_mcp.server.tools.app_info.pending import differences
    from kintone_mcp.server.tools.apps._layout import to_simple
    from kintone_mcp.server.tools.apps.get_permissions import read_permissions

    schema = await build_app_schema(state, app_id, preview=preview)
    if preview:
        schema.pending = await differences(state, app_id)
    if "layout" in include:
        schema.layout = to_simple(await state.client.get_layout(app_id, preview=preview))
    if "permissions" in include:
        perms = await read_permissions(state, app_id, preview=preview)
        schema.permissions = perms.model_dump(mode="json", exclude_none=True, exclude={"app", "preview"})
    return schema


SPEC: ToolSpec = read(
    get_app,
    "Get an app's fields and settings",
    summary=(
        "An app's fields (code, label, type, required, options, default, subtable columns, lookup source), "
        "the query operators of each field type (`operators`; `table_operators` for subtable columns), "
        "process states and actions, views. Also the resource `kintone://app/{app}/schema`"
    ),
    toolset="core",
)
