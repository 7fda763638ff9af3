"""A Deals-like app with every searchable field type, a handful of records chosen to sit on the edges of Kintone's
query semantics, and a runner that executes compiled queries against a raw ``records`` table laid out as the
sandbox stores it. Shared by the ``test_query_semantics*`` files."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from kintone_mcp.query import parse
from kintone_mcp.query.ast import Query
from kintone_mcp.sandbox.store.querysql import QueryContext, compile_query

APP = 2
OTHER_APP = 3
RELATED_APP = 9

SCHEMA = """
CREATE TABLE records (
    app INTEGER NOT NULL, id INTEGER NOT NULL, revision INTEGER NOT NULL, creator TEXT NOT NULL,
    created_at TEXT NOT NULL, modifier TEXT NOT NULL, updated_at TEXT NOT NULL, status TEXT,
    assignees TEXT NOT NULL DEFAULT '[]', data TEXT NOT NULL, PRIMARY KEY (app, id)
)
"""


def options(*labels: str) -> dict[str, dict[str, str]]:
    return {label: {"label": label, "index": str(i)} for i, label in enumerate(labels)}


def _f(code: str, type_: str, **extra: Any) -> tuple[str, dict[str, Any]]:
    return code, {"type": type_, "code": code, "label": code, **extra}


FIELDS: dict[str, dict[str, Any]] = dict(
    [
        _f("Record_number", "RECORD_NUMBER"),
        _f("Created_by", "CREATOR"),
        _f("Updated_by", "MODIFIER"),
        _f("Created_datetime", "CREATED_TIME"),
        _f("Updated_datetime", "UPDATED_TIME"),
        _f("Status", "STATUS", enabled=True),
        _f("Assignee", "STATUS_ASSIGNEE", enabled=True),
        _f("Categories", "CATEGORY", enabled=False),
        _f("Title", "SINGLE_LINE_TEXT"),
        _f("Notes", "MULTI_LINE_TEXT"),
        _f("Body", "RICH_TEXT"),
        _f("Url", "LINK", protocol="WEB"),
        _f("Amount", "NUMBER"),
        _f("Total", "CALC", expression="Amount * 1.1"),
        # Option order deliberately differs from alphabetical order, to tell the two sort orders apart.
        _f("Stage", "DROP_DOWN", options=options("Lead", "Qualified", "Proposal", "Won", "Lost")),
        _f("Priority", "RADIO_BUTTON", options=options("High", "Medium", "Low")),
        _f("Tags", "CHECK_BOX", options=options("A", "B", "C")),
        _f("Regions", "MULTI_SELECT", options=options("East", "West", "北海道")),
        _f("Owner", "USER_SELECT"),
        _f("Team", "ORGANIZATION_SELECT"),
        _f("Groups", "GROUP_SELECT"),
        _f("Attachments", "FILE"),
        _f("Close", "DATE"),
        _f("Meeting", "DATETIME"),
        _f("Start", "TIME"),
        _f("顧客名", "SINGLE_LINE_TEXT"),
        _f(
            "Items",
            "SUBTABLE",
            fields=dict(
                [
                    _f("Product", "SINGLE_LINE_TEXT"),
                    _f("Qty", "NUMBER"),
                    _f("Kind", "DROP_DOWN", options=options("Hardware", "Software")),
                    _f("Shipped", "DATE"),
                    _f("Memo", "MULTI_LINE_TEXT"),
                ]
            ),
        ),
        _f(
            "Tickets",
            "REFERENCE_TABLE",
            referenceTable={
                "relatedApp": {"app": str(RELATED_APP), "code": ""},
                "condition": {"field": "Title", "relatedField": "Deal"},
                "filterCond": "",
                "displayFields": ["Deal", "Severity", "Kind"],
                "sort": "Record_number desc",
                "size": "5",
            },
        ),
        _f(
            "SevereTickets",
            "REFERENCE_TABLE",
            referenceTable={
                "relatedApp": {"app": str(RELATED_APP), "code": ""},
                "condition": {"field": "Title", "relatedField": "Deal"},
                "filterCond": "Severity >= 2",
                "displayFields": ["Deal", "Severity"],
                "sort": "Record_number desc",
                "size": "5",
            },
        ),
        _f("Explain", "LABEL"),
        _f("Section", "GROUP"),
        _f("Gap", "SPACER"),
    ]
)

RELATED_FIELDS: dict[str, dict[str, Any]] = dict(
    [
        _f("Record_number", "RECORD_NUMBER"),
        _f("Deal", "SINGLE_LINE_TEXT"),
        _f("Severity", "NUMBER"),
        _f("Kind", "DROP_DOWN", options=options("Bug", "Question")),
    ]
)

#: Stored value of each field when a record leaves it out, as the sandbox stores an empty field.
EMPTY: dict[str, Any] = {
    "Title": "",
    "Notes": "",
    "Body": "",
    "Url": "",
    "Amount": "",
    "Total": "",
    "Stage": None,
    "Priority": "High",
    "Tags": [],
    "Regions": [],
    "Owner": [],
    "Team": [],
    "Groups": [],
    "Attachments": [],
    "Close": None,
    "Meeting": None,
    "Start": None,
    "顧客名": "",
    "Items": [],
}


def file(name: str) -> dict[str, str]:
    return {"fileKey": f"key-{name}", "name": name, "contentType": "application/octet-stream", "size": "1"}


def row(i: int, **values: Any) -> dict[str, Any]:
    inner = {"Product": "", "Qty": "", "Kind": None, "Shipped": None, "Memo": ""}
    return {"id": str(i), "value": {**inner, **values}}


# (id, columns, data). Comments say what each record is there to test.
# fmt: off
RECORDS: list[tuple[int, dict[str, Any], dict[str, Any]]] = [
    (
        1,  # a full record; its table has two rows that disagree, for any/all/same-row
        {"creator": "sato", "modifier": "suzuki", "created_at": "2024-01-10T00:00:00Z",
         "updated_at": "2024-03-14T15:00:00Z", "status": "Open", "assignees": ["sato"]},
        {"Title": "Alpha deal", "Notes": "First line\nsecond LINE", "Body": "<p>Hello <b>World</b></p>",
         "Url": "https://example.com/a", "Amount": "1500", "Total": "1650", "Stage": "Lead", "Priority": "High",
         "Tags": ["A", "B"], "Regions": ["East"], "Owner": ["sato"], "Team": ["sales"], "Groups": ["managers"],
         "Attachments": [file("Quote_2024.PDF")], "Close": "2024-03-01", "Meeting": "2024-03-14T15:00:00Z",
         "Start": "09:00", "顧客名": "株式会社サンプル",
         "Items": [row(11, Product="Widget", Qty="3", Kind="Hardware", Shipped="2024-03-02"),
                   row(12, Product="Gadget", Qty="10", Kind="Software", Memo="rush")]},
    ),
    (
        2,  # whitespace-only multi-line text, a negative decimal, an empty table, several users
        {"creator": "suzuki", "modifier": "suzuki", "created_at": "2024-02-01T09:00:00Z",
         "updated_at": "2024-03-15T14:59:00Z", "status": "In progress", "assignees": ["suzuki", "tanaka"]},
        {"Title": "beta DEAL", "Notes": "  \n\t ", "Amount": "-0.5", "Total": "0", "Stage": "Qualified",
         "Priority": "Medium", "Regions": ["West", "北海道"], "Owner": ["suzuki", "tanaka"]},
    ),
    (
        3,  # empty almost everywhere; one table row whose fields are all empty but for the product
        {"creator": "Administrator", "modifier": "Administrator", "created_at": "2024-03-15T00:00:00Z",
         "updated_at": "2024-03-15T15:00:00Z", "status": "Done", "assignees": []},
        {"Priority": "Low", "Tags": ["C"], "Team": ["support"], "Attachments": [file("notes.txt"), file("photo.png")],
         "Close": "2024-03-31", "Meeting": "2024-03-31T23:59:00Z", "Start": "23:59",
         "Items": [row(31, Product="Widget", Memo="\t\n")]},
    ),
    (
        4,  # SQL wildcard characters in text; Feb 29
        {"creator": "sato", "modifier": "tanaka", "created_at": "2024-02-29T12:00:00Z",
         "updated_at": "2024-02-29T12:00:00Z", "status": "Open", "assignees": ["tanaka"]},
        {"Title": "100% sure_thing", "Notes": "contains 50% and a_b", "Body": "<div>100%</div>", "Amount": "100",
         "Total": "110", "Stage": "Won", "Priority": "High", "Tags": ["A"], "Regions": ["East", "West"],
         "Owner": ["Administrator"], "Team": ["engineering", "sales"], "Close": "2024-02-29",
         "Meeting": "2024-02-29T12:00:00Z", "Start": "12:30",
         "Items": [row(41, Product="Gizmo", Qty="1", Kind="Hardware", Shipped="2024-01-05"),
                   row(42, Product="Widget", Qty="5", Kind="Software", Shipped="2024-02-01")]},
    ),
    (
        5,  # same title and amount as record 1, for sort ties
        {"creator": "tanaka", "modifier": "tanaka", "created_at": "2024-03-14T14:59:00Z",
         "updated_at": "2024-03-14T14:59:00Z", "status": "Open", "assignees": []},
        {"Title": "Alpha deal", "Amount": "1500", "Total": "1650", "Stage": "Lost", "Priority": "Medium",
         "Tags": ["B", "C"], "Owner": ["sato"], "Close": "2024-03-15", "Meeting": "2024-03-15T14:59:00Z",
         "Start": "00:00", "Items": [row(51, Product="Gadget", Qty="7", Kind="Software")]},
    ),
    (
        6,  # a number beyond 32 bits; the previous year; quotes, backslashes and accents in rich text
        {"creator": "sato", "modifier": "sato", "created_at": "2023-12-31T15:00:00Z",
         "updated_at": "2023-12-31T15:00:00Z", "status": "Done", "assignees": ["sato"]},
        {"Title": "gamma", "Amount": "99999999999", "Total": "0.25", "Stage": "Proposal", "Priority": "Low",
         "Body": '<p>Café "Ünïcode" C:\\temp\\x</p>',
         "Close": "2023-12-31", "Meeting": "2023-12-31T15:00:00Z",
         "Items": [row(61, Qty="0", Kind="Hardware")]},
    ),
]
# fmt: on

ALL_IDS = frozenset(i for i, _, _ in RECORDS)

# The related app: tickets linked to deals by title.
TICKETS: list[dict[str, Any]] = [
    {"Deal": "Alpha deal", "Severity": "3", "Kind": "Bug"},
    {"Deal": "Alpha deal", "Severity": "1", "Kind": "Question"},
    {"Deal": "gamma", "Severity": "1", "Kind": "Question"},
    {"Deal": "", "Severity": "5", "Kind": "Bug"},  # an empty key links to nothing, not to record 3's empty title
    {"Deal": "beta DEAL", "Severity": "2", "Kind": "Bug"},
]

NOW = datetime(2024, 3, 15, 10, 30, 45, tzinfo=UTC)  # a Friday; 19:30 in Tokyo
TOKYO = ZoneInfo("Asia/Tokyo")


def context(
    *, tz: ZoneInfo = TOKYO, now: datetime = NOW, login: str = "sato", organization: str | None = "sales", **kw: Any
) -> QueryContext:
    related = {str(RELATED_APP): RELATED_FIELDS}
    return QueryContext(login, organization, tz, now, related_fields=related.get, **kw)


def _json(data: Mapping[str, Any], *, escape_values: bool) -> str:
    """Writers differ in whether they escape non-ASCII text in values, and the compiler must not care. Keys are
    always raw UTF-8: SQLite's JSON paths do not match a key written with escapes."""
    if not escape_values:
        return json.dumps(data, ensure_ascii=False)
    return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + json.dumps(v) for k, v in data.items()) + "}"


