"""The ``update_thread`` tool: a thread's name or body."""

from __future__ import annotations

from typing import Annotated

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import Ctx
from kintone_mcp.server.tools.spaces._common import NEEDS, SpaceArg, ThreadArg
from kintone_mcp.server.tools.spec import ToolSpec, write


class ThreadUpdated(Out):
    id: int


async def update_thread(
    ctx: Ctx,
    space: SpaceArg,
    thread: ThreadArg,
    name: Annotated[str | None, Field(min_length=1)] = None,
    body: Annotated[str | None, Field(description="HTML or plain text.")] = None,
) -> Annotated[CallToolResult, ThreadUpdated]:
    """Rename a thread or replace its body (space admins only). Password sign-in only."""
    if name is None and body is None:
        raise ToolInputError("Nothing to change: give name or body.")
    client = state_of(ctx).client
    # PUT space/thread.json names the thread only: check it is the space's, so that a wrong pair changes nothing.
    found = await client.get_space(space)
    if found.threads is not None and thread not in {t.id for t in found.threads}:
        raise ToolInputError(f"Thread {thread} is not in space {space}; its threads: "
                             f"{', '.join(f'{t.id} {t.name}' for t in found.threads)}.")
    await client.update_thread(space, thread, name=name, body=body)
    return ok(ThreadUpdated(id=thread))


SPEC: ToolSpec = write(
    update_thread, "Change a thread",
    summary="Rename a thread or replace its body; password auth",
    idempotent=True, toolset="spaces", needs=NEEDS,
)
