"""The ``update_space_members`` tool: add, remove, promote or demote members of a space in one call.

Kintone's PUT space/members.json replaces the whole list, so the tool reads the members, applies the changes and
writes the list back: members it was not told about stay as they were. Kintone offers no revision to guard the write
with, so a change another person makes between the read and the write is overwritten; the window is one round trip.

Guests of a guest space are another list (PUT space/guests.json), which Kintone lets one set but not read (GET
space/members.json leaves guests out), so ``guests`` is the whole new list, not a change to merge.
"""

from __future__ import annotations

from typing import Annotated

from mcp.types import CallToolResult
from pydantic import Field

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
    guests: Annotated[list[str] | None, Field(description="A guest space's guests (e-mails), all.")] = None,
) -> Annotated[CallToolResult, MembersUpdated]:
    """Add or remove members, make or unmake admins, in one call (codes as in add); others stay as they are. Password
    sign-in only.
    """
    changes = [add or [], add_admins or [], remove or [], make_admin or [], remove_admin or []]
    if not any(changes) and guests is None:
        raise ToolInputError("Nothing to change: give add, add_admins, remove, make_admin, remove_admin or guests.")
    client = state_of(ctx).client
    if guests is not None and not (await client.get_space(space)).is_guest:
        # Checked before any write, so that a wrong call changes neither list.
        raise ToolInputError(f"Space {space} is not a guest space; only guest spaces have guests.")
    after = current = await client.get_space_members(space)
    if any(changes):
        after = merge(current, add=changes[0], add_admins=changes[1], remove=changes[2], make_admin=changes[3],
                      remove_admin=changes[4])
        await client.update_space_members(space, after)
    if guests is not None:
        await client.update_space_guests(space, list(dict.fromkeys(guests)))
    return ok(MembersUpdated(members=[written(m.entity) for m in after if not m.is_admin],
                             admins=[written(m.entity) for m in after if m.is_admin]))


SPEC: ToolSpec = write(
    update_space_members, "Change space members",
    summary="Add, remove, promote or demote space members, keeping the others; password auth",
    idempotent=False, toolset="spaces", needs=NEEDS,
)
