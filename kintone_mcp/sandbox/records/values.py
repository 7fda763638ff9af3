"""Field values: the stored form of each type, its empty value, parsing of written values, and the read form.

Stored forms (the ``data`` JSON of a record, see ``store/database.py``):

* text types: string ("" when empty); NUMBER / CALC: canonical decimal string ("15", "-0.5"), "" when empty
* CHECK_BOX / MULTI_SELECT: list of labels; RADIO_BUTTON: string; DROP_DOWN: string or None
* DATE "YYYY-MM-DD" | None; TIME "HH:MM" | None; DATETIME "YYYY-MM-DDTHH:MM:00Z" (UTC) | None
* USER_SELECT / ORGANIZATION_SELECT / GROUP_SELECT: list of codes
* FILE: list of {"fileKey", "name", "contentType", "size"}
* SUBTABLE: list of {"id": "<row id>", "value": {inner code: stored value}}
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from kintone_mcp.sandbox.store.directory import Names

TEXT_TYPES = frozenset({"SINGLE_LINE_TEXT", "MULTI_LINE_TEXT", "RICH_TEXT", "LINK"})
NUMBER_TYPES = frozenset({"NUMBER", "CALC"})
LIST_OPTION_TYPES = frozenset({"CHECK_BOX", "MULTI_SELECT"})
ENTITY_TYPES = frozenset({"USER_SELECT", "ORGANIZATION_SELECT", "GROUP_SELECT"})
NULLABLE_TYPES = frozenset({"DROP_DOWN", "DATE", "TIME", "DATETIME"})
#: Types whose values live in ``data`` (system fields are columns; layout-only types have no value).
DATA_TYPES = (
    TEXT_TYPES | NUMBER_TYPES | LIST_OPTION_TYPES | ENTITY_TYPES | NULLABLE_TYPES
    | {"RADIO_BUTTON", "FILE", "SUBTABLE"}
)
#: Types a "unique" setting applies to (docs/kintone-api.md §5).
UNIQUE_TYPES = frozenset({"SINGLE_LINE_TEXT", "NUMBER", "DATE", "DATETIME", "LINK"})

_NUMBER_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$")
_DATETIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"
)


def empty_value(ftype: str) -> Any:
    if ftype in NULLABLE_TYPES:
        return None
    if ftype in LIST_OPTION_TYPES or ftype in ENTITY_TYPES or ftype in ("FILE", "SUBTABLE"):
        return []
    return ""


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or (isinstance(value, str) and not value.strip())


def canonical_decimal(number: Decimal) -> str:
    """"1.5e1" -> "15", "-0.50" -> "-0.5", "-0" -> "0": one spelling per number so equality is string equality."""
    if number.is_zero():
        return "0"
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def parse_number(raw: Any) -> str | None:
    """A written NUMBER value in canonical form; "" for empty; None when it is not a number."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float | Decimal):
        raw = str(raw)
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if text == "":
        return ""
    if not _NUMBER_RE.match(text):
        return None
    try:
        return canonical_decimal(Decimal(text))
    except InvalidOperation:
        return None


def parse_date(raw: Any) -> str | None:
    """"YYYY-MM-DD" when valid, else None (callers treat ""/None as empty before calling)."""
    if not isinstance(raw, str):
        return None
    m = _DATE_RE.match(raw.strip())
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        return None


def parse_time(raw: Any) -> str | None:
    """"HH:MM" (seconds dropped, as Kintone stores them) or None."""
    if not isinstance(raw, str):
        return None
    m = _TIME_RE.match(raw.strip())
    if not m or int(m[1]) > 23 or int(m[2]) > 59 or (m[3] is not None and int(m[3]) > 59):
        return None
    return f"{int(m[1]):02d}:{m[2]}"


def parse_datetime(raw: Any) -> str | None:
    """UTC minute-precision "YYYY-MM-DDTHH:MM:00Z" or None. A value without an offset is read as UTC."""
    if not isinstance(raw, str):
        return None
    m = _DATETIME_RE.match(raw.strip())
    if not m:
        return None
    offset = m[7]
    tz: timezone = UTC
    if offset and offset != "Z":
        sign = 1 if offset[0] == "+" else -1
        digits = offset[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 23 or minutes > 59:
            return None
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        moment = datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), tzinfo=tz)
    except ValueError:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:00Z")


def read_value(ftype: str, stored: Any, names: Names, prop: dict[str, Any] | None = None) -> Any:
    """The value of a field in Kintone's read format."""
    if stored is None and ftype not in NULLABLE_TYPES:
        stored = empty_value(ftype)
    if ftype == "USER_SELECT":
        return [{"code": c, "name": names.users.get(c, c)} for c in stored]
    if ftype == "ORGANIZATION_SELECT":
        return [{"code": c, "name": names.organizations.get(c, c)} for c in stored]
    if ftype == "GROUP_SELECT":
        return [{"code": c, "name": names.groups.get(c, c)} for c in stored]
    if ftype == "FILE":
        return [
            {"contentType": f.get("contentType", ""), "fileKey": f["fileKey"], "name": f.get("name", ""),
             "size": str(f.get("size", "0"))}
            for f in stored
        ]
    if ftype == "SUBTABLE":
        inner_props: dict[str, Any] = (prop or {}).get("fields", {})
        return [
            {
                "id": str(row["id"]),
                "value": {
                    code: {"type": p["type"], "value": read_value(p["type"], row["value"].get(code), names, p)}
                    for code, p in inner_props.items()
                },
            }
            for row in stored
        ]
    if ftype in LIST_OPTION_TYPES:
        return list(stored)
    return stored
