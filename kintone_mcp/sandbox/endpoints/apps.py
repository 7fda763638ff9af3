"""Reading apps and their settings: apps.json, app.json, form fields / layout, views, process management.

Each settings GET has a ``preview/`` twin that shows the pre-live settings (and needs the manage permission).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from kintone_mcp.sandbox.errors import ErrorReply
from kintone_mcp.sandbox.http.params import to_int
from kintone_mcp.sandbox.http.routing import RequestContext, Router
from kintone_mcp.sandbox.store import appdefs, appstore, spaces
from kintone_mcp.sandbox.store.appstore import AppInfo
from kintone_mcp.sandbox.store.directory import load_names

router = Router()

MAX_APPS = 100


def _iso_millis(stamp: str) -> str:
    # App timestamps are reported with milliseconds ("2024-04-01T09:00:00.000Z"); we store minute precision.
    return stamp[:-1] + ".000Z" if stamp.endswith("Z") and "." not in stamp else stamp


def app_json(conn: sqlite3.Connection, info: AppInfo, users: dict[str, str] | None = None) -> dict[str, Any]:
    names = users if users is not None else load_names(conn).users
    return {
        "appId": str(info.id),
        "code": info.code,
        "name": info.name,
        "description": info.description,
        "spaceId": None if info.space_id is None else str(info.space_id),
        "threadId": None if info.thread_id is None else str(info.thread_id),
        "createdAt": _iso_millis(info.created_at),
        "creator": {"code": info.creator, "name": names.get(info.creator, info.creator)},
        "modifiedAt": _iso_millis(info.modified_at),
        "modifier": {"code": info.modifier, "name": names.get(info.modifier, info.modifier)},
    }


@router.route("GET", "apps.json", tokens=False)
def get_apps(ctx: RequestContext) -> dict[str, Any]:
    p = ctx.params
    ids = [to_int(v, f"ids[{i}]") for i, v in enumerate(p.get_list("ids", max_items=MAX_APPS))]
    codes = [str(v) for v in p.get_list("codes", max_items=MAX_APPS)]
    space_ids = [to_int(v, f"spaceIds[{i}]") for i, v in enumerate(p.get_list("spaceIds", max_items=MAX_APPS))]
    name = p.get_str("name")
    if name is not None:
        appdefs.check_app_name(name)
    limit = p.get_int("limit", required=False, minimum=1, maximum=MAX_APPS, default=MAX_APPS)
    offset = p.get_int("offset", required=False, minimum=0, maximum=2147483647, default=0)
    assert limit is not None and offset is not None
    guest_ids = spaces.guest_space_ids(ctx.conn)
    selected = []
    for info in appstore.list_apps(ctx.conn):
        in_guest = info.space_id in guest_ids
        # The normal path lists apps outside guest spaces; a guest path lists the apps of that guest space.
        if (ctx.guest_space is None and in_guest) or (ctx.guest_space is not None and info.space_id != ctx.guest_space):
            continue
        if ids and info.id not in ids:
            continue
        if codes and info.code not in codes:
            continue
        if space_ids and info.space_id not in space_ids:
            continue
        if name and name.lower() not in info.name.lower():
            continue
        if info.allowed_users is not None and ctx.login not in info.allowed_users and not ctx.is_admin:
            continue
        selected.append(info)
    users = load_names(ctx.conn).users
    return {"apps": [app_json(ctx.conn, a, users) for a in selected[offset : offset + limit]]}


@router.route("GET", "app.json")
def get_app(ctx: RequestContext) -> dict[str, Any]:
    info = ctx.app_param("view", "id")
    return app_json(ctx.conn, info)


def _settings(ctx: RequestContext, *, preview: bool) -> tuple[dict[str, Any], int]:
    """The settings of the app named by ``app``: live ones need the right to view or add records or to manage the
    app, preview ones the right to manage it (cybozu.dev, "required permissions" of each settings read)."""
    info = ctx.app_param("manage" if preview else ("view", "add", "manage"))
    if preview:
        return info.preview, info.preview_revision
    return info.live, info.live_revision


def _register_settings_getters() -> None:
    for prefix, preview in (("", False), ("preview/", True)):

        def fields(ctx: RequestContext, preview: bool = preview) -> dict[str, Any]:
            settings, revision = _settings(ctx, preview=preview)
            return {"properties": settings["properties"], "revision": str(revision)}

        def layout(ctx: RequestContext, preview: bool = preview) -> dict[str, Any]:
            settings, revision = _settings(ctx, preview=preview)
            return {"layout": settings["layout"], "revision": str(revision)}

        def views(ctx: RequestContext, preview: bool = preview) -> dict[str, Any]:
            settings, revision = _settings(ctx, preview=preview)
            if ctx.principal.uses_token and any(v.get("type") == "CUSTOM" for v in settings["views"].values()):
                # docs/kintone-api.md §2.2: an app with a custom (HTML) view does not give its views to API tokens.
                raise ErrorReply(
                    403,
                    "GAIA_NO01",
                    "Using this API token, you cannot run the specified API: the app has a custom view, and the "
                    "views of such an app are given to password (or OAuth) callers only.",
                )
            return {"views": settings["views"], "revision": str(revision)}

        def status(ctx: RequestContext, preview: bool = preview) -> dict[str, Any]:
            settings, revision = _settings(ctx, preview=preview)
            return {**settings["status"], "revision": str(revision)}

        def general(ctx: RequestContext, preview: bool = preview) -> dict[str, Any]:
            settings, revision = _settings(ctx, preview=preview)
            return {
                "name": settings["name"],
                "description": settings.get("description", ""),
                **appdefs.GENERAL_DEFAULTS,
                **(settings.get("general") or {}),
                "revision": str(revision),
            }

        router.route("GET", f"{prefix}app/form/fields.json")(fields)
        router.route("GET", f"{prefix}app/form/layout.json")(layout)
        router.route("GET", f"{prefix}app/views.json")(views)
        router.route("GET", f"{prefix}app/status.json")(status)
        router.route("GET", f"{prefix}app/settings.json")(general)


_register_settings_getters()
