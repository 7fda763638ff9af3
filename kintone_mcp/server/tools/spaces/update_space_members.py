"""The ``update_space_members`` tool: add, remove, promote or demote members of a space in one call.

Kintone's PUT space/members.json replaces the whole list, so the tool reads the members, applies the changes and
writes the list back: members it was not told about stay as they were. Kintone offers no revision to guard the write
with, so a change another person makes between the read and the write is overwritten; the window is one round trip.
"""

from __future__ import annotations

from typing import Annotated

from mcp.types import CallToolResult

from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import Ctx
from kintone_mcp.server.tools.spaces._common import NEEDS, CodesArg, MoreCodesArg, SpaceArg, written
from kintone_mcp.server.tools.spaces._members import merge
from kintone_mcp.server.tools.spec import ToolSpec, write


class MembersUpdated(Out):
    members: list[str]
    admins: list[str]


async def update_space_members(
    ctx: Ctx,
    space: SpaceArg,
    add: CodesArg = None,
    add_admins: MoreCodesArg = None,
    remove: MoreCodesArg = None,
    make_admin: MoreCodesArg = None,
    remove_admin: MoreCodesArg = None,
) -> Annotated[CallToolResult, MembersUpdated]:
    """Add or remove members, make or unmake admins, in one call (codes as in add); others stay as they are."""
    changes = [add or [], add_admins or [], remove or [], make_admin or [], remove_admin or []]
    if not any(changes):
        raise ToolInputError("Nothing to change: give add, add_admins, remove, make_admin or remove_admin.")
    client = state_of(ctx).client
    current = await client.get_space_members(space)
    after = merge(current, add=changes[0], add_admins=changes[1], remove=changes[2], make_admin=changes[3],
                  remove_admin=changes[4])
    await client.update_space_members(space, after)
    return ok(MembersUpdated(members=[written(m.entity) for m in after if not m.is_admin],
                             admins=[written(m.entity) for m in after if m.is_admin]))


SPEC: ToolSpec = write(
    update_space_members, "Change space members",
    summary="Add, remove, promote or demote space members, keeping the others",
    idempotent=False, toolset="spaces", needs=NEEDS,
)
