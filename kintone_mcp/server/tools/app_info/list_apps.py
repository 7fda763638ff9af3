"""The ``list_apps`` tool: the apps this connection can use, with id, name and app code."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.client.errors import CredentialsMissingError, KintoneError, NotFoundError, PermissionDeniedError
from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import ServerState, state_of
from kintone_mcp.server.tools.arguments import Ctx, InRange, OffsetArg
from kintone_mcp.server.tools.outputs import AppBrief, app_brief
from kintone_mcp.server.tools.spec import ToolSpec, read

if TYPE_CHECKING:
    from kintone_mcp.client.models.apps import App


class AppList(Out):
    apps: list[AppBrief]
    next_offset: int | None = Field(None, description="pass as offset for more")
    note: str | None = None


async def _apps_from_configuration(state: ServerState, name: str | None) -> list[App]:
    """Apps named by the configuration (default app, aliases, allow list), for tokens that do not say their app."""
    policy = state.policy
    ids = {*(policy.aliases.values()), *(policy.allow_apps or ())}
    if policy.default_app is not None:
        ids.add(policy.default_app)
    apps = []
    for app_id in sorted(ids):
        try:
            apps.append(await state.client.get_app(app_id))
        except (NotFoundError, PermissionDeniedError):
            continue
    return [a for a in apps if not name or name.casefold() in a.name.casefold()]


async def list_apps(
    ctx: Ctx,
    name: Annotated[str | None, Field(description="Part of the app name, any case.")] = None,
    ids: Annotated[
        list[Annotated[int, InRange]] | None, Field(max_length=100, description="Only these app ids.")
    ] = None,
    space_id: Annotated[int | None, Field(description="Only apps in this space."), InRange] = None,
    limit: Annotated[int, Field(ge=1, le=100)] = 50,
    offset: OffsetArg = 0,
) -> Annotated[CallToolResult, AppList]:
    """List the Kintone apps this connection can use: id, name, app code.

    Find an app's id by name here, then call get_app for its fields. Guest-space apps come last. With API tokens
    (which Kintone lets list no apps) it lists the tokens' apps.
    """
    state = state_of(ctx)
    note = None
    try:
        apps = await state.client.list_apps(
            ids=ids, name=name, space_ids=[space_id] if space_id else None, limit=limit, offset=offset, guest_space=None
        )
    except CredentialsMissingError:
        apps = (await _apps_from_configuration(state, name))[offset : offset + limit]
        note = (
            "API tokens cannot list apps; these are the apps named in the configuration. Give tokens as "
            "APP_ID:TOKEN to list every token's app."
        )
    more = len(apps) == limit
    if not more and note is None:
        # The normal list is complete: guest-space apps follow it, since Kintone lists them only on their own
        # space's path (docs/kintone-api.md §1).
        listed = {a.app_id for a in apps}
        apps = apps + [a for a in await _guest_apps(state, name, ids, space_id, listed) if a.app_id not in listed]
        if not state.client.known_guest_spaces:
            # Kintone has no call that lists guest spaces: say that their apps can be missing, and how to list them.
            note = (
                "Apps in guest spaces are listed once their space is known: name such an app by id (or alias), or "
                "set KINTONE_GUEST_SPACE_ID."
            )
    visible = [app_brief(a) for a in apps if state.policy.app_allowed(a.app_id)]
    return ok(AppList(apps=visible, next_offset=offset + limit if more else None, note=note))


async def _guest_apps(
    state: ServerState, name: str | None, ids: list[int] | None, space_id: int | None, listed: set[int]
) -> list[App]:
    """Apps of the guest spaces this connection knows: the configured one, those apps were found in, and those of
    the apps the configuration or the call names (read one by one, which teaches the client their space)."""
    client = state.client
    policy = state.policy
    named = set(ids or ()) | set(policy.aliases.values()) | set(policy.allow_apps or ())
    if policy.default_app is not None:
        named.add(policy.default_app)
    for app_id in sorted(named - listed):
        try:
            await client.get_app(app_id)
        except KintoneError:
            continue  # not there, or not visible: nothing to list
    spaces = set(client.known_guest_spaces)
    if space_id is not None:
        spaces &= {space_id}
    found: list[App] = []
    for space in sorted(spaces):
        try:
            found += await client.list_all_apps(name=name, guest_space=space)
        except KintoneError:
            continue
    return [a for a in found if not ids or a.app_id in ids]


SPEC: ToolSpec = read(
    list_apps,
    "List apps",
    summary="Apps this connection can use (name filter, ids, space, paging); with API tokens, the tokens' apps",
    toolset="core",
)
