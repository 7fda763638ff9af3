"""The ``get_app`` tool: an app's schema, to learn field codes, types, options and query operators."""

from __future__ import annotations

from typing import Annotated

from mcp.types import CallToolResult

from kintone_mcp.server.results import ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.app_info.app_schema import AppSchema, build_app_schema
from kintone_mcp.server.tools.arguments import AppArg, Ctx
from kintone_mcp.server.tools.spec import ToolSpec, read


async def get_app(ctx: Ctx, app: AppArg = None) -> Annotated[CallToolResult, AppSchema]:
    """An app's schema: every field's code, label, type, whether it is required, its options, default, subtable
    columns and lookup source; the query operators of each field type; process states and actions; saved views.

    Call it before querying or writing an app you have not seen: records, filters and queries use field codes,
    and choice fields only accept their listed options.
    """
    state = state_of(ctx)
    return ok(await build_app_schema(state, state.policy.resolve_app(app)))


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
