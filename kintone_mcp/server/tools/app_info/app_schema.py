"""An app's schema as a model needs it: fields in form order with what can be written and queried, process
management states and actions, and views. Shared by ``get_app`` and the ``kintone://app/{app}/schema`` resource.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Mapping
from typing import Any

import anyio
from pydantic import Field

from kintone_mcp.client.errors import ApiError
from kintone_mcp.query.ast import Op
from kintone_mcp.query.operators import allowed_operators
from kintone_mcp.server.compact import plain_number
from kintone_mcp.server.fieldinfo import Properties, option_labels
from kintone_mcp.server.record_input import READ_ONLY_TYPES
from kintone_mcp.server.results import Out
from kintone_mcp.server.state import ServerState

logger = logging.getLogger(__name__)

#: Layout-only or hidden types that hold no record value.
_SKIP = frozenset({"GROUP", "LABEL", "SPACER", "HR"})
_SYSTEM_ORDER = ("RECORD_NUMBER", "STATUS", "STATUS_ASSIGNEE", "CREATOR", "CREATED_TIME", "MODIFIER", "UPDATED_TIME")
_MAX_VIEWS = 20


class LookupInfo(Out):
    # Optional like every nullable field: a result leaves None out, which a required property would not allow.
    app: int | None = None
    key_field: str
    copies: dict[str, str] | None = Field(None, description="this app's field <- source app's field")


#: A field's default as a record would hold it; user and date defaults may be functions, e.g. "LOGINUSER()".
DefaultValue = str | int | float | list[str]


class FieldInfo(Out):
    code: str
    label: str
    type: str
    required: bool | None = None
    unique: bool | None = None
    options: list[str] | None = None
    default: DefaultValue | None = Field(None, description='value when left out on add; e.g. "LOGINUSER()", "TODAY()"')
    read_only: bool | None = Field(None, description="computed by Kintone; not writable")
    lookup: LookupInfo | None = None
    related_app: int | None = Field(None, description="REFERENCE_TABLE: app whose records are shown")
    fields: list[FieldInfo] | None = Field(None, description="SUBTABLE columns")


class ProcessAction(Out):
    name: str
    from_status: str
    to_status: str


class ProcessInfo(Out):
    states: list[str]
    actions: list[ProcessAction]


class ViewInfo(Out):
    name: str
    id: int | None = Field(None, description="get_records takes the name or this id as `view`")
    type: str
    filter: str | None = None
    sort: str | None = None


class AppSchema(Out):
    id: int
    name: str
    code: str | None = None
    fields: list[FieldInfo]
    operators: dict[str, list[str]] = Field(
        description="query operators by field type; a type not listed cannot be searched"
    )
    table_operators: dict[str, list[str]] | None = Field(
        None, description="query operators by type for subtable columns (no = or !=: use in / not in)"
    )
    process: ProcessInfo | None = Field(None, description="process management states and actions, when enabled")
    views: list[ViewInfo] | None = None
    pending: str | None = None
    layout: list[Any] | None = None
    permissions: dict[str, Any] | None = None


FieldInfo.model_rebuild()


def _ops(field_type: str, in_subtable: bool) -> list[str]:
    ops = allowed_operators(field_type, in_subtable=in_subtable)
    return [o.value for o in Op if o in ops]


def _operator_maps(fields: list[FieldInfo]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Operators by type for the types the app uses: once per type rather than once per field, since the type
    alone decides them (and being in a subtable)."""
    top: dict[str, list[str]] = {}
    inner: dict[str, list[str]] = {}
    for f in fields:
        if f.type != "REFERENCE_TABLE" and (ops := _ops(f.type, False)):
            top.setdefault(f.type, ops)
        for column in f.fields or []:
            if ops := _ops(column.type, True):
                inner.setdefault(column.type, ops)
    return top, inner


def _default(ftype: str, prop: Mapping[str, Any]) -> DefaultValue | None:
    """The default in the plain form records use: entity codes (functions kept as text), numbers as numbers,
    and "now" defaults as the query function that means the same moment."""
    if prop.get("defaultNowValue") is True:
        return "TODAY()" if ftype == "DATE" else "NOW()"
    value = prop.get("defaultValue")
    if value in (None, "", []):
        return None
    if isinstance(value, list):
        return [str(v.get("code", "")) if isinstance(v, Mapping) else str(v) for v in value]
    if ftype == "NUMBER":
        number = plain_number(value)
        return number if number is not None else None
    return str(value)


def _int(value: Any) -> int | None:
    try:
        return int(str(value)) if value not in (None, "") else None
    except ValueError:
        return None


def field_info(code: str, prop: Mapping[str, Any]) -> FieldInfo:
    ftype = str(prop.get("type", ""))
    info = FieldInfo(
        code=code,
        label=str(prop.get("label", code)),
        type=ftype,
        required=True if prop.get("required") else None,
        unique=True if prop.get("unique") else None,
        options=option_labels(prop) or None,
        default=_default(ftype, prop),
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
    if ftype == "SUBTABLE":
        info.fields = [field_info(c, p) for c, p in (prop.get("fields") or {}).items()]
    return info


def schema_fields(properties: Properties, order: list[str]) -> list[FieldInfo]:
    """User fields in form order, then system fields; fields the layout does not place come after."""
    position = {code: i for i, code in enumerate(order)}
    user: list[tuple[str, Mapping[str, Any]]] = []
    system: list[tuple[str, Mapping[str, Any]]] = []
    for code, prop in properties.items():
        ftype = str(prop.get("type", ""))
        # $id is added below, in its place; $revision is never queried nor written.
        if ftype in _SKIP or ftype in ("CATEGORY", "__ID__", "__REVISION__"):
            continue
        if ftype in ("STATUS", "STATUS_ASSIGNEE") and not prop.get("enabled"):
            continue
        (system if ftype in _SYSTEM_ORDER else user).append((code, prop))
    user.sort(key=lambda cp: position.get(cp[0], len(position)))
    system.sort(key=lambda cp: _SYSTEM_ORDER.index(str(cp[1].get("type"))))
    id_field = FieldInfo(code="$id", label="Record ID", type="__ID__", read_only=True)
    return [field_info(c, p) for c, p in user] + [id_field] + [field_info(c, p) for c, p in system]


async def build_app_schema(state: ServerState, app_id: int, *, preview: bool = False) -> AppSchema:
    """The schema of the live app, or with ``preview`` of its pending settings (which need the manage right)."""
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
        tg.start_soon(optional, "layout", client.get_layout(app_id, preview=preview))
        tg.start_soon(optional, "process", client.get_process_settings(app_id, preview=preview))
        tg.start_soon(optional, "views", client.get_views(app_id, preview=preview))
        tg.start_soon(optional, "fields", _properties(state, app_id, preview))
    properties = results["fields"]
    if properties is None:
        properties = await _properties(state, app_id, preview)
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
            ViewInfo(name=v.name, id=v.id, type=v.type, filter=v.filter_cond or None, sort=v.sort or None)
            for v in results["views"].ordered()[:_MAX_VIEWS]
        ] or None
    fields = schema_fields(properties, order)
    operators, table_operators = _operator_maps(fields)
    return AppSchema(
        id=app.app_id,
        name=app.name,
        code=app.code or None,
        fields=fields,
        operators=operators,
        table_operators=table_operators or None,
        process=process,
        views=views,
    )


async def _properties(state: ServerState, app_id: int, preview: bool) -> Properties:
    if preview:
        return dict((await state.client.get_fields(app_id, preview=True)).raw())
    return await state.fields(app_id, fresh=True)
