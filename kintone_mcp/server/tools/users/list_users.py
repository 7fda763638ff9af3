"""The ``list_users`` tool: users, organizations and groups found by name, code or membership, for their codes."""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Literal

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.client.errors import ApiError
from kintone_mcp.server.errors import ToolInputError
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
    #: what member_of was taken to be, so the answer cannot be read as an unfiltered list
    note: str | None = None


Fetch = Callable[[int, int], Awaitable[list[DirectoryEntry]]]
#: member_of may say which kind of code it is, for a code that is both an organization's and a group's.
_PREFIXES = {"organization:": "organization", "group:": "group"}


def _person(user: User) -> DirectoryEntry:
    return DirectoryEntry(code=user.code, name=user.name, email=user.email or None, valid=user.valid)


def _fetcher(client: KintoneClient, kind: Kind, codes: list[str] | None) -> Fetch:
    async def users(offset: int, size: int) -> list[DirectoryEntry]:
        return [_person(u) for u in await client.list_users(codes=codes, offset=offset, size=size)]

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

    return {"users": users, "organizations": organizations, "groups": groups}[kind]


async def _all(fetch: Fetch) -> list[DirectoryEntry]:
    out: list[DirectoryEntry] = []
    while len(out) < MAX_SCANNED:
        batch = await fetch(len(out), _PAGE)
        out += batch
        if len(batch) < _PAGE:
            break
    return out


async def _exists(fetch: Fetch) -> DirectoryEntry | None:
    try:
        found = await fetch(0, 1)
    except ApiError:
        return None  # the User API refuses an unknown code on some endpoints rather than answering nothing
    return found[0] if found else None


async def _container(client: KintoneClient, given: str) -> tuple[str, DirectoryEntry]:
    """The organization or group ``given`` names by its code: ("organization" | "group", entry). Raises
    ToolInputError saying what the text is instead (a display name, a near miss), never guessing."""
    text = given.strip()
    kinds = ["organization", "group"]
    for prefix, only in _PREFIXES.items():
        if text.lower().startswith(prefix):
            text, kinds = text[len(prefix) :].strip(), [only]
    hits: list[tuple[str, DirectoryEntry]] = []
    for kind in kinds:
        plural: Kind = "organizations" if kind == "organization" else "groups"
        entry = await _exists(_fetcher(client, plural, [text]))
        if entry is not None:
            hits.append((kind, entry))
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise ToolInputError(
            f"{text!r} is the code of an organization ({hits[0][1].name}) and of a group ({hits[1][1].name}): say "
            f'which with member_of="organization:{text}" or member_of="group:{text}".'
        )
    named: list[tuple[str, DirectoryEntry]] = []
    for kind in kinds:
        plural = "organizations" if kind == "organization" else "groups"
        named += [(kind, e) for e in await _all(_fetcher(client, plural, None))]
    what = " or ".join(kinds)
    by_name = [(k, e) for k, e in named if e.name.casefold() == text.casefold()]
    if by_name:
        shown = "; ".join(f'the {k} {e.name!r} has the code {e.code!r}: member_of="{e.code}"' for k, e in by_name)
        raise ToolInputError(f"{text!r} is a display name, not a code: {shown}. Call again with the code.")
    labels = {e.code: (k, e) for k, e in named} | {e.name: (k, e) for k, e in named}
    close = difflib.get_close_matches(text, list(labels), n=3, cutoff=0.6)
    close += [c for c in labels if text.casefold() in c.casefold() and c not in close]
    near = list({(k, e.code): (k, e) for k, e in (labels[c] for c in close)}.values())[:3]
    hint = (
        "Did you mean " + " or ".join(f'the {k} {e.name!r} (member_of="{e.code}")' for k, e in near) + "?"
        if near
        else 'list_users kind="organizations" (or "groups") lists the codes.'
    )
    raise ToolInputError(f"No {what} has the code {text!r}, and none is named so. {hint}")


