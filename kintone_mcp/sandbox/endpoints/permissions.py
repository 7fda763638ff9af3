"""App, record and field permissions (``app/acl.json``, ``record/acl.json``, ``field/acl.json``) and JavaScript / CSS
customization (``app/customize.json``): GET live and ``preview/``, PUT ``preview/`` (live after a deploy).

Every one needs the app management right, live reads included (cybozu.dev lists "app management" as the permission of
each), so an API token needs its "manage" permission. ``app/customize.json`` is not open to API tokens at all
(docs/kintone-api.md §2.2). The sandbox stores permissions and reports them; it does not enforce them on records
(its own access model is an app's list of allowed users, ``access/permissions.py``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from kintone_mcp.query import QuerySyntaxError, parse
from kintone_mcp.sandbox.endpoints.settings import check_revision
from kintone_mcp.sandbox.errors import invalid
from kintone_mcp.sandbox.http.routing import RequestContext, Router
from kintone_mcp.sandbox.store import appstore, filestore
from kintone_mcp.sandbox.store.appdefs import JsonDict
from kintone_mcp.sandbox.store.appstore import AppInfo

router = Router()

_APP_RIGHTS = ("appEditable", "recordViewable", "recordAddable", "recordEditable", "recordDeletable",
               "recordImportable", "recordExportable")
_RECORD_RIGHTS = ("viewable", "editable", "deletable")
_ACCESSIBILITY = ("READ", "WRITE", "NONE")


def default_app_rights() -> list[JsonDict]:
    """A new app's rights: its creator manages it; everyone may do everything with records (Kintone's default)."""
    records = {k: True for k in _APP_RIGHTS[1:]}
    return [
        {"entity": {"type": "CREATOR", "code": None}, "includeSubs": False, "appEditable": True, **records},
        {"entity": {"type": "GROUP", "code": "everyone"}, "includeSubs": False, "appEditable": False, **records},
    ]


def default_customize() -> JsonDict:
    return {"scope": "ALL", "desktop": {"js": [], "css": []}, "mobile": {"js": [], "css": []}}


_DEFAULTS: dict[str, Callable[[], Any]] = {
    "app_acl": default_app_rights,
    "record_acl": list,
    "field_acl": list,
    "customize": default_customize,
}


def _flag(value: Any, key: str) -> bool:
    # Booleans or "true" / "false", as every settings write takes them (docs/kintone-api.md §4.1).
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    raise invalid(key, "Enter true or false.")


def _entity(raw: Any, key: str, types: tuple[str, ...]) -> JsonDict:
    if not isinstance(raw, Mapping) or raw.get("type") not in types:
        raise invalid(f"{key}.type", f"Enter one of {', '.join(types)}.")
    code = raw.get("code")
    if raw["type"] != "CREATOR" and not code:
        raise invalid(f"{key}.code", "Required field.")
    return {"type": raw["type"], "code": None if raw["type"] == "CREATOR" else str(code)}


def _rights_list(ctx: RequestContext) -> list[Any]:
    rights = ctx.params.require("rights")
    if not isinstance(rights, list):
        raise invalid("rights", "Send a list of rights, highest priority first.")
    return rights


def _app_rights(ctx: RequestContext, info: AppInfo) -> list[JsonDict]:
    out = []
    for i, raw in enumerate(_rights_list(ctx)):
        key = f"rights[{i}]"
        if not isinstance(raw, Mapping):
            raise invalid(key, "A right must be an object.")
        right: JsonDict = {
            "entity": _entity(raw.get("entity"), f"{key}.entity", ("USER", "GROUP", "ORGANIZATION", "CREATOR")),
            "includeSubs": _flag(raw.get("includeSubs", False), f"{key}.includeSubs"),
        }
        for name in _APP_RIGHTS:
            right[name] = _flag(raw.get(name, False), f"{key}.{name}")
        if (right["recordEditable"] or right["recordDeletable"]) and not right["recordViewable"]:
            raise invalid(f"{key}.recordViewable", "Editing or deleting records needs viewing them too.")
        if right["recordImportable"] and not right["recordAddable"]:
            raise invalid(f"{key}.recordAddable", "Importing records needs adding them too.")
        out.append(right)
    return out


def _record_rights(ctx: RequestContext, info: AppInfo) -> list[JsonDict]:
    out = []
    for i, raw in enumerate(_rights_list(ctx)):
        key = f"rights[{i}]"
        if not isinstance(raw, Mapping) or not isinstance(raw.get("entities"), list):
            raise invalid(f"{key}.entities", "Required field: who gets which rights on these records.")
        condition = str(raw.get("filterCond", ""))
        try:
            parsed = parse(condition)
        except QuerySyntaxError as exc:
            raise invalid(f"{key}.filterCond", f"Not a record condition: {exc.message}") from None
        if parsed.order_by or parsed.limit is not None or parsed.offset is not None:
            raise invalid(f"{key}.filterCond", "A condition only: no order by, limit or offset.")
        entities = []
        for j, ent in enumerate(raw["entities"]):
            ekey = f"{key}.entities[{j}]"
            if not isinstance(ent, Mapping):
                raise invalid(ekey, "An entity right must be an object.")
            entry: JsonDict = {
                "entity": _entity(ent.get("entity"), f"{ekey}.entity", ("USER", "GROUP", "ORGANIZATION",
                                                                        "FIELD_ENTITY")),
                "includeSubs": _flag(ent.get("includeSubs", False), f"{ekey}.includeSubs"),
            }
            for name in _RECORD_RIGHTS:
                entry[name] = _flag(ent.get(name, False), f"{ekey}.{name}")
            entities.append(entry)
        out.append({"filterCond": condition, "entities": entities})
    return out


def _field_rights(ctx: RequestContext, info: AppInfo) -> list[JsonDict]:
    props = info.preview["properties"]
    codes = set(props) | {c for p in props.values() for c in p.get("fields", {})}
    out = []
    for i, raw in enumerate(_rights_list(ctx)):
        key = f"rights[{i}]"
        if not isinstance(raw, Mapping) or str(raw.get("code", "")) not in codes:
            raise invalid(f"{key}.code", f"The field {raw.get('code') if isinstance(raw, Mapping) else None!r} "
                          "does not exist.")
        entities = []
        for j, ent in enumerate(raw.get("entities") or []):
            ekey = f"{key}.entities[{j}]"
            if not isinstance(ent, Mapping) or ent.get("accessibility") not in _ACCESSIBILITY:
                raise invalid(f"{ekey}.accessibility", "Enter READ, WRITE or NONE.")
            entities.append({
                "accessibility": ent["accessibility"],
                "entity": _entity(ent.get("entity"), f"{ekey}.entity", ("USER", "GROUP", "ORGANIZATION",
                                                                        "FIELD_ENTITY")),
                "includeSubs": _flag(ent.get("includeSubs", False), f"{ekey}.includeSubs"),
            })
        out.append({"code": str(raw["code"]), "entities": entities})
    return out


def _resources(ctx: RequestContext, info: AppInfo, raw: Any, key: str) -> list[JsonDict]:
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > 30:
        raise invalid(key, "Send a list of at most 30 files or URLs.")
    out: list[JsonDict] = []
    for i, item in enumerate(raw):
        ikey = f"{key}[{i}]"
        kind = item.get("type") if isinstance(item, Mapping) else None
        if kind == "URL":
            url = str(item.get("url", ""))
            if not url.startswith("https://"):
                raise invalid(f"{ikey}.url", "Enter an https:// URL.")
            out.append({"type": "URL", "url": url})
        elif kind == "FILE":
            file_key = str((item.get("file") or {}).get("fileKey", ""))
            stored = filestore.attach(
                ctx.conn, file_key, app=info.id, now=ctx.now, retention=ctx.services.config.upload_retention
            )
            if stored is None:
                raise invalid(f"{ikey}.file.fileKey", "Unknown or expired file key: upload the file again.")
            out.append({"type": "FILE", "file": stored})
        else:
            raise invalid(f"{ikey}.type", "Enter URL or FILE.")
    return out


def _customize(ctx: RequestContext, info: AppInfo) -> JsonDict:
    current = info.preview.get("customize") or default_customize()
    p = ctx.params
    scope = p.get_str("scope") or current["scope"]
    if scope not in ("ALL", "ADMIN", "NONE"):
        raise invalid("scope", "Enter ALL, ADMIN or NONE.")
    out: JsonDict = {"scope": scope}
    for device in ("desktop", "mobile"):
        given = p.raw(device) if device in p else None
        if given is None:
            out[device] = copy.deepcopy(current[device])
            continue
        if not isinstance(given, Mapping):
            raise invalid(device, "Send {js: [...], css: [...]}.")
        out[device] = {
            kind: (
                _resources(ctx, info, given[kind], f"{device}.{kind}")
                if kind in given
                else copy.deepcopy(current[device][kind])
            )
            for kind in ("js", "css")
        }
    return out


_BUILDERS: dict[str, Callable[[RequestContext, AppInfo], Any]] = {
    "app_acl": _app_rights,
    "record_acl": _record_rights,
    "field_acl": _field_rights,
    "customize": _customize,
}


def _register() -> None:
    for path, key in (("app/acl.json", "app_acl"), ("record/acl.json", "record_acl"),
                      ("field/acl.json", "field_acl"), ("app/customize.json", "customize")):
        tokens = key != "customize"
        for prefix, preview in (("", False), ("preview/", True)):

            def read(ctx: RequestContext, preview: bool = preview, key: str = key) -> dict[str, Any]:
                info = ctx.app_param("manage")
                settings = info.preview if preview else info.live
                value = settings.get(key)
                body = _DEFAULTS[key]() if value is None else value
                revision = info.preview_revision if preview else info.live_revision
                wrapped = body if key == "customize" else {"rights": body}
                return {**wrapped, "revision": str(revision)}

            router.route("GET", f"{prefix}{path}", tokens=tokens)(read)

        def write(ctx: RequestContext, key: str = key) -> dict[str, str]:
            info = ctx.app_param("manage")
            check_revision(ctx, info.preview_revision)
            preview = copy.deepcopy(info.preview)
            preview[key] = _BUILDERS[key](ctx, info)
            revision = appstore.save_preview(ctx.conn, info, preview, modifier=ctx.login, now=ctx.services.now_text())
            return {"revision": str(revision)}

        router.route("PUT", f"preview/{path}", tokens=tokens)(write)


_register()
