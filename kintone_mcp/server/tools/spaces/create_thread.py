"""The ``create_thread`` tool: a new thread in a space that uses multiple threads."""

from __future__ import annotations

from typing import Annotated

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import Ctx
from kintone_mcp.server.tools.spaces._common import NEEDS, SpaceArg
from kintone_mcp.server.tools.spec import ToolSpec, write


class ThreadCreated(Out):
    id: int


async def create_thread(
    ctx: Ctx,
    space: SpaceArg,
    name: Annotated[str, Field(min_length=1)],
    body: str | None = None,
) -> Annotated[CallToolResult, ThreadCreated]:
    """Create a thread in a multi-thread space (space admins only); answers its id. Password sign-in only."""
    client = state_of(ctx).client
    thread = await client.add_thread(space, name)
    if body:
        # Kintone creates a thread with a name only; its body is a second call.
        await client.update_thread(space, thread, body=body)
    return ok(ThreadCreated(id=thread))


SPEC: ToolSpec = write(
    create_thread, "Create a thread",
    summary="Create a thread in a space; password auth",
    idempotent=False, toolset="spaces", needs=NEEDS,
)
