"""An app's schema as a model needs it: fields in form order with what can be written and queried, process
management states and actions, and views. Shared by ``get_app`` and the ``kintone://app/{app}/schema`` resource.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Mapping
from typing import Any

import anyio

from kintone_mcp.client.errors import ApiError
from kintone_mcp.query.ast import Op
from kintone_mcp.query.operators import allowed_operators
from kintone_mcp.server.fieldinfo import Properties, option_labels
from kintone_mcp.server.models import (
    AppSchema,
    FieldInfo,
    LookupInfo,
    ProcessAction,
    ProcessInfo,
    ViewInfo,
)
from kintone_mcp.server.record_input import READ_ONLY_TYPES
from kintone_mcp.server.state import ServerState

logger = logging.getLogger(__name__)

#: Layout-only or hidden types that hold no record value.
_SKIP = frozenset({"GROUP", "LABEL", "SPACER", "HR"})
_SYSTEM_ORDER = ("RECORD_NUMBER", "STATUS", "STATUS_ASSIGNEE", "CREATOR", "CREATED_TIME", "MODIFIER", "UPDATED_TIME")
_MAX_VIEWS = 20


def _ops(field_type: str, in_subtable: bool) -> list[str] | None:
    ops = allowed_operators(field_type, in_subtable=in_subtable)
    return [o.value for o in Op if o in ops] or None


def _int(value: Any) -> int | None:
    try:
        return int(str(value)) if value not in (None, "") else None
    except ValueError:
        return None


def field_info(code: str, prop: Mapping[str, Any], *, in_subtable: bool = False) -> FieldInfo:
    ftype = str(prop.get("type", ""))
    info = FieldInfo(
        code=code,
        label=str(prop.get("label", code)),
        type=ftype,
        required=True if prop.get("required") else None,
        unique=True if prop.get("unique") else None,
        options=option_labels(prop) or None,
        default=prop.get("defaultValue") if prop.get("defaultValue") not in (None, "", []) else None,
        operators=_ops(ftype, in_subtable),
        read_only=True if ftype in READ_ONLY_TYPES or ftype in _SYSTEM_ORDER or prop.get("expression") else None,
    )
    lookup = prop.get("lookup")
    if isinstance(lookup, Mapping):
        related = lookup.get("relatedApp") or {}
        copies = {str(m.get("field")): str(m.get("relatedField")) for m in lookup.get("fieldMappings") or []}
        info.lookup = LookupInfo(
            app=_int(related.get("app")), key_field=str(lookup.get("relatedKeyField", "")), copies=copies or None
        )
    if ftype == "REFERENCE_TABLE":
        related = ((prop.get("referenceTable") or {}).get("relatedApp")) or {}
        info.related_app = _int(related.get("app"))
        info.operators = None
    if ftype == "SUBTABLE":
        info.fields = [field_info(c, p, in_subtable=True) for c, p in (prop.get("fields") or {}).items()]
    return info


def schema_fields(properties: Properties, order: list[str]) -> list[FieldInfo]:
    """User fields in form order, then system fields; fields the layout does not place come after."""
    position = {code: i for i, code in enumerate(order)}
    user: list[tuple[str, Mapping[str, Any]]] = []
    system: list[tuple[str, Mapping[str, Any]]] = []
    for code, prop in properties.items():
        ftype = str(prop.get("type", ""))
        if ftype in _SKIP or ftype == "CATEGORY":
            continue
        if ftype in ("STATUS", "STATUS_ASSIGNEE") and not prop.get("enabled"):
            continue
        (system if ftype in _SYSTEM_ORDER else user).append((code, prop))
    user.sort(key=lambda cp: position.get(cp[0], len(position)))
    system.sort(key=lambda cp: _SYSTEM_ORDER.index(str(cp[1].get("type"))))
    id_field = FieldInfo(code="$id", label="Record ID", type="__ID__", operators=_ops("__ID__", False), read_only=True)
    return [field_info(c, p) for c, p in user] + [id_field] + [field_info(c, p) for c, p in system]


async def build_app_schema(state: ServerState, app_id: int) -> AppSchema:
    client = state.client
    # The app itself first: a wrong id fails here, with Kintone's own error.
    app = await client.get_app(app_id)
    results: dict[str, Any] = {}

    async def optional(key: str, call: Awaitable[Any]) -> None:
        try:
            results[key] = await call
        except ApiError as exc:
            # API tokens cannot read views when the app has a custom view; the schema is still useful without.
            logger.info("app %s: %s not available: %s", app_id, key, exc)
            results[key] = None

    async with anyio.create_task_group() as tg:
        tg.start_soon(optional, "layout", client.get_layout(app_id))
        tg.start_soon(optional, "process", client.get_process_settings(app_id))
        tg.start_soon(optional, "views", client.get_views(app_id))
        tg.start_soon(optional, "fields", state.fields(app_id, fresh=True))
    properties = results["fields"]
    if properties is None:
        properties = await state.fields(app_id, fresh=True)
    order = results["layout"].field_codes() if results["layout"] is not None else []
    process = None
    settings = results["process"]
    if settings is not None and settings.enable:
        process = ProcessInfo(
            states=[s.name for s in settings.ordered_states()],
            actions=[ProcessAction(name=a.name, from_status=a.from_, to_status=a.to) for a in settings.actions or []],
        )
    views = None
    if results["views"] is not None:
        views = [
            ViewInfo(name=v.name, type=v.type, filter=v.filter_cond or None, sort=v.sort or None)
            for v in results["views"].ordered()[:_MAX_VIEWS]
        ] or None
    return AppSchema(
        id=app.app_id,
        name=app.name,
        code=app.code or None,
        fields=schema_fields(properties, order),
        process=process,
        views=views,
    )
