"""Form layouts as ``app/form/layout.json`` holds them, kept beside the field properties in an app's settings.

A layout is stored as it was last put (or as fields were added), not rebuilt from the fields: rows, groups and tables
in the order a person (or ``PUT preview/app/form/layout.json``) arranged them. Field changes keep it consistent the
way Kintone's form editor does: a new field is appended at the end, a deleted one disappears from its row (an empty
row with it), a renamed one keeps its place, and a table's new columns join the end of that table.

Kintone asks a layout PUT to place every field of the form (docs/kintone-api.md §4.1) and does not document what
happens to a field left out [U]; the sandbox appends such fields rather than losing them, which is also what our
``update_layout`` tool sends explicitly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kintone_mcp.sandbox.errors import invalid
from kintone_mcp.sandbox.store.appdefs import SYSTEM_TYPES, JsonDict, build_layout

#: Layout-only elements: no field code, never a record value.
DECORATIONS = frozenset({"LABEL", "SPACER", "HR"})
#: System fields a form may show (Status, Assignee and Categories live outside the form).
_PLACEABLE_SYSTEM = frozenset({"RECORD_NUMBER", "CREATOR", "CREATED_TIME", "MODIFIER", "UPDATED_TIME"})


def _size(raw: Any, key: str, *, height: bool = False) -> JsonDict:
    if raw is None:
        return {"width": "193"} if not height else {"width": "193", "height": "20"}
    if not isinstance(raw, Mapping):
        raise invalid(key, "size must be an object {width, height?, innerHeight?}.")
    out: JsonDict = {}
    for attr in ("width", "height", "innerHeight"):
        value = raw.get(attr)
        if value in (None, ""):
            continue
        if not str(value).isdigit() or int(str(value)) < 1:
            raise invalid(f"{key}.{attr}", "Enter a positive whole number of pixels.")
        out[attr] = str(value)
    return out


def _element(raw: Any, key: str, fields: Mapping[str, Any], placed: set[str]) -> JsonDict:
    if not isinstance(raw, Mapping):
        raise invalid(key, "A layout element must be an object {type, code, size}.")
    kind = raw.get("type")
    if kind in DECORATIONS:
        out: JsonDict = {"type": kind, "size": _size(raw.get("size"), f"{key}.size", height=kind == "SPACER")}
        if kind == "LABEL":
            out["label"] = str(raw.get("label", ""))
        if kind != "HR" or raw.get("elementId"):
            out["elementId"] = str(raw.get("elementId", ""))
        return out
    code = raw.get("code")
    if not code:
        raise invalid(f"{key}.code", "Required field.")
    prop = fields.get(str(code))
    if prop is None or prop["type"] in ("SUBTABLE", "GROUP") or (
        prop["type"] in SYSTEM_TYPES and prop["type"] not in _PLACEABLE_SYSTEM
    ):
        raise invalid(f"{key}.code", f"The field {code!r} does not exist here or cannot be placed in a row.")
    if kind != prop["type"]:
        raise invalid(f"{key}.type", f"The field {code!r} is a {prop['type']} field (a lookup has its key's type).")
    if code in placed:
        raise invalid(f"{key}.code", f"The field {code!r} is placed twice.")
    placed.add(str(code))
    out = {"type": kind, "code": str(code)}
    if kind != "REFERENCE_TABLE" or raw.get("size") is not None:
        out["size"] = _size(raw.get("size"), f"{key}.size")
    if kind in ("MULTI_LINE_TEXT", "RICH_TEXT") and "innerHeight" not in out.get("size", {}):
        out["size"]["innerHeight"] = "125"
    return out


def _row(raw: Any, key: str, props: Mapping[str, Any], placed: set[str]) -> JsonDict:
    elements = raw.get("fields") if isinstance(raw, Mapping) else None
    if not isinstance(elements, list):
        raise invalid(f"{key}.fields", "Required field: the row's elements.")
    return {"type": "ROW", "fields": [_element(e, f"{key}.fields[{i}]", props, placed) for i, e in enumerate(elements)]}


def normalize_layout(raw: Any, properties: Mapping[str, Any]) -> list[JsonDict]:
    """A layout sent to ``PUT preview/app/form/layout.json``, checked against the form; fields it leaves out are
    appended (see the module docstring)."""
    if not isinstance(raw, list):
        raise invalid("layout", "Required field: a list of ROW, SUBTABLE and GROUP items.")
    placed: set[str] = set()
    out: list[JsonDict] = []
    for i, item in enumerate(raw):
        key = f"layout[{i}]"
        kind = item.get("type") if isinstance(item, Mapping) else None
        if kind == "ROW":
            out.append(_row(item, key, properties, placed))
        elif kind in ("SUBTABLE", "GROUP"):
            code = str(item.get("code", ""))
            prop = properties.get(code)
            if prop is None or prop["type"] != kind:
                raise invalid(f"{key}.code", f"The app has no {kind} field {code!r}.")
            if code in placed:
                raise invalid(f"{key}.code", f"The field {code!r} is placed twice.")
            placed.add(code)
            if kind == "SUBTABLE":
                inner = _row(item, key, prop["fields"], placed)["fields"]
                out.append({"type": "SUBTABLE", "code": code, "fields": inner})
            else:
                rows = item.get("layout", [])
                if not isinstance(rows, list):
                    raise invalid(f"{key}.layout", "A group's layout is a list of rows.")
                group_rows = []
                for j, row in enumerate(rows):
                    if not isinstance(row, Mapping) or row.get("type", "ROW") != "ROW":
                        raise invalid(f"{key}.layout[{j}].type", "A group holds rows only (no table, no group).")
                    group_rows.append(_row(row, f"{key}.layout[{j}]", properties, placed))
                out.append({"type": "GROUP", "code": code, "layout": group_rows})
        else:
            raise invalid(f"{key}.type", "Enter ROW, SUBTABLE or GROUP.")
    return reconcile(out, properties)


def reconcile(layout: list[JsonDict], properties: Mapping[str, Any], renamed: Mapping[str, str] | None = None) -> (
    list[JsonDict]
):
    """The stored layout after a change of fields: renamed codes follow, deleted fields go, new ones are appended."""
    renamed = renamed or {}
    placed: set[str] = set()

    def keep(element: JsonDict, fields: Mapping[str, Any]) -> JsonDict | None:
        if element["type"] in DECORATIONS:
            return element
        code = renamed.get(element["code"], element["code"])
        prop = fields.get(code)
        if prop is None or prop["type"] != element["type"]:
            return None
        placed.add(code)
        return {**element, "code": code}

    def row(elements: list[JsonDict], fields: Mapping[str, Any]) -> list[JsonDict]:
        return [e for e in (keep(el, fields) for el in elements) if e is not None]

    out: list[JsonDict] = []
    for item in layout:
        if item["type"] == "ROW":
            kept = row(item["fields"], properties)
            if kept:
                out.append({"type": "ROW", "fields": kept})
            continue
        code = renamed.get(item["code"], item["code"])
        prop = properties.get(code)
        if prop is None or prop["type"] != item["type"]:
            continue
        placed.add(code)
        if item["type"] == "SUBTABLE":
            columns = row(item["fields"], prop["fields"])
            new_columns = [r["fields"][0] for r in build_layout(prop["fields"])]
            columns += [c for c in new_columns if c["code"] not in placed]
            placed.update(prop["fields"])
            out.append({"type": "SUBTABLE", "code": code, "fields": columns})
        else:
            rows = [{"type": "ROW", "fields": kept} for r in item["layout"] if (kept := row(r["fields"], properties))]
            out.append({"type": "GROUP", "code": code, "layout": rows})
    missing = {c: p for c, p in properties.items() if c not in placed and p["type"] not in SYSTEM_TYPES}
    out.extend(build_layout(missing))
    return out
