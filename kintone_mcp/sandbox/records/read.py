"""Records in Kintone's read format: ``{code: {"type": T, "value": V}}`` with strings for numbers and ids."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from kintone_mcp.sandbox.records import values as fv
from kintone_mcp.sandbox.store.appstore import AppInfo
from kintone_mcp.sandbox.store.directory import Names
from kintone_mcp.sandbox.store.recordstore import StoredRecord

#: Types that have no value in record JSON.
_NO_VALUE_TYPES = frozenset({"GROUP", "REFERENCE_TABLE", "LABEL", "SPACER", "HR"})


def render_record(
    app: AppInfo, record: StoredRecord, names: Names, fields: Collection[str] | None = None
) -> dict[str, Any]:
    """One record as GET record.json gives it. ``fields`` limits the output to those codes (``$id`` and
    ``$revision`` included only when named), as GET records.json does."""
    out: dict[str, Any] = {}

    def wanted(code: str) -> bool:
        return fields is None or code in fields

    pm_enabled = app.process_enabled
    for code, prop in app.properties.items():
        if not wanted(code):
            continue
        ftype = prop["type"]
        if ftype in _NO_VALUE_TYPES:
            continue
        value: Any
        if ftype == "RECORD_NUMBER":
            value = f"{app.code}-{record.id}" if app.code else str(record.id)
        elif ftype == "CREATOR":
            value = {"code": record.creator, "name": names.users.get(record.creator, record.creator)}
        elif ftype == "MODIFIER":
            value = {"code": record.modifier, "name": names.users.get(record.modifier, record.modifier)}
        elif ftype == "CREATED_TIME":
            value = record.created_at
        elif ftype == "UPDATED_TIME":
            value = record.updated_at
        elif ftype == "STATUS":
            if not pm_enabled:
                continue
            value = record.status
        elif ftype == "STATUS_ASSIGNEE":
            if not pm_enabled:
                continue
            value = [{"code": c, "name": names.users.get(c, c)} for c in record.assignees]
        elif ftype == "CATEGORY":
            value = []
        else:
            value = fv.read_value(ftype, record.data.get(code), names, prop)
        out[code] = {"type": ftype, "value": value}
    if wanted("$id"):
        out["$id"] = {"type": "__ID__", "value": str(record.id)}
    if wanted("$revision"):
        out["$revision"] = {"type": "__REVISION__", "value": str(record.revision)}
    return out
