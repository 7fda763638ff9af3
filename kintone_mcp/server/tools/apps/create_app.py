"""The ``create_app`` tool: a new, empty app in Kintone's preview environment."""

from __future__ import annotations

from typing import Annotated

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import Ctx, InRange
from kintone_mcp.server.tools.spec import ToolSpec, write


class AppCreated(Out):
    app: int
    deployed: bool
    note: str


async def create_app(
    ctx: Ctx,
    name: Annotated[str, Field(min_length=1, max_length=64, description="App name (1-64 characters).")],
    space: Annotated[int | None, Field(description="Space id to create the app in."), InRange] = None,
    thread: Annotated[int | None, Field(description="Thread of that space (default: its first)."), InRange] = None,
) -> Annotated[CallToolResult, AppCreated]:
    """Create an empty Kintone app. It exists only in preview until deploy_app: add fields (add_fields), then
    lay it out, then deploy_app. Answers the new app's id."""
    state = state_of(ctx)
    if thread is not None and space is None:
        from kintone_mcp.server.errors import ToolInputError

        raise ToolInputError("thread needs space: pass the space the thread belongs to, or leave thread out.")
    app_id = await state.client.create_app(name.strip(), space=space, thread=thread)
    # The user asked this server to build the app, so the app lists must not lock it out of its own work.
    state.policy.admit_created(app_id)
    note = (
        f"App {app_id} is created in preview only, not yet usable for records. Next: add_fields (app={app_id}), "
        f"then deploy_app (apps=[{app_id}])."
    )
    if not state.policy.app_allowed(app_id):
        note += " This server's app deny list names it, so it cannot change it further: tell the user."
    return ok(AppCreated(app=app_id, deployed=False, note=note))


SPEC: ToolSpec = write(
    create_app,
    "Create an app",
    summary="Create an empty app (optionally in a space and thread); answers its id and what to do next",
    idempotent=False,
    toolset="apps",
)
