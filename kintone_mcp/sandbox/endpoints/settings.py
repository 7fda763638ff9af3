"""Changing apps the way Kintone does: create in preview, change preview settings, then deploy.

Preview changes are invisible to records and to the live settings APIs until ``preview/app/deploy.json``.
Deploys take effect at once; the status reports PROCESSING for ``SandboxConfig.deploy_seconds`` first (0 by
default, so a poll right after answers SUCCESS).
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Mapping
from typing import Any

from kintone_mcp.sandbox.errors import ErrorReply, invalid
from kintone_mcp.sandbox.http.params import to_int
from kintone_mcp.sandbox.http.routing import RequestContext, Router
from kintone_mcp.sandbox.store import appdefs, appstore, filestore, layouts, spaces
from kintone_mcp.sandbox.store.appdefs import SYSTEM_TYPES, JsonDict
from kintone_mcp.sandbox.store.appstore import AppInfo

logger = logging.getLogger(__name__)
router = Router()


def check_revision(ctx: RequestContext, current: int, key: str = "revision") -> None:
    """Optimistic lock of settings writes: a stale ``revision`` (other than -1) is 409 GAIA_CO02."""
    if key not in ctx.params:
        return
    expected = to_int(ctx.params.raw(key), key)
    if expected != -1 and expected != current:
        raise ErrorReply(
            409,
            "GAIA_CO02",
            f"The revision is not the latest: you sent {expected} but the settings are at {current}. "
            "Read the settings again and retry.",
        )


def _preview_app(ctx: RequestContext) -> AppInfo:
    info = ctx.app_param("manage")
    check_revision(ctx, info.preview_revision)
    return info


def _save(
    ctx: RequestContext, info: AppInfo, preview: JsonDict, renamed: Mapping[str, str] | None = None
) -> dict[str, str]:
    # The stored layout follows the fields: deleted ones leave it, new ones are appended (store/layouts.py).
    preview["layout"] = layouts.reconcile(preview.get("layout") or [], preview["properties"], renamed)
    revision = appstore.save_preview(ctx.conn, info, preview, modifier=ctx.login, now=ctx.services.now_text())
    return {"revision": str(revision)}


@router.route("POST", "preview/app.json", tokens=False)
def add_app(ctx: RequestContext) -> dict[str, str]:
    p = ctx.params
    name = p.get_str("name", required=True)
    assert name is not None
    appdefs.check_app_name(name)
    space = p.get_int("space", required=False)
    if space is None and ctx.guest_space is not None:
        space = ctx.guest_space
    thread = p.get_int("thread", required=False)
    if space is not None:
        row = spaces.load_space(ctx.conn, space)
        if row is None:
            raise invalid("space", f"The space (ID: {space}) does not exist.")
        if row["is_guest"] and ctx.guest_space is None:
            raise ErrorReply(
                400,
                "GAIA_IL23",
                f"Space {space} is a guest space: create its apps through /k/guest/{space}/v1/.",
                params={"space": space},
            )
        if ctx.guest_space is not None and space != ctx.guest_space:
            raise ErrorReply(403, "CB_NO02", f"No privilege to proceed: space {space} is not guest space "
                             f"{ctx.guest_space}.")
        thread = thread if thread is not None else int(row["default_thread"])
    elif ctx.guest_space is not None:
        raise ErrorReply(403, "CB_NO02", f"No privilege to proceed: guest space {ctx.guest_space} does not exist.")
    app_id = appstore.create_app(
        ctx.conn, name=name, creator=ctx.login, now=ctx.services.now_text(), space_id=space, thread_id=thread
    )
    return {"app": str(app_id), "revision": "1"}


def _properties_param(ctx: RequestContext) -> Mapping[str, Any]:
    props = ctx.params.require("properties")
    if not isinstance(props, Mapping) or not props:
        raise invalid("properties", "Send an object of field definitions keyed by field code.")
    return props


def _check_lookups(ctx: RequestContext, props: Mapping[str, Any]) -> None:
    for code, prop in props.items():
        for inner_code, inner in [(code, prop), *prop.get("fields", {}).items()]:
            lookup = appdefs.lookup_of(inner)
            if lookup is None:
                continue
            related = appstore.load_app(ctx.conn, int(lookup["relatedApp"]["app"]))
            if related is None:
                raise invalid(f"properties.{inner_code}.lookup.relatedApp.app", "The related app does not exist.")
            related_props = related.live["properties"]
            key = lookup["relatedKeyField"]
            if key not in related_props:
                raise invalid(
                    f"properties.{inner_code}.lookup.relatedKeyField",
                    f"The related app has no field {key!r}.",
                )
            for i, mapping in enumerate(lookup["fieldMappings"]):
                if mapping["relatedField"] not in related_props:
                    raise invalid(
                        f"properties.{inner_code}.lookup.fieldMappings[{i}].relatedField",
                        f"The related app has no field {mapping['relatedField']!r}.",
                    )


@router.route("POST", "preview/app/form/fields.json")
def add_fields(ctx: RequestContext) -> dict[str, str]:
    info = _preview_app(ctx)
    preview = copy.deepcopy(info.preview)
    props: JsonDict = preview["properties"]
    existing = appdefs.all_codes(props)
    for code, raw in _properties_param(ctx).items():
        key = f"properties.{code}"
        prop = appdefs.normalize_property(str(code), raw, key=key)
        new_codes = {str(code)} | set(prop.get("fields", {}))
        clash = sorted(new_codes & existing)
        if clash:
            raise invalid(f"{key}.code", f"The field code {clash[0]!r} is already used in this app.")
        existing |= new_codes
        props[str(code)] = prop
    for code, prop in props.items():
        for i, mapping in enumerate((appdefs.lookup_of(prop) or {}).get("fieldMappings", [])):
            if mapping["field"] not in props:
                raise invalid(f"properties.{code}.lookup.fieldMappings[{i}].field", "No such field in this app.")
    _check_lookups(ctx, props)
    return _save(ctx, info, preview)


@router.route("PUT", "preview/app/form/fields.json")
def update_fields(ctx: RequestContext) -> dict[str, str]:
    info = _preview_app(ctx)
    preview = copy.deepcopy(info.preview)
    props: JsonDict = preview["properties"]
    renamed: dict[str, str] = {}
    for code, raw in _properties_param(ctx).items():
        key = f"properties.{code}"
        if code not in props:
            raise invalid(key, f"The field {code!r} does not exist; add it with POST first.")
        if not isinstance(raw, Mapping):
            raise invalid(key, "A field definition must be an object.")
        old = props[code]
        if "type" in raw and raw["type"] != old["type"]:
            raise invalid(f"{key}.type", "The type of an existing field cannot be changed.")
        new_code = str(raw.get("code", code))
        if old["type"] in SYSTEM_TYPES:
            # System fields only take a new label / code.
            merged = {**old, **{k: v for k, v in raw.items() if k in ("label", "code", "noLabel")}}
        else:
            merged = {**old, **{k: v for k, v in raw.items() if k != "fields"}}
            merged["code"] = new_code
            if old["type"] == "SUBTABLE" and isinstance(raw.get("fields"), Mapping):
                inner = dict(old["fields"])
                for inner_code, inner_raw in raw["fields"].items():
                    base = inner.get(inner_code, {})
                    inner[inner_code] = {**base, **inner_raw}
                merged["fields"] = inner
            merged = appdefs.normalize_property(new_code, merged, key=key)
        if new_code != code:
            if new_code in appdefs.all_codes(props):
                raise invalid(f"{key}.code", f"The field code {new_code!r} is already used in this app.")
            props = {new_code if c == code else c: (merged if c == code else p) for c, p in props.items()}
            renamed[code] = new_code
        else:
            props[code] = merged
    preview["properties"] = props
    _check_lookups(ctx, props)
    return _save(ctx, info, preview, renamed)


@router.route("PUT", "preview/app/form/layout.json")
def update_layout(ctx: RequestContext) -> dict[str, str]:
    info = _preview_app(ctx)
    preview = copy.deepcopy(info.preview)
    preview["layout"] = layouts.normalize_layout(ctx.params.require("layout"), preview["properties"])
    return _save(ctx, info, preview)


@router.route("DELETE", "preview/app/form/fields.json")
def delete_fields(ctx: RequestContext) -> dict[str, str]:
    info = _preview_app(ctx)
    preview = copy.deepcopy(info.preview)
    props: JsonDict = preview["properties"]
    codes = ctx.params.get_list("fields", required=True, max_items=100)
    for i, code in enumerate(codes):
        prop = props.get(str(code))
        if prop is None:
            raise invalid(f"fields[{i}]", f"The field {code!r} does not exist.")
        if prop["type"] in SYSTEM_TYPES:
            raise invalid(f"fields[{i}]", f"The system field {code!r} cannot be deleted.")
        del props[str(code)]
    return _save(ctx, info, preview)


@router.route("PUT", "preview/app/status.json")
def update_process(ctx: RequestContext) -> dict[str, str]:
    info = _preview_app(ctx)
    preview = copy.deepcopy(info.preview)
    current = preview["status"]
    p = ctx.params
    raw = {
        "enable": p.get_bool("enable", default=bool(current["enable"])),
        "states": p.raw("states") if "states" in p else current["states"],
        "actions": p.raw("actions") if "actions" in p else current["actions"],
    }
    preview["status"] = appdefs.normalize_process(raw)
    enabled = preview["status"]["enable"]
    for prop in preview["properties"].values():
        if prop["type"] in ("STATUS", "STATUS_ASSIGNEE"):
            prop["enabled"] = enabled
    return _save(ctx, info, preview)


@router.route("PUT", "preview/app/settings.json")
def update_general(ctx: RequestContext) -> dict[str, str]:
    info = _preview_app(ctx)
    preview = copy.deepcopy(info.preview)
    name = ctx.params.get_str("name")
    if name:
        appdefs.check_app_name(name)
        preview["name"] = name
    description = ctx.params.get_str("description")
    if description is not None:
        preview["description"] = description
    general = dict(preview.get("general") or {})
    general.update(appdefs.normalize_general(ctx.params.data, preview["properties"]))
    preview["general"] = general
    return _save(ctx, info, preview)


@router.route("PUT", "preview/app/views.json")
def update_views(ctx: RequestContext) -> dict[str, Any]:
    info = _preview_app(ctx)
    preview = copy.deepcopy(info.preview)
    views = ctx.params.require("views")
    if not isinstance(views, Mapping):
        raise invalid("views", "Send an object of views keyed by view name.")
    old_ids = {name: v.get("id") for name, v in preview["views"].items()}
    next_id = max([int(i) for i in old_ids.values() if i] + [5000000]) + 1
    result: JsonDict = {}
    for name, view in views.items():
        if not isinstance(view, Mapping):
            raise invalid(f"views.{name}", "A view must be an object.")
        view_id = old_ids.get(name)
        if not view_id:
            view_id = str(next_id)
            next_id += 1
        kind = view.get("type", "LIST")
        if kind not in ("LIST", "CALENDAR", "CUSTOM"):
            raise invalid(f"views.{name}.type", "Enter LIST, CALENDAR or CUSTOM.")
        stored: JsonDict = {
            "type": kind,
            "name": str(name),
            "id": view_id,
            "index": str(view.get("index", len(result))),
            "fields": list(view.get("fields", [])),
            "filterCond": str(view.get("filterCond", "")),
            "sort": str(view.get("sort", "")),
        }
        props = preview["properties"]
        for i, code in enumerate(stored["fields"]):
            if code not in props:
                raise invalid(f"views.{name}.fields[{i}]", f"The field {code!r} does not exist.")
        if kind == "CALENDAR":
            # A calendar view places records by a date field and shows a title field (docs/kintone-api.md §4.1).
            for key in ("date", "title"):
                code = view.get(key)
                if code is not None and code not in props:
                    raise invalid(f"views.{name}.{key}", f"The field {code!r} does not exist.")
                stored[key] = code or ("Created_datetime" if key == "date" else "Record_number")
        result[str(name)] = stored
    preview["views"] = result
    saved = _save(ctx, info, preview)
    return {"views": {name: {"id": v["id"]} for name, v in result.items()}, "revision": saved["revision"]}


@router.route("POST", "preview/app/deploy.json")
def deploy(ctx: RequestContext) -> dict[str, Any]:
    apps = ctx.params.get_list("apps", required=True, max_items=300)
    revert = ctx.params.get_bool("revert")
    targets: list[AppInfo] = []
    for i, item in enumerate(apps):
        if not isinstance(item, Mapping) or "app" not in item:
            raise invalid(f"apps[{i}].app", "Required field.")
        info = ctx.app(to_int(item["app"], f"apps[{i}].app"), "manage")
        if item.get("revision") is not None:
            expected = to_int(item["revision"], f"apps[{i}].revision")
            if expected not in (-1, info.preview_revision):
                raise ErrorReply(
                    409,
                    "GAIA_CO02",
                    f"The revision of app {info.id} is not the latest: you sent {expected}, "
                    f"the preview settings are at {info.preview_revision}.",
                )
        targets.append(info)
    problems = {} if revert else {i.id: p for i in targets if (p := appstore.deploy_problem(ctx.conn, i))}
    if problems:
        # One app that cannot deploy fails the whole request: it FAILs, the others are CANCELled, nothing changes.
        for info in targets:
            if ctx.services.config.deploy_seconds > 0:
                ctx.services.deploys[info.id] = time.monotonic() + ctx.services.config.deploy_seconds
            appstore.mark_deploy(ctx.conn, info.id, "FAIL" if info.id in problems else "CANCEL")
            if info.id in problems:
                logger.info("deploy of app %s fails: %s", info.id, problems[info.id])
        return {}
    for info in targets:
        if ctx.services.config.deploy_seconds > 0:
            ctx.services.deploys[info.id] = time.monotonic() + ctx.services.config.deploy_seconds
        dropped = appstore.deploy(ctx.conn, info, revert=revert, modifier=ctx.login, now=ctx.services.now_text())
        # The files of a deleted FILE field (or table) go with the field's data.
        filestore.release(ctx.conn, info.id, dropped, ctx.services.downloads)
    return {}


@router.route("GET", "preview/app/deploy.json")
def deploy_status(ctx: RequestContext) -> dict[str, Any]:
    ids = ctx.params.get_list("apps", required=True, max_items=300)
    result = []
    for i, value in enumerate(ids):
        info = ctx.app(to_int(value, f"apps[{i}]"), "manage")
        running = ctx.services.deploys.get(info.id, 0.0) > time.monotonic()
        result.append({"app": str(info.id), "status": "PROCESSING" if running else info.deploy_status or "SUCCESS"})
    return {"apps": result}
