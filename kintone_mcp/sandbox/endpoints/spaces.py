"""Spaces: space.json (GET, PUT, DELETE), space/body.json, space/members.json (GET, PUT), template/space.json —
docs/kintone-api.md §4.6.

* Password (and session) callers only: app API tokens are refused with 403 GAIA_NO01 (``tokens=False``), OAuth by
  ``access.oauthscopes`` (§2.2).
* A private space (and every guest space) is seen only by its members (``store.spaces.can_see``); anyone else gets
  403 CB_NO02, as for an app they may not open. Changing a space, its body or members, and deleting it, needs a
  space admin.
* A guest space answers on its guest path (``/k/guest/ID/v1/``) only: on the normal path 400 GAIA_IL23, as for its
  apps; on another guest space's path 403 CB_NO02. Kintone's own answers here are unmeasured [U].
* Kintone's space.json does not list threads. ``SandboxConfig.space_json_threads`` (on) adds a ``threads`` list
  (id, name) as a sandbox extension, so that tools can show it; clients must not rely on it (docs/findings.md).
* Codes of unknown spaces and templates are the sandbox's choice ([U]): 404 GAIA_SP01 and 404 GAIA_ST01.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from kintone_mcp.sandbox.endpoints.apps import app_json
from kintone_mcp.sandbox.errors import ErrorReply, invalid
from kintone_mcp.sandbox.http.routing import RequestContext, Router
from kintone_mcp.sandbox.store import appstore, directory, spaces
from kintone_mcp.sandbox.store.spaces import DEFAULT_SETTINGS, Member, SpaceRow

router = Router()

MAX_NAME = 128
MAX_BODY = 65_535
ENTITY_TYPES = ("USER", "GROUP", "ORGANIZATION")
SPACE_NOT_FOUND = "GAIA_SP01"
TEMPLATE_NOT_FOUND = "GAIA_ST01"
#: the error code and noun of a member that does not exist (the codes record writes use for unknown entities)
UNKNOWN_ENTITY = {"USER": ("GAIA_IL26", "user"), "GROUP": ("GAIA_IL27", "group"),
                  "ORGANIZATION": ("GAIA_IL28", "organization")}


def no_such_space(space: int) -> ErrorReply:
    return ErrorReply(404, SPACE_NOT_FOUND, f"The space (ID: {space}) is not found, or it has been deleted.",
                      params={"id": space})


def load_visible(ctx: RequestContext, space_id: int, *, admin: bool = False) -> SpaceRow:
    """The space, after the path, visibility and (with ``admin``) space-admin checks."""
    space = spaces.get(ctx.conn, space_id)
    if space is None:
        raise no_such_space(space_id)
    if space.is_guest and ctx.guest_space is None:
        raise ErrorReply(400, "GAIA_IL23", f"The space (ID: {space_id}) is a guest space: call it through "
                                           f"/k/guest/{space_id}/v1/.", params={"space": space_id})
    if ctx.guest_space is not None and ctx.guest_space != space_id:
        raise ErrorReply(403, "CB_NO02", f"No privilege to proceed: space {space_id} is not guest space "
                                         f"{ctx.guest_space}.")
    if not spaces.can_see(ctx.conn, space, ctx.login):
        raise ErrorReply(403, "CB_NO02", f"No privilege to proceed: space {space_id} is private and "
                                         f"{ctx.login} is not a member.")
    if admin and spaces.member_role(ctx.conn, space_id, ctx.login) != "admin":
        raise ErrorReply(403, "CB_NO02", f"No privilege to proceed: only an admin of space {space_id} can change "
                                         "it.")
    return space


def _entity(names: directory.Names, member: Member) -> dict[str, str]:
    table = {"USER": names.users, "GROUP": names.groups, "ORGANIZATION": names.organizations}[member.type]
    return {"type": member.type, "code": member.code, "name": table.get(member.code, member.code)}


def space_json(ctx: RequestContext, space: SpaceRow) -> dict[str, Any]:
    names = directory.load_names(ctx.conn)
    attached = [app_json(ctx.conn, info, names.users) for info in appstore.list_apps(ctx.conn)
                if info.space_id == space.id]
    for app in attached:
        app.pop("spaceId", None)
    answer: dict[str, Any] = {
        "id": str(space.id),
        "name": space.name,
        "defaultThread": str(space.default_thread),
        "isPrivate": space.is_private,
        "creator": {"code": space.creator, "name": names.users.get(space.creator, space.creator)},
        "modifier": {"code": space.modifier, "name": names.users.get(space.modifier, space.modifier)},
        "memberCount": str(len(spaces.members(ctx.conn, space.id))),
        "coverType": "PRESET",
        "coverKey": "GREEN",
        "coverUrl": "",
        "body": space.body,
        "useMultiThread": space.use_multi_thread,
        "isGuest": space.is_guest,
        "attachedApps": attached,
        "fixedMember": space.fixed_member,
        **{key: bool(space.settings.get(key, default)) for key, default in DEFAULT_SETTINGS.items()},
        "permissions": {"createApp": space.settings.get("createApp", "EVERYONE")},
    }
    if ctx.services.config.space_json_threads:
        answer["threads"] = [{"id": str(t["id"]), "name": t["name"]} for t in spaces.threads(ctx.conn, space.id)]
    return answer


@router.route("GET", "space.json", tokens=False)
def get_space(ctx: RequestContext) -> dict[str, Any]:
    return space_json(ctx, load_visible(ctx, ctx.params.require_int("id")))


def _bool(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    raise invalid(key, "Specify true or false.")


def _name(value: Any, key: str = "name") -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid(key, "Required field.")
    if len(value) > MAX_NAME:
        raise invalid(key, f"Enter less than {MAX_NAME + 1} characters.")
    return value


_SPACE_FLAGS = {"isPrivate": "is_private", "useMultiThread": "use_multi_thread", "fixedMember": "fixed_member"}


@router.route("PUT", "space.json", tokens=False)
def update_space(ctx: RequestContext) -> dict[str, Any]:
    p = ctx.params
    space = load_visible(ctx, p.require_int("id"), admin=True)
    changes: dict[str, Any] = {}
    if "name" in p:
        changes["name"] = _name(p.raw("name"))
    for key, column in _SPACE_FLAGS.items():
        if key in p:
            changes[column] = int(_bool(p.raw(key), key))
    settings = dict(space.settings)
    for key in DEFAULT_SETTINGS:
        if key in p:
            settings[key] = _bool(p.raw(key), key)
    if "permissions" in p:
        permissions = p.raw("permissions")
        if not isinstance(permissions, Mapping) or permissions.get("createApp") not in ("EVERYONE", "ADMIN"):
            raise invalid("permissions.createApp", 'Specify "EVERYONE" or "ADMIN".')
        settings["createApp"] = permissions["createApp"]
    if space.is_guest and changes.get("is_private") == 0:
        raise invalid("isPrivate", "A guest space is always private.")
    changes["settings"] = settings
    spaces.update(ctx.conn, space.id, changes, modifier=ctx.login, now=ctx.services.now_text())
    return {}


@router.route("DELETE", "space.json", tokens=False)
def delete_space(ctx: RequestContext) -> dict[str, Any]:
    space = load_visible(ctx, ctx.params.require_int("id"), admin=True)
    spaces.delete(ctx.conn, space.id)
    return {}


@router.route("PUT", "space/body.json", tokens=False)
def update_body(ctx: RequestContext) -> dict[str, Any]:
    space = load_visible(ctx, ctx.params.require_int("id"), admin=True)
    body = ctx.params.require("body")
    if not isinstance(body, str):
        raise invalid("body", "Must be a string.")
    if len(body) > MAX_BODY:
        raise invalid("body", f"Enter less than {MAX_BODY + 1} characters.")
    spaces.update(ctx.conn, space.id, {"body": body}, modifier=ctx.login, now=ctx.services.now_text())
    return {}


@router.route("GET", "space/members.json", tokens=False)
def get_members(ctx: RequestContext) -> dict[str, Any]:
    space = load_visible(ctx, ctx.params.require_int("id"))
    names = directory.load_names(ctx.conn)
    return {
        "members": [
            {"entity": _entity(names, m), "isAdmin": m.is_admin, "isImplicit": False,
             "includeSubs": m.include_subs}
            for m in spaces.members(ctx.conn, space.id)
        ]
    }


def parse_members(conn: sqlite3.Connection, raw: Any) -> list[Member]:
    """``members`` of a PUT space/members.json or template/space.json, checked whole before anything is written:
    each entity exists, none twice, and at least one user is an admin (Kintone requires a space admin)."""
    if not isinstance(raw, list) or not raw:
        raise invalid("members", 'Specify a list such as [{"entity": {"type": "USER", "code": "sato"}, '
                                 '"isAdmin": true}].')
    result: list[Member] = []
    seen: set[tuple[str, str]] = set()
    for i, item in enumerate(raw):
        key = f"members[{i}]"
        entity = item.get("entity") if isinstance(item, Mapping) else None
        if not isinstance(entity, Mapping):
            raise invalid(f"{key}.entity", 'Specify {"type": "USER", "code": "..."}.')
        kind, code = entity.get("type"), entity.get("code")
        if kind not in ENTITY_TYPES:
            raise invalid(f"{key}.entity.type", f"Specify one of {', '.join(ENTITY_TYPES)}.")
        if not isinstance(code, str) or not code:
            raise invalid(f"{key}.entity.code", "Required field.")
        if not directory.mentionable(conn, kind, code):
            error_code, noun = UNKNOWN_ENTITY[kind]
            raise ErrorReply(400, error_code, f"The {noun} (code: {code}) is not found: check {key}.entity.code.",
                             errors={f"{key}.entity.code": {"messages": [f"The {noun} code {code!r} does not "
                                                                         "exist."]}},
                             params={noun: code})
        if (kind, code) in seen:
            raise invalid(f"{key}.entity", f"{kind} {code} is listed twice.")
        seen.add((kind, code))
        is_admin = _bool(item.get("isAdmin", False), f"{key}.isAdmin")
        subs = _bool(item.get("includeSubs", False), f"{key}.includeSubs")
        result.append(Member(kind, code, is_admin=is_admin, include_subs=subs and kind == "ORGANIZATION"))
    if not any(m.is_admin and m.type == "USER" for m in result):
        raise invalid("members", "At least one user must be a space admin (isAdmin: true).")
    return result


@router.route("PUT", "space/members.json", tokens=False)
def update_members(ctx: RequestContext) -> dict[str, Any]:
    space = load_visible(ctx, ctx.params.require_int("id"), admin=True)
    spaces.set_members(ctx.conn, space.id, parse_members(ctx.conn, ctx.params.require("members")))
    return {}


@router.route("POST", "template/space.json", tokens=False)
def create_from_template(ctx: RequestContext) -> dict[str, str]:
    p = ctx.params
    template_id = p.require_int("id")
    name = _name(p.require("name"))
    members = parse_members(ctx.conn, p.require("members"))
    template = spaces.template(ctx.conn, template_id)
    if template is None:
        raise ErrorReply(404, TEMPLATE_NOT_FOUND, f"The space template (ID: {template_id}) is not found.",
                         params={"id": template_id})
    guest = _bool(p.raw("isGuest"), "isGuest") if "isGuest" in p else False
    private = _bool(p.raw("isPrivate"), "isPrivate") if "isPrivate" in p else False
    fixed = _bool(p.raw("fixedMember"), "fixedMember") if "fixedMember" in p else False
    now = ctx.services.now_text()
    space = spaces.add_space(
        ctx.conn, name, guest=guest, private=private or guest, body=template["body"],
        use_multi_thread=bool(template["use_multi_thread"]), fixed_member=fixed, creator=ctx.login, now=now,
        members=members,
    )
    for thread_name in json.loads(template["threads"]):
        spaces.add_thread(ctx.conn, space, thread_name, creator=ctx.login, now=now)
    return {"id": str(space)}