def _insert(conn: sqlite3.Connection, app: int, i: int, columns: Mapping[str, Any], data: Mapping[str, Any]) -> None:
    conn.execute(
        "INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            app,
            i,
            columns.get("revision", i + 1),
            columns.get("creator", "Administrator"),
            columns.get("created_at", "2024-01-01T00:00:00Z"),
            columns.get("modifier", "Administrator"),
            columns.get("updated_at", "2024-01-01T00:00:00Z"),
            columns.get("status"),
            json.dumps(columns.get("assignees", [])),
            _json(data, escape_values=i % 2 == 1),
        ),
    )


def database() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute(SCHEMA)
    for i, columns, data in RECORDS:
        _insert(conn, APP, i, columns, {**EMPTY, **data})
    # Another app's records match many conditions too; they must never come back.
    for i, _, data in RECORDS[:3]:
        _insert(conn, OTHER_APP, i + 100, {}, {**EMPTY, **data})
    for i, ticket in enumerate(TICKETS, start=1):
        _insert(conn, RELATED_APP, i, {}, ticket)
    return conn


def run(
    conn: sqlite3.Connection,
    query: str | Query,
    ctx: QueryContext | None = None,
    *,
    fields: Mapping[str, Mapping[str, Any]] = FIELDS,
    lenient: bool = True,
) -> list[int]:
    """Ids the query selects, in the order it sorts them, as the sandbox core will run it."""
    tree = parse(query) if isinstance(query, str) else query
    compiled = compile_query(tree, fields, ctx or context(), lenient=lenient)
    sql = f"SELECT r.id FROM records r WHERE r.app = ? AND ({compiled.where}) ORDER BY {compiled.order_by}"
    params: list[object] = [APP, *compiled.params]
    if compiled.limit is not None or compiled.offset is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [compiled.limit if compiled.limit is not None else -1, compiled.offset or 0]
    return [i for (i,) in conn.execute(sql, params)]
