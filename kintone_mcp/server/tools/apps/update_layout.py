"""The ``update_layout`` tool: arranges an app's form (rows, tables, groups, labels, spacers, lines) in preview."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import Ctx
from kintone_mcp.server.tools.spec import ToolSpec, write


class LayoutUpdated(Out):
    app: int
    rows: int
    appended: list[str] | None = None
    revision: int
    note: str


async def update_layout(
    ctx: Ctx,
    app: Annotated[int | str, Field(description="App id or alias.")],
    layout: Annotated[
        list[list[str | dict[str, Any]] | dict[str, Any]],
        Field(min_length=1, max_length=500, description="Top to bottom."),
    ],
) -> Annotated[CallToolResult, LayoutUpdated]:
    """Arrange the form (preview; deploy_app makes it live). Items: a row ["code", {"code": c, "width": 300},
    {"label": "text"}, {"spacer": 100}, {"hr": true}]; {"table": code, "columns": [...]}; {"group": code, "rows":
    [rows]}. Fields left out are appended."""
    from kintone_mcp.server.tools.apps._layout import LayoutBuilder

    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    fields = await state.client.get_fields(app_id, preview=True)
    current = await state.client.get_layout(app_id, preview=True)
    builder = LayoutBuilder(fields.raw(), current)
    built, appended = builder.build(layout)
    if builder.problems:
        raise ToolInputError("Nothing was sent:\n- " + "\n- ".join(builder.problems))
    revision = await state.client.update_layout(app_id, built, revision=current.revision or -1)
    note = f"Changed in preview; deploy_app (apps=[{app_id}]) makes it live."
    return ok(LayoutUpdated(app=app_id, rows=len(built), appended=appended or None, revision=revision, note=note))


SPEC: ToolSpec = write(
    update_layout,
    "Lay out an app's form",
    summary="Arrange the form in rows, tables and groups with labels, spacers and lines; fields left out are appended",
    idempotent=True,
    toolset="apps",
)