async def _user(client: KintoneClient, given: str) -> DirectoryEntry:
    text = given.strip()
    entry = await _exists(_fetcher(client, "users", [text]))
    if entry is not None:
        return entry
    people = await _all(_fetcher(client, "users", None))
    near = [u for u in people if text.casefold() in u.name.casefold() or u.name.casefold() in text.casefold()]
    hint = (
        "Did you mean " + " or ".join(f'{u.name} (member_of="{u.code}")' for u in near[:3]) + "?"
        if near
        else 'list_users search="…" finds user codes.'
    )
    raise ToolInputError(
        f"With kind organizations or groups, member_of is a user's code (the login name), and no user has the code "
        f"{text!r}. {hint}"
    )


async def _members(
    client: KintoneClient, kind: Kind, member_of: str, codes: list[str] | None
) -> tuple[Fetch, str]:
    """What a member_of question lists, and a note saying what member_of was taken to be."""
    wanted = set(codes) if codes else None

    def only_wanted(entries: list[DirectoryEntry]) -> list[DirectoryEntry]:
        return entries if wanted is None else [e for e in entries if e.code in wanted]

    def sliced(entries: list[DirectoryEntry]) -> Fetch:
        async def fetch(offset: int, size: int) -> list[DirectoryEntry]:
            return entries[offset : offset + size]

        return fetch

    if kind == "users":
        container, entry = await _container(client, member_of)

        async def members(offset: int, size: int) -> list[DirectoryEntry]:
            if container == "organization":
                people = [t.user for t in await client.get_organization_users(entry.code, offset=offset, size=size)]
            else:
                people = await client.get_group_users(entry.code, offset=offset, size=size)
            return [_person(u) for u in people]

        note = f"Members of the {container} {entry.code!r} ({entry.name})."
        # With codes as well, the members are read whole and filtered: a filtered page would end paging early.
        return (sliced(only_wanted(await _all(members))) if wanted else members), note
    user = await _user(client, member_of)
    if kind == "organizations":
        belongs = [DirectoryEntry(code=t.organization.code, name=t.organization.name)
                   for t in await client.get_user_organizations(user.code)]  # fmt: skip
    else:
        belongs = [DirectoryEntry(code=g.code, name=g.name) for g in await client.get_user_groups(user.code)]

    return sliced(only_wanted(belongs)), f"The {kind} the user {user.code!r} ({user.name}) belongs to."


async def list_users(
    ctx: Ctx,
    kind: Kind = "users",
    search: Annotated[str | None, Field(description="Part of a name, code or email, any case.")] = None,
    codes: Annotated[list[str] | None, Field(max_length=100, description="Exactly these codes.")] = None,
    member_of: Annotated[
        str | None,
        Field(description="users: members of this org or group code; others: those this user is in."),
    ] = None,
    limit: Annotated[int, Field(ge=1, le=100)] = 30,
    offset: OffsetArg = 0,
) -> Annotated[CallToolResult, DirectoryPage]:
    """Find users, organizations or groups and their codes.

    User, organization and group fields take codes (a user's is the login name), not names: find them here,
    e.g. search="sato" before setting owner: ["sato"].
    """
    client = state_of(ctx).client
    note = None
    if member_of is not None and member_of.strip():
        fetch, note = await _members(client, kind, member_of, codes)
    elif member_of is not None:
        raise ToolInputError("member_of is empty: give an organization or group code, or leave it out.")
    else:
        fetch = _fetcher(client, kind, codes)
    if not search:
        entries = await fetch(offset, limit)
        more = len(entries) == limit
        return ok(DirectoryPage(kind=kind, entries=entries, next_offset=offset + limit if more else None, note=note))
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
        DirectoryPage(
            kind=kind, entries=found[offset : offset + limit], next_offset=offset + limit if more else None, note=note
        )
    )


SPEC: ToolSpec = read(
    list_users,
    "Find users, organizations and groups",
    summary=(
        "Find user, organization and group codes (search, members of an organization or group); offered only "
        "with password auth or a User API token"
    ),
    needs=("user_api",),
    toolset="users",
)
