"""A Kintone ``fields.json`` properties dict with one field of each kind the server treats differently.

Written in Kintone's own format (strings for numeric settings and option indexes) so the pure modules are tested
on the shape the client hands them; the sandbox-backed tests cover the same code through the real path.
"""

from __future__ import annotations

from typing import Any

PROPS: dict[str, dict[str, Any]] = {
    "$id": {"type": "__ID__", "code": "$id", "label": "Record ID"},
    "$revision": {"type": "__REVISION__", "code": "$revision", "label": "Revision"},
    "Record_number": {"type": "RECORD_NUMBER", "code": "Record_number", "label": "Record number"},
    "Created_by": {"type": "CREATOR", "code": "Created_by", "label": "Created by"},
    "Title": {
        "type": "SINGLE_LINE_TEXT",
        "code": "Title",
        "label": "Deal name",
        "required": True,
        "defaultValue": "",
        "minLength": "",
        "maxLength": "20",
    },
    "Notes": {"type": "MULTI_LINE_TEXT", "code": "Notes", "label": "Notes", "required": False, "defaultValue": ""},
    "Amount": {
        "type": "NUMBER",
        "code": "Amount",
        "label": "Amount",
        "required": False,
        "minValue": "0",
        "maxValue": "",
        "defaultValue": "",
    },
    "Total": {"type": "CALC", "code": "Total", "label": "Total", "format": "NUMBER", "expression": "Amount*2"},
    "Due_calc": {"type": "CALC", "code": "Due_calc", "label": "Due", "format": "DATE", "expression": "x"},
    "Stage": {
        "type": "DROP_DOWN",
        "code": "Stage",
        "label": "Stage",
        "required": False,
        "defaultValue": "",
        "options": {
            "Won": {"label": "Won", "index": "2"},
            "Lead": {"label": "Lead", "index": "0"},
            "Proposal": {"label": "Proposal", "index": "1"},
        },
    },
    "Priority": {
        "type": "RADIO_BUTTON",
        "code": "Priority",
        "label": "Priority",
        "required": True,
        "defaultValue": "Low",
        "options": {"Low": {"label": "Low", "index": "0"}, "High": {"label": "High", "index": "1"}},
    },
    "Tags": {
        "type": "CHECK_BOX",
        "code": "Tags",
        "label": "Tags",
        "required": False,
        "defaultValue": [],
        "options": {"new": {"label": "new", "index": "0"}, "vip": {"label": "vip", "index": "1"}},
    },
    "Close_date": {"type": "DATE", "code": "Close_date", "label": "Close date", "required": False},
    "Call_time": {"type": "TIME", "code": "Call_time", "label": "Call time", "required": False},
    "Meeting": {"type": "DATETIME", "code": "Meeting", "label": "Meeting", "required": False},
    "Owner": {"type": "USER_SELECT", "code": "Owner", "label": "Owner", "required": False, "entities": []},
    "Files": {"type": "FILE", "code": "Files", "label": "Attachments", "required": False},
    "Items": {
        "type": "SUBTABLE",
        "code": "Items",
        "label": "Line items",
        "fields": {
            "Product": {"type": "SINGLE_LINE_TEXT", "code": "Product", "label": "Product", "required": True},
            "Qty": {"type": "NUMBER", "code": "Qty", "label": "Qty", "required": False},
            "Line_total": {"type": "CALC", "code": "Line_total", "label": "Line total", "format": "NUMBER"},
        },
    },
    "Status": {"type": "STATUS", "code": "Status", "label": "Status", "enabled": True},
    "Related": {"type": "REFERENCE_TABLE", "code": "Related", "label": "Related", "referenceTable": {}},
}
