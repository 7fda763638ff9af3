"""The ``update_space`` tool: a space's name, body and the settings a person changes."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import Ctx
from kintone_mcp.server.tools.spaces._common import NEEDS, SpaceArg
from kintone_mcp.server.tools.spec import ToolSpec, write

#: tool argument -> Kintone's name in PUT space.json
_SETTINGS = {
    "name": "name", "private": "isPrivate", "multi_thread": "useMultiThread",
    "show_announcement": "showAnnouncement", "show_threads": "showThreadList", "show_apps": "showAppList",
    "show_members": "showMemberList", "show_links": "showRelatedLinkList",
}


class SpaceUpdated(Out):
    id: int
    changed: list[str]


async def update_space(
    ctx: Ctx,
    space: SpaceArg,
    name: Annotated[str | None, Field(min_length=1)] = None,
    body: Annotated[str | None, Field(description="HTML or plain text.")] = None,
    private: bool | None = None,
    multi_thread: bool | None = None,
    show_announcement: bool | None = None,
    show_threads: bool | None = None,
    show_apps: bool | None = None,
    show_members: bool | None = None,
    show_links: bool | None = None,
) -> Annotated[CallToolResult, SpaceUpdated]:
    """Change a space's name, body, privacy, thread mode or shown widgets (space admins only). Password sign-in only."""
    given = {"name": name, "private": private, "multi_thread": multi_thread,
             "show_announcement": show_announcement, "show_threads": show_threads, "show_apps": show_apps,
             "show_members": show_members, "show_links": show_links}
    settings: dict[str, Any] = {_SETTINGS[k]: v for k, v in given.items() if v is not None}
    if not settings and body is None:
        raise ToolInputError("Nothing to change: give name, body or one of the settings.")
    client = state_of(ctx).client
    # Settings first: a refusal there (not an admin, a bad value) leaves the body unchanged too.
    if settings:
        await client.update_space(space, **settings)
    if body is not None:
        await client.update_space_body(space, body)
    changed = [k for k, v in given.items() if v is not None] + (["body"] if body is not None else [])
    return ok(SpaceUpdated(id=space, changed=changed))


SPEC: ToolSpec = write(
    update_space, "Change a space",
    summary="Change a space's name, body, privacy and shown widgets; password auth",
    idempotent=True, toolset="spaces", needs=NEEDS,
)
