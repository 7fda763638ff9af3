"""The cybozu.com User API under ``/v1/`` (docs/kintone-api.md §4.7): users, organizations, groups and memberships.

Who may call what:

* Reads need any login (password, or a User API token of any scope).
* Writes need a cybozu.com administrator: with a password, a member of the Administrators group (the Administrator
  user always counts); with a User API token, the ``read_write`` scope, or ``dangerous`` for anything touching a
  member of the Administrators group (or the group itself) and for group-membership writes (cybozu.dev requires
  Dangerous Zone for PUT user/groups.json and PUT group/users.json).
* App API tokens are refused before any of this (``access.principals.authenticate``), and User API tokens never
  reach ``/k/``.

Request shapes of the writes, and their validation, are in ``directorywrite``; object shapes in ``directoryjson``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kintone_mcp.sandbox.access.userapitokens import USER_API_SCOPES
from kintone_mcp.sandbox.errors import ErrorReply, invalid
from kintone_mcp.sandbox.http.params import to_int
from kintone_mcp.sandbox.http.routing import Handler, RequestContext, Router
from kintone_mcp.sandbox.store import directory, directoryjson, directorywrite
from kintone_mcp.sandbox.store.directory import ADMIN_LOGIN, ADMINISTRATORS_GROUP

router = Router()

MAX_SIZE = 100


def _route(method: str, path: str) -> Callable[[Handler], Handler]:
    return router.route(method, path, api="user", tokens=False)


# -- access ---------------------------------------------------------------------------------------------------------


def _is_administrator(ctx: RequestContext, login: str) -> bool:
    return login == ADMIN_LOGIN or ADMINISTRATORS_GROUP in directory.user_groups(ctx.conn, login)


def _require(ctx: RequestContext, scope: str, what: str) -> None:
    """Refuse the call unless the caller may do ``what``, which needs ``scope`` from a User API token."""
    principal = ctx.principal
    if principal.scheme == "user_api_token":
        held = principal.user_api_scope or "read"
        if USER_API_SCOPES.index(held) < USER_API_SCOPES.index(scope):
            raise ErrorReply(
                403,
                "CB_NO02",
                f"No privilege to proceed: {what} needs a User API token with the '{scope}' scope; this token has "
                f"'{held}'. Issue a token with a wider scope (sandbox: --user-api-token TOKEN:{scope}).",
            )
        return
    if scope != "read" and not _is_administrator(ctx, principal.login):
        raise ErrorReply(
            403,
            "CB_NO02",
            f"No privilege to proceed: {what} needs cybozu.com administrator rights, and {principal.login} is not "
            f"in the {ADMINISTRATORS_GROUP} group. Log in as Administrator (or another administrator).",
        )


def _write_scope(ctx: RequestContext, users: Sequence[str] = (), *, administrators_group: bool = False) -> str:
    """``dangerous`` when the write touches the Administrators group or one of its members, else ``read_write``."""
    if administrators_group:
        return "dangerous"
    members = {*directory.group_members(ctx.conn, ADMINISTRATORS_GROUP), ADMIN_LOGIN}
    return "dangerous" if members.intersection(users) else "read_write"


# -- paging and filters ---------------------------------------------------------------------------------------------


def _paging(ctx: RequestContext) -> tuple[int, int]:
    size = ctx.params.get_int("size", required=False, minimum=1, maximum=MAX_SIZE, default=MAX_SIZE)
    offset = ctx.params.get_int("offset", required=False, minimum=0, default=0)
    assert size is not None and offset is not None
    return offset, size


def _id_code_filter(ctx: RequestContext, alias: str) -> tuple[str, list[Any]]:
    """``ids[]`` / ``codes[]`` (each at most 100): an entry matches when either list names it [U: or vs and]."""
    p = ctx.params
    ids = [to_int(v, f"ids[{i}]", minimum=1) for i, v in enumerate(p.get_list("ids", max_items=MAX_SIZE))]
    codes = [str(v) for v in p.get_list("codes", max_items=MAX_SIZE)]
    clauses: list[str] = []
    params: list[Any] = []
    if ids:
        clauses.append(f"{alias}.id IN ({','.join('?' * len(ids))})")
        params += ids
    if codes:
        clauses.append(f"{alias}.code IN ({','.join('?' * len(codes))})")
        params += codes
    return (" OR ".join(clauses) or "1"), params


def _required_code(ctx: RequestContext, table: str, what: str) -> str:
    code = ctx.params.get_str("code", required=True)
    assert code is not None
    if not directory.exists(ctx.conn, table, code):
        raise invalid("code", f"No {what} with the code '{code}'.")
    return code


# -- reads ----------------------------------------------------------------------------------------------------------


@_route("GET", "users.json")
def get_users(ctx: RequestContext) -> dict[str, Any]:
    where, params = _id_code_filter(ctx, "u")
    offset, size = _paging(ctx)
    return {"users": directoryjson.users(ctx.conn, where, params, offset=offset, size=size)}


@_route("GET", "organizations.json")
def get_organizations(ctx: RequestContext) -> dict[str, Any]:
    where, params = _id_code_filter(ctx, "o")
    offset, size = _paging(ctx)
    return {"organizations": directoryjson.organizations(ctx.conn, where, params, offset=offset, size=size)}


@_route("GET", "groups.json")
def get_groups(ctx: RequestContext) -> dict[str, Any]:
    where, params = _id_code_filter(ctx, "g")
    offset, size = _paging(ctx)
    return {"groups": directoryjson.groups(ctx.conn, where, params, offset=offset, size=size)}


@_route("GET", "user/organizations.json")
def get_user_organizations(ctx: RequestContext) -> dict[str, Any]:
    code = _required_code(ctx, "users", "user")
    orgs = directoryjson.organizations(
        ctx.conn, "o.code IN (SELECT org_code FROM org_users WHERE user_code = ?)", [code]
    )
    # Titles are not modelled: each entry's title is null (the documented value for "no title").
    return {"organizationTitles": [{"organization": org, "title": None} for org in orgs]}


@_route("GET", "user/groups.json")
def get_user_groups(ctx: RequestContext) -> dict[str, Any]:
    code = _required_code(ctx, "users", "user")
    where = "g.code IN (SELECT group_code FROM group_users WHERE user_code = ?)"
    return {"groups": directoryjson.groups(ctx.conn, where, [code])}


@_route("GET", "organization/users.json")
def get_organization_users(ctx: RequestContext) -> dict[str, Any]:
    code = _required_code(ctx, "organizations", "organization")
    offset, size = _paging(ctx)
    where = "u.code IN (SELECT user_code FROM org_users WHERE org_code = ?)"
    users = directoryjson.users(ctx.conn, where, [code], offset=offset, size=size)
    return {"userTitles": [{"user": user, "title": None} for user in users]}


@_route("GET", "group/users.json")
def get_group_users(ctx: RequestContext) -> dict[str, Any]:
    code = _required_code(ctx, "groups", "group")
    offset, size = _paging(ctx)
    where = "u.code IN (SELECT user_code FROM group_users WHERE group_code = ?)"
    return {"users": directoryjson.users(ctx.conn, where, [code], offset=offset, size=size)}


# -- user writes ----------------------------------------------------------------------------------------------------


@_route("POST", "users.json")
def add_users(ctx: RequestContext) -> dict[str, Any]:
    _require(ctx, "read_write", "Adding users")
    changes = directorywrite.validate_users(ctx.conn, directorywrite.entries(ctx.params.data, "users"), new=True)
    directorywrite.apply_users(ctx.conn, changes, new=True, now=ctx.services.now_text())
    return {}


@_route("PUT", "users.json")
def update_users(ctx: RequestContext) -> dict[str, Any]:
    _require(ctx, "read_write", "Updating users")
    changes = directorywrite.validate_users(ctx.conn, directorywrite.entries(ctx.params.data, "users"), new=False)
    _require(ctx, _write_scope(ctx, [c.code for c in changes]), "Updating a member of the Administrators group")
    directorywrite.apply_users(ctx.conn, changes, new=False, now=ctx.services.now_text())
    return {}


@_route("DELETE", "users.json")
def delete_users(ctx: RequestContext) -> dict[str, Any]:
    _require(ctx, "read_write", "Deleting users")
    codes = directorywrite.code_list(ctx.params.data)
    directorywrite.validate_user_deletion(ctx.conn, codes)
    _require(ctx, _write_scope(ctx, codes), "Deleting a member of the Administrators group")
    directorywrite.delete_users(ctx.conn, codes)
    return {}


@_route("PUT", "userOrganizations.json")
def update_user_organizations(ctx: RequestContext) -> dict[str, Any]:
    _require(ctx, "read_write", "Updating users' organizations")
    items = directorywrite.validate_user_organizations(
        ctx.conn, directorywrite.entries(ctx.params.data, "userOrganizations")
    )
    _require(ctx, _write_scope(ctx, [user for user, _ in items]), "Changing a member of the Administrators group")
    now = ctx.services.now_text()
    for user, orgs in items:
        directorywrite.set_user_organizations(ctx.conn, user, orgs, now=now)
    return {}


@_route("PUT", "user/groups.json")
def update_user_groups(ctx: RequestContext) -> dict[str, Any]:
    _require(ctx, "dangerous", "Updating a user's groups")
    user, groups = directorywrite.validate_members(
        ctx.conn, ctx.params.data, owner_table="users", owner_what="user (login name)", list_key="groups",
        member_table="groups", member_what="group code",
    )
    if user == ADMIN_LOGIN and ADMINISTRATORS_GROUP not in groups:
        raise invalid("groups", f"The Administrator user must stay in the {ADMINISTRATORS_GROUP} group.")
    directory.set_user_groups(ctx.conn, user, groups)
    return {}


# -- organization and group writes ----------------------------------------------------------------------------------


@_route("POST", "organizations.json")
def add_organizations(ctx: RequestContext) -> dict[str, Any]:
    _require(ctx, "read_write", "Adding organizations")
    items = directorywrite.entries(ctx.params.data, "organizations")
    changes = directorywrite.validate_organizations(ctx.conn, items, new=True)
    directorywrite.apply_organizations(ctx.conn, changes, new=True)
    return {}


@_route("PUT", "organizations.json")
def update_organizations(ctx: RequestContext) -> dict[str, Any]:
    _require(ctx, "read_write", "Updating organizations")
    items = directorywrite.entries(ctx.params.data, "organizations")
    changes = directorywrite.validate_organizations(ctx.conn, items, new=False)
    directorywrite.apply_organizations(ctx.conn, changes, new=False)
    return {}


@_route("DELETE", "organizations.json")
def delete_organizations(ctx: RequestContext) -> dict[str, Any]:
    _require(ctx, "read_write", "Deleting organizations")
    codes = directorywrite.code_list(ctx.params.data)
    directorywrite.validate_organization_deletion(ctx.conn, codes)
    directorywrite.delete_organizations(ctx.conn, codes)
    return {}


@_route("POST", "groups.json")
def add_groups(ctx: RequestContext) -> dict[str, Any]:
    _require(ctx, "read_write", "Adding groups")
    changes = directorywrite.validate_groups(ctx.conn, directorywrite.entries(ctx.params.data, "groups"), new=True)
    directorywrite.apply_groups(ctx.conn, changes, new=True)
    return {}


@_route("PUT", "groups.json")
def update_groups(ctx: RequestContext) -> dict[str, Any]:
    _require(ctx, "read_write", "Updating groups")
    changes = directorywrite.validate_groups(ctx.conn, directorywrite.entries(ctx.params.data, "groups"), new=False)
    touches = any(c.code == ADMINISTRATORS_GROUP for c in changes)
    _require(ctx, _write_scope(ctx, administrators_group=touches), "Updating the Administrators group")
    directorywrite.apply_groups(ctx.conn, changes, new=False)
    return {}


@_route("DELETE", "groups.json")
def delete_groups(ctx: RequestContext) -> dict[str, Any]:
    _require(ctx, "read_write", "Deleting groups")
    codes = directorywrite.code_list(ctx.params.data)
    directorywrite.validate_group_deletion(ctx.conn, codes)
    directorywrite.delete_groups(ctx.conn, codes)
    return {}


@_route("PUT", "group/users.json")
def update_group_users(ctx: RequestContext) -> dict[str, Any]:
    _require(ctx, "dangerous", "Updating a group's users")
    group, users = directorywrite.validate_members(
        ctx.conn, ctx.params.data, owner_table="groups", owner_what="group (group code)", list_key="users",
        member_table="users", member_what="login name",
    )
    if group == ADMINISTRATORS_GROUP and ADMIN_LOGIN not in users:
        raise invalid("users", f"The Administrator user must stay in the {ADMINISTRATORS_GROUP} group.")
    directory.set_group_users(ctx.conn, group, users)
    return {}
