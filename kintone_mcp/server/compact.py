"""Kintone's read format -> the compact, plain form a model reads.

A Kintone record wraps every field as ``{"type": T, "value": V}`` and writes numbers as strings. A model does
better with ``{"Title": "...", "Amount": 1200, "Owner": ["sato"]}``: the type lives once in the app's schema
(``get_app``), not in every record. User, organization and group values become codes (what a write takes);
their display names are gathered once per result in ``names`` instead of being repeated in every record.

Long text is cut to a budget and the cut is recorded, so that a result can say exactly what it left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

#: Integers beyond this lose precision in JavaScript clients (IEEE double), so they stay strings.
_SAFE_INT = 2**53

#: CALC formats whose value is a number; the others (dates, durations) stay strings.
_NUMERIC_CALC_FORMATS = frozenset({"NUMBER", "NUMBER_DIGIT", ""})

_ENTITY_LIST_TYPES = frozenset({"USER_SELECT", "ORGANIZATION_SELECT", "GROUP_SELECT", "STATUS_ASSIGNEE"})
_ENTITY_TYPES = frozenset({"CREATOR", "MODIFIER"})
_LONG_TEXT_TYPES = frozenset({"MULTI_LINE_TEXT", "RICH_TEXT"})


def plain_number(text: Any) -> int | float | str | None:
    """Kintone's decimal string -> a JSON number whose text is the same decimal, or the string itself.

    ``"1200"`` -> 1200 and ``"12.5"`` -> 12.5; a value that a JSON double would alter (``"0.1000000000000000055"``,
    integers past 2**53) stays a string so that nothing is silently rounded. ``""`` (empty) -> None.
    """
    if text is None or text == "":
        return None
    if isinstance(text, bool):
        return str(text)
    if isinstance(text, int):
        return text if abs(text) < _SAFE_INT else str(text)
    s = str(text).strip()
    try:
        d = Decimal(s)
    except InvalidOperation:
        return s
    if not d.is_finite():
        return s
    if d == d.to_integral_value():
        i = int(d)
        return i if abs(i) < _SAFE_INT else s
    f = float(d)
    if Decimal(repr(f)) == d:
        return f
    return s


@dataclass
class TextCut:
    """One long text value that was shortened."""

    record_id: str | None
    field: str
    full_length: int


@dataclass
class RowCut:
    """One subtable whose rows beyond the bound were left out."""

    record_id: str | None
    field: str
    rows: int


@dataclass
class RecordFormatter:
    """Turns Kintone records into plain dicts, collecting entity names and text cuts across a whole result.

    ``properties`` is the app's ``fields.json`` properties (only needed to tell numeric CALC fields from
    date-formatted ones). ``max_text_chars`` bounds every MULTI_LINE_TEXT / RICH_TEXT value and ``max_rows`` the
    rows of every subtable (None: no bound).
    """

    properties: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    max_text_chars: int | None = None
    max_rows: int | None = None
    names: dict[str, str] = field(default_factory=dict)
    cuts: list[TextCut] = field(default_factory=list)
    row_cuts: list[RowCut] = field(default_factory=list)

    def record(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        record_id = _record_id(raw)
        # Identity first, so a reader meets "$id" before the fields (Kintone sends it last).
        out: dict[str, Any] = {k: plain_number(raw[k].get("value")) for k in ("$id", "$revision") if k in raw}
        for code, cell in raw.items():
            if code in out:
                continue
            if not isinstance(cell, Mapping):
                continue
            out[code] = self._value(code, cell, self.properties.get(code), record_id)
        return out

    def _value(self, code: str, cell: Mapping[str, Any], prop: Mapping[str, Any] | None, record_id: str | None) -> Any:
        ftype = str(cell.get("type", ""))
        value = cell.get("value")
        if ftype in ("__ID__", "__REVISION__"):
            return plain_number(value)
        if ftype in ("NUMBER",):
            return plain_number(value)
        if ftype == "CALC":
            fmt = str((prop or {}).get("format", "NUMBER"))
            return plain_number(value) if fmt in _NUMERIC_CALC_FORMATS else (value if value != "" else None)
        if ftype in _ENTITY_LIST_TYPES:
            return [self.entity(v) for v in (value or [])]
        if ftype in _ENTITY_TYPES:
            return self.entity(value) if value else None
        if ftype in _LONG_TEXT_TYPES:
            return self._text(str(value or ""), code, record_id)
        if ftype == "FILE":
            return [_file(v) for v in (value or [])]
        if ftype == "SUBTABLE":
            inner_props: Mapping[str, Mapping[str, Any]] = (prop or {}).get("fields") or {}
            rows = []
            all_rows = value or []
            if self.max_rows is not None and len(all_rows) > self.max_rows:
                self.row_cuts.append(RowCut(record_id=record_id, field=code, rows=len(all_rows)))
                all_rows = all_rows[: self.max_rows]
            for row in all_rows:
                plain_row: dict[str, Any] = {"$id": plain_number(row.get("id"))}
                for inner_code, inner_cell in (row.get("value") or {}).items():
                    if isinstance(inner_cell, Mapping):
                        plain_row[inner_code] = self._value(
                            f"{code}.{inner_code}", inner_cell, inner_props.get(inner_code), record_id
                        )
                rows.append(plain_row)
            return rows
        return value

    def entity(self, value: Any) -> str:
        if isinstance(value, Mapping):
            code = str(value.get("code", ""))
            name = value.get("name")
            if name and name != code:
                self.names[code] = str(name)
            return code
        return str(value)

    def _text(self, text: str, code: str, record_id: str | None) -> str:
        limit = self.max_text_chars
        if limit is None or len(text) <= limit:
            return text
        self.cuts.append(TextCut(record_id=record_id, field=code, full_length=len(text)))
        return text[:limit] + f"…[cut: {len(text) - limit} more chars]"


def _record_id(raw: Mapping[str, Any]) -> str | None:
    for cell in raw.values():
        if isinstance(cell, Mapping) and cell.get("type") == "__ID__":
            return str(cell.get("value"))
    return None


def _file(value: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": value.get("name"), "fileKey": value.get("fileKey")}
    size = plain_number(value.get("size"))
    if size is not None:
        out["size"] = size
    if value.get("contentType"):
        out["contentType"] = value.get("contentType")
    return out
