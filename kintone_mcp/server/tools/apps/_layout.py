"""The simple layout form ``update_layout`` takes and ``get_app`` (include: layout) answers, and its translation to and
from ``app/form/layout.json`` (docs/kintone-api.md §4.1).

Top to bottom, each item is one of:

* a row: a list of elements, each a field code, ``{"code": c, "width": px}`` (``height`` for multi-line text),
  ``{"label": "text"}``, ``{"spacer": px}`` or ``{"hr": true}``;
* a table: ``{"table": code, "columns": [codes or {code, width}]}`` (columns left out keep their place after those
  given);
* a group: ``{"group": code, "rows": [rows]}``.

Fields the layout does not place are appended (one per row, as Kintone places a new field), so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kintone_mcp.client.models.apps import FormLayout, LayoutElement, LayoutGroup, LayoutSubtable

#: Fields the form never shows (process management and categories live outside it).
_NOT_PLACED = frozenset({"STATUS", "STATUS_ASSIGNEE", "CATEGORY", "__ID__", "__REVISION__"})
_SYSTEM = frozenset({"RECORD_NUMBER", "CREATOR", "CREATED_TIME", "MODIFIER", "UPDATED_TIME"})
_TALL = frozenset({"MULTI_LINE_TEXT", "RICH_TEXT"})
_ELEMENT_KEYS = {"code", "width", "height", "label", "spacer", "hr"}

Simple = list[Any]


def _element_simple(e: LayoutElement) -> Any:
    size = e.size
    if e.type == "LABEL":
        return {"label": e.label or ""}
    if e.type == "SPACER":
        return {"spacer": (size.width if size else None) or 0}
    if e.type == "HR":
        return {"hr": True}
    return e.code


def to_simple(layout: FormLayout) -> Simple:
    """The simple form of a layout (sizes left out, except a spacer's width)."""
    out: Simple = []
    for item in layout.layout:
        if isinstance(item, LayoutSubtable):
            out.append({"table": item.code, "columns": [_element_simple(e) for e in item.fields]})
        elif isinstance(item, LayoutGroup):
            out.append({"group": item.code, "rows": [[_element_simple(e) for e in r.fields] for r in item.layout]})
        else:
            out.append([_element_simple(e) for e in item.fields])
    return out


def _sizes(layout: FormLayout) -> dict[str, dict[str, str]]:
    """Each placed field's current size, kept when the new layout gives none."""
    out: dict[str, dict[str, str]] = {}

    def take(elements: list[LayoutElement]) -> None:
        for e in elements:
            if e.code and e.size is not None:
                size = {"width": e.size.width, "height": e.size.height, "innerHeight": e.size.inner_height}
                out[e.code] = {k: str(v) for k, v in size.items() if v is not None}

    for item in layout.layout:
        if isinstance(item, LayoutGroup):
            for row in item.layout:
                take(row.fields)
        else:
            take(item.fields)
    return out


class LayoutBuilder:
    """Turns the simple form into Kintone's layout, collecting every problem rather than stopping at the first."""

    def __init__(self, properties: Mapping[str, Any], current: FormLayout) -> None:
        self.props = properties
        self.sizes = _sizes(current)
        self.placed: set[str] = set()
        self.problems: list[str] = []

    def _field(self, code: str, where: str, fields: Mapping[str, Any], width: Any = None, height: Any = None) -> (
        dict[str, Any] | None
    ):
        prop = fields.get(code)
        if prop is None:
            inside = next((c for c, p in self.props.items() if code in (p.get("fields") or {})), None)
            if inside is not None and fields is self.props:
                self.problems.append(f"{where}: {code!r} is a column of the table {inside!r}; place it in "
                                     f'{{"table": "{inside}", "columns": [...]}}.')
            else:
                known = sorted(c for c, p in fields.items() if p.get("type") not in _NOT_PLACED)
                self.problems.append(f"{where}: no field {code!r} here (fields: {', '.join(known)}).")
            return None
        ftype = str(prop.get("type"))
        if ftype in ("SUBTABLE", "GROUP"):
            key = "table" if ftype == "SUBTABLE" else "group"
            self.problems.append(f'{where}: {code!r} is a {ftype}; give it as its own item {{"{key}": "{code}"}}.')
            return None
        if ftype in _NOT_PLACED:
            self.problems.append(f"{where}: {code!r} ({ftype}) cannot be placed on the form.")
            return None
        if code in self.placed:
            self.problems.append(f"{where}: {code!r} is placed twice.")
            return None
        self.placed.add(code)
        element: dict[str, Any] = {"type": ftype, "code": code}
        size = dict(self.sizes.get(code, {}))
        for key, value in (("width", width), ("innerHeight" if ftype in _TALL else "height", height)):
            if value is not None:
                if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                    self.problems.append(f"{where}: {key} must be a positive number of pixels.")
                    return None
                size[key] = str(value)
        if ftype != "REFERENCE_TABLE" or size:
            element["size"] = size or {"width": "193"}
        return element

    def _element(self, raw: Any, where: str, fields: Mapping[str, Any]) -> dict[str, Any] | None:
        if isinstance(raw, str):
            return self._field(raw, where, fields)
        if not isinstance(raw, Mapping) or not raw:
            self.problems.append(f"{where}: an element is a field code or an object such as {{\"label\": \"…\"}}.")
            return None
        unknown = sorted(set(raw) - _ELEMENT_KEYS)
        if unknown:
            self.problems.append(f"{where}: unknown key(s) {unknown}; an element takes code (+ width, height), "
                                 "label, spacer or hr.")
            return None
        if "code" in raw:
            return self._field(str(raw["code"]), where, fields, raw.get("width"), raw.get("height"))
        if "label" in raw:
            return {"type": "LABEL", "label": str(raw["label"]), "size": {"width": str(raw.get("width") or 193)}}
        if "spacer" in raw:
            width = raw["spacer"] if isinstance(raw["spacer"], int) and raw["spacer"] > 0 else 100
            return {"type": "SPACER", "elementId": "", "size": {"width": str(width), "height": "20"}}
        if "hr" in raw:
            return {"type": "HR", "size": {"width": str(raw.get("width") or 600)}}
        self.problems.append(f"{where}: give code, label, spacer or hr.")
        return None

    def _row(self, raw: Any, where: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(raw, list):
            self.problems.append(f"{where}: a row is a list of elements.")
            return {"type": "ROW", "fields": []}
        elements = [self._element(e, f"{where}[{i}]", fields) for i, e in enumerate(raw)]
        return {"type": "ROW", "fields": [e for e in elements if e is not None]}

    def _container(self, raw: Mapping[str, Any], where: str) -> dict[str, Any] | None:
        kind = "table" if "table" in raw else "group"
        allowed = {"table", "columns"} if kind == "table" else {"group", "rows"}
        extra = sorted(set(raw) - allowed)
        if extra:
            self.problems.append(f"{where}: unknown key(s) {extra}; a {kind} takes {sorted(allowed)}.")
            return None
        code = str(raw[kind])
        prop = self.props.get(code)
        wanted = "SUBTABLE" if kind == "table" else "GROUP"
        if prop is None or prop.get("type") != wanted:
            names = sorted(c for c, p in self.props.items() if p.get("type") == wanted)
            self.problems.append(f"{where}: no {wanted} field {code!r} (the app's: {names or 'none'}).")
            return None
        if code in self.placed:
            self.problems.append(f"{where}: {code!r} is placed twice.")
            return None
        self.placed.add(code)
        if kind == "table":
            columns = prop.get("fields") or {}
            given = self._row(raw.get("columns") or [], f"{where}.columns", columns)["fields"]
            rest = [self._field(c, where, columns) for c in columns if c not in self.placed]
            return {"type": "SUBTABLE", "code": code, "fields": given + [e for e in rest if e is not None]}
        rows = raw.get("rows") or []
        if not isinstance(rows, list):
            self.problems.append(f"{where}.rows: a list of rows.")
            return None
        built = [self._row(r, f"{where}.rows[{i}]", self.props) for i, r in enumerate(rows)]
        return {"type": "GROUP", "code": code, "layout": [r for r in built if r["fields"]]}

    def build(self, rows: Simple) -> tuple[list[dict[str, Any]], list[str]]:
        """Kintone's layout and the codes appended because the rows left them out."""
        layout: list[dict[str, Any]] = []
        for i, raw in enumerate(rows):
            where = f"layout[{i}]"
            if isinstance(raw, Mapping) and ("table" in raw or "group" in raw):
                item = self._container(raw, where)
                if item is not None:
                    layout.append(item)
            elif isinstance(raw, list):
                row = self._row(raw, where, self.props)
                if row["fields"]:
                    layout.append(row)
            else:
                self.problems.append(f'{where}: give a row (a list), {{"table": code}} or {{"group": code}}.')
        appended: list[str] = []
        for code, prop in self.props.items():
            ftype = prop.get("type")
            if code in self.placed or ftype in _NOT_PLACED or ftype in _SYSTEM:
                continue
            appended.append(code)
            if ftype == "SUBTABLE":
                item = self._container({"table": code}, "appended")
            elif ftype == "GROUP":
                item = self._container({"group": code}, "appended")
            else:
                element = self._field(code, "appended", self.props)
                item = None if element is None else {"type": "ROW", "fields": [element]}
            if item is not None:
                layout.append(item)
        return layout, appended
