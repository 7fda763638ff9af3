"""The ``delete_space`` tool: a space deleted with its threads and their comments."""

from __future__ import annotations

from typing import Annotated

from mcp.types import CallToolResult

from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import Ctx
from kintone_mcp.server.tools.spaces._common import NEEDS, SpaceArg
from kintone_mcp.server.tools.spec import ToolSpec, write


class SpaceDeleted(Out):
    deleted: int


async def delete_space(ctx: Ctx, space: SpaceArg) -> Annotated[CallToolResult, SpaceDeleted]:
    """Delete a space with its threads and comments (space admins only). This cannot be undone.
    Password sign-in only.
    """
    await state_of(ctx).client.delete_space(space)
    return ok(SpaceDeleted(deleted=space))


SPEC: ToolSpec = write(
    delete_space, "Delete a space",
    summary="Delete a space with its threads and comments; password auth",
    idempotent=False, destructive=True, toolset="spaces", needs=NEEDS,
)
