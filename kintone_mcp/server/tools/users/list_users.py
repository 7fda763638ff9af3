"""The ``list_users`` tool: users, organizations and groups found by name, code or membership, for their codes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Literal

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.client.errors import ApiError
from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import Ctx, OffsetArg
from kintone_mcp.server.tools.spec import ToolSpec, read

if TYPE_CHECKING:
    from kintone_mcp.client import KintoneClient
    from kintone_mcp.client.models.directory import User

#: The User API has no name search: a search scans at most this many entries, 100 per request.
MAX_SCANNED = 5000
_PAGE = 100
Kind = Literal["users", "organizations", "groups"]


class DirectoryEntry(Out):
    code: str
    name: str
    email: str | None = None
    valid: bool | None = None


class DirectoryPage(Out):
    kind: Literal["users", "organizations", "groups"]
    entries: list[DirectoryEntry]
    next_offset: int | None = None


Fetch = Callable[[int, int], Awaitable[list[DirectoryEntry]]]


def _person(user: User) -> DirectoryEntry:
    return DirectoryEntry(code=user.code, name=user.name, email=user.email or None, valid=user.valid)


def _fetcher(client: KintoneClient, kind: Kind, codes: list[str] | None, member_of: str | None) -> Fetch:
    async def users(offset: int, size: int) -> list[DirectoryEntry]:
        return [_person(u) for u in await client.list_users(codes=codes, offset=offset, size=size)]

    async def members(offset: int, size: int) -> list[DirectoryEntry]:
        assert member_of is not None
        try:
            titled = await client.get_organization_users(member_of, offset=offset, size=size)
            people = [t.user for t in titled]
        except ApiError:
            # Not an organization code: try it as a group.
            people = await client.get_group_users(member_of, offset=offset, size=size)
        return [_person(u) for u in people]

    async def organizations(offset: int, size: int) -> list[DirectoryEntry]:
        return [
            DirectoryEntry(code=o.code, name=o.name)
            for o in await client.list_organizations(codes=codes, offset=offset, size=size)
        ]

    async def groups(offset: int, size: int) -> list[DirectoryEntry]:
        return [
            DirectoryEntry(code=g.code, name=g.name)
            for g in await client.list_groups(codes=codes, offset=offset, size=size)
        ]

    if kind == "users":
        return members if member_of else users
    return organizations if kind == "organizations" else groups


async def list_users(
    ctx: Ctx,
    kind: Kind = "users",
    search: Annotated[str | None, Field(description="Part of a name, code or email (case-insensitive).")] = None,
    codes: Annotated[list[str] | None, Field(max_length=100, description="Exactly these codes.")] = None,
    member_of: Annotated[str | None, Field(description="Users only: members of this organization or group.")] = None,
    limit: Annotated[int, Field(ge=1, le=100)] = 30,
    offset: OffsetArg = 0,
) -> Annotated[CallToolResult, DirectoryPage]:
    """Find users, organizations or groups and their codes.

    User, organization and group fields take codes (a user's code is the login name), not display names: look
    them up here, e.g. search="sato" before setting owner: ["sato"].
    """
    fetch = _fetcher(state_of(ctx).client, kind, codes, member_of)
    if not search:
        entries = await fetch(offset, limit)
        return ok(
            DirectoryPage(kind=kind, entries=entries, next_offset=offset + limit if len(entries) == limit else None)
        )
    needle = search.casefold()
    found: list[DirectoryEntry] = []
    scanned = 0
    while scanned < MAX_SCANNED and len(found) <= offset + limit:
        batch = await fetch(scanned, _PAGE)
        scanned += len(batch)
        found += [e for e in batch if any(needle in (v or "").casefold() for v in (e.code, e.name, e.email))]
        if len(batch) < _PAGE:
            break
    more = len(found) > offset + limit
    return ok(
        DirectoryPage(kind=kind, entries=found[offset : offset + limit], next_offset=offset + limit if more else None)
    )


SPEC: ToolSpec = read(
    list_users,
    "Find users, organizations and groups",
    summary=(
        "Find user, organization and group codes (search, members of an organization or group); offered only "
        "with password auth or a User API token"
    ),
    needs_user_api=True,
)
