"""The ``get_space`` tool: a space's name, plain-text body, kind, members, attached apps and threads."""

from __future__ import annotations

import html
import re
from typing import Annotated

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import Ctx
from kintone_mcp.server.tools.spaces._common import NEEDS, SpaceArg, written
from kintone_mcp.server.tools.spec import ToolSpec, read

#: characters of the body shown; the rest is counted
BODY_CHARS = 2000
_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<(br|/p|/div|/li)\b[^>]*>", re.IGNORECASE)


def plain(body: str) -> str:
    """Kintone keeps space bodies as HTML; a model reads the text."""
    text = html.unescape(_TAG.sub("", _BREAK.sub("\n", body)))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


class SpaceInfo(Out):
    id: int
    name: str
    body: str = ""
    private: bool
    guest: bool
    multi_thread: bool
    members: list[str]
    admins: list[str]
    names: dict[str, str]
    apps: dict[str, str]
    hidden_apps: int | None = Field(default=None, description="apps this server does not allow")
    threads: dict[str, str] | None = None
    default_thread: int | None = None


async def get_space(ctx: Ctx, space: SpaceArg) -> Annotated[CallToolResult, SpaceInfo]:
    """Read a space: body text, kind, members, admins, apps and threads (id -> name; if absent, search kinds THREAD).
    Password sign-in only.
    """
    state = state_of(ctx)
    client = state.client
    # In turn: the space's answer teaches the client a guest space's path, which the members call then uses.
    found = await client.get_space(space)
    members = await client.get_space_members(space)
    # The app lists hold here too: a denied app's name does not reach the model.
    allowed = [a for a in found.attached_apps if state.policy.app_allowed(a.app_id)]
    body = plain(found.body)
    names = {written(m.entity): m.entity.name for m in members if m.entity.name and m.entity.name != m.entity.code}
    threads = None if found.threads is None else {str(t.id): t.name for t in found.threads}
    return ok(SpaceInfo(
        id=found.id, name=found.name,
        body=body if len(body) <= BODY_CHARS else f"{body[:BODY_CHARS]}… [{len(body) - BODY_CHARS:,} more characters]",
        private=found.is_private, guest=found.is_guest, multi_thread=found.use_multi_thread,
        members=[written(m.entity) for m in members if not m.is_admin],
        admins=[written(m.entity) for m in members if m.is_admin], names=names,
        apps={str(a.app_id): a.name for a in allowed}, hidden_apps=len(found.attached_apps) - len(allowed) or None,
        threads=threads,
        default_thread=found.default_thread,
    ))


SPEC: ToolSpec = read(
    get_space, "Read a space",
    summary="A space's body, kind, members and admins, attached apps and threads; password auth",
    toolset="spaces", needs=NEEDS,
)
