"""A corpus of malformed tool calls, table-driven: wrong types, missing arguments, huge limits, unknown apps and
fields, values that try to break out of a query string, very long strings, invalid dates, wrong option labels,
malformed subtables, paths outside the download folder.

Every call must come back as an ``isError`` result whose text names the problem (the expected fragments of each
case), be short enough for a model's context, leave the server serving, and put no traceback in the logs or on
stderr.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from kintone_mcp.sandbox import Sandbox
from tests.reliability.conftest import CUSTOMERS, TICKETS, faulty_sandbox, mcp_server
from tests.server.conftest import add_file_field

pytestmark = pytest.mark.anyio

LONG = "x" * 100_000
HUGE = 10**23
QUOTED_LONG = "[100,000 characters]"


@dataclass(frozen=True)
class Bad:
    tool: str
    args: dict[str, Any]
    #: fragments the error text must contain (each names the problem or the fix)
    expect: tuple[str, ...]


def invalid(tool: str, args: dict[str, Any], where: str, *problem: str) -> Bad:
    """A call the argument schema refuses: the text names the argument and the constraint."""
    return Bad(tool, args, (f"Invalid arguments for {tool}", f"- {where}:", *problem, "Fix these and call again"))


# --- wrong types, missing and out-of-range arguments, per tool ----------------------------------------------------

#: tool -> its arguments that name a record id (and the other arguments it needs to get that far)
ID_TOOLS: dict[str, dict[str, Any]] = {
    "get_record": {},
    "update_status": {"app": TICKETS, "action": "Resolve"},
    "update_assignees": {"app": TICKETS, "assignees": ["sato"]},
    "get_comments": {},
    "add_comment": {"text": "hello"},
    "download_file": {"file_key": "k"},
    "upload_file": {"app": CUSTOMERS, "field": "attachments", "path": "quote.csv"},
}
ID_VALUES: list[tuple[Any, tuple[str, ...]]] = [
    ("abc", ("valid integer", "'abc'")),
    (-1, ("greater than or equal to 1",)),
    (0, ("greater than or equal to 1",)),
    (1.5, ("fractional part",)),
    (None, ("valid integer",)),
    ([1], ("valid integer",)),
    ({"id": 1}, ("valid integer",)),
    (HUGE, ("larger than any Kintone id",)),
]

CASES: list[Bad] = []
for tool, rest in ID_TOOLS.items():
    for value, problem in ID_VALUES:
        CASES.append(invalid(tool, {**rest, "id": value}, "id", *problem))
    CASES.append(invalid(tool, rest, "id", "Field required"))

#: every tool taking `app`, with arguments that are otherwise fine
APP_TOOLS: dict[str, dict[str, Any]] = {
    "get_app": {},
    "get_records": {},
    "get_record": {"id": 1},
    "aggregate_records": {},
    "add_record": {"record": {"title": "x"}},
    "add_records": {"records": [{"title": "x"}]},
    "update_record": {"id": 1, "record": {"title": "x"}},
    "update_records": {"records": [{"id": 1, "record": {"title": "x"}}]},
    "upsert_records": {"key_field": "customer_code", "records": [{"customer_code": "X"}]},
    "delete_records": {"ids": [1]},
    "update_status": {"id": 1, "action": "Resolve"},
    "update_assignees": {"id": 1, "assignees": []},
    "get_comments": {"id": 1},
    "add_comment": {"id": 1, "text": "x"},
    "download_file": {"id": 1, "file_key": "k"},
    "upload_file": {"id": 1, "field": "attachments", "path": "quote.csv"},
}
APP_VALUES: list[tuple[Any, tuple[str, ...]]] = [
    ("no_such_alias", ("'no_such_alias' is neither an app id nor a configured alias", "list_apps")),
    (0, ("0 is neither an app id", "list_apps")),
    (-3, ("-3 is neither an app id",)),
    ('1 or "1"="1"', ("is neither an app id nor a configured alias",)),
    (HUGE, (f"{HUGE} is neither an app id",)),
    (LONG, (QUOTED_LONG, "is neither an app id")),
]
for tool, rest in APP_TOOLS.items():
    for value, problem in APP_VALUES:
        CASES.append(Bad(tool, {**rest, "app": value}, problem))
    CASES.append(Bad(tool, {**rest, "app": 999}, ("The app (ID: 999) is not found", "list_apps")))
    CASES.append(invalid(tool, {**rest, "app": [1]}, "app.int", "valid integer", "app.str", "valid string"))

CASES += [
    # missing arguments
    invalid("add_record", {}, "record", "Field required"),
    invalid("add_records", {}, "records", "Field required"),
    invalid("update_record", {"id": 1}, "record", "Field required"),
    invalid("update_records", {}, "records", "Field required"),
    invalid("upsert_records", {"records": [{"x": 1}]}, "key_field", "Field required"),
    invalid("delete_records", {}, "ids", "Field required"),
    invalid("update_status", {"app": TICKETS, "id": 1}, "action", "Field required"),
    invalid("update_assignees", {"app": TICKETS, "id": 1}, "assignees", "Field required"),
    invalid("add_comment", {"id": 1}, "text", "Field required"),
    invalid("download_file", {"id": 1}, "file_key", "Field required"),
    invalid("upload_file", {"app": CUSTOMERS, "id": 1, "path": "quote.csv"}, "field", "Field required"),
    # wrong types
    invalid("add_record", {"record": "title=x"}, "record", "valid dictionary"),
    invalid("add_record", {"record": []}, "record", "valid dictionary"),
    invalid("add_records", {"records": {}}, "records", "valid list"),
    invalid("add_records", {"records": ["x"]}, "records.0", "valid dictionary"),
    invalid("get_records", {"limit": "ten"}, "limit", "valid integer"),
    invalid("get_records", {"fields": "title"}, "fields", "valid list"),
    invalid("get_records", {"fields": [1, 2]}, "fields.0", "valid string"),
    invalid("get_records", {"filter": "title = x"}, "filter", "valid dictionary"),
    invalid("get_records", {"filter": {"conditions": "x"}}, "filter.conditions", "valid list"),
    invalid("get_records", {"filter": {"match": "some", "conditions": []}}, "filter.match", "'all' or 'any'"),
    Bad(
        "get_records",
        {"filter": {"conditions": [{"field": "title", "op": "~~", "value": "x"}]}},
        ("Invalid arguments for get_records", "filter.conditions.0", "(got '~~')"),
    ),
    invalid("aggregate_records", {"metrics": "sum(amount)"}, "metrics", "valid list"),
    invalid("aggregate_records", {"group_by": ["a", "b", "c"]}, "group_by", "at most 2 items"),
    invalid("list_apps", {"ids": ["x"]}, "ids.0", "valid integer"),
    invalid("list_apps", {"space_id": "x"}, "space_id", "valid integer"),
    invalid("update_record", {"update_key": "title", "record": {"title": "x"}}, "update_key", "valid dictionary"),
    invalid("update_records", {"records": [{"id": 1}]}, "records.0.record", "Field required"),
    invalid("delete_records", {"ids": ["x"]}, "ids.0", "valid integer"),
    invalid("delete_records", {"ids": [1], "revisions": ["x"]}, "revisions.0", "valid integer"),
    invalid("add_comment", {"id": 1, "text": "hi", "mentions": "sato"}, "mentions", "valid list"),
    invalid("update_assignees", {"app": TICKETS, "id": 1, "assignees": "sato"}, "assignees", "valid list"),
    invalid("list_users", {"kind": "robots"}, "kind", "'users', 'organizations' or 'groups'"),
    invalid("get_comments", {"id": 1, "order": "random"}, "order", "'asc' or 'desc'"),
    # huge and negative limits, offsets, sizes
    invalid("get_records", {"limit": 0}, "limit", "greater than or equal to 1"),
    invalid("get_records", {"limit": -5}, "limit", "greater than or equal to 1"),
    invalid("get_records", {"limit": 100_000}, "limit", "less than or equal to 1000"),
    invalid("get_records", {"limit": HUGE}, "limit", "less than or equal to 1000"),
    invalid("get_records", {"max_text_chars": 1}, "max_text_chars", "greater than or equal to 50"),
    invalid("get_record", {"id": 1, "max_text_chars": HUGE}, "max_text_chars", "less than or equal to 100000"),
    invalid("list_apps", {"limit": 1000}, "limit", "less than or equal to 100"),
    invalid("list_apps", {"limit": 0}, "limit", "greater than or equal to 1"),
    invalid("list_apps", {"offset": -1}, "offset", "greater than or equal to 0"),
    invalid("list_apps", {"offset": HUGE}, "offset", "larger than Kintone accepts"),
    invalid("list_apps", {"ids": list(range(1, 102))}, "ids", "at most 100 items"),
    invalid("list_apps", {"ids": [HUGE]}, "ids.0", "larger than any Kintone id"),
    invalid("list_apps", {"space_id": HUGE}, "space_id", "larger than any Kintone id"),
    invalid("list_users", {"limit": 500}, "limit", "less than or equal to 100"),
    invalid("list_users", {"offset": HUGE}, "offset", "larger than Kintone accepts"),
    invalid("list_users", {"codes": [f"u{n}" for n in range(101)]}, "codes", "at most 100 items"),
    invalid("get_comments", {"id": 1, "limit": 50}, "limit", "less than or equal to 10"),
    invalid("get_comments", {"id": 1, "offset": -1}, "offset", "greater than or equal to 0"),
    invalid("get_comments", {"id": 1, "offset": HUGE}, "offset", "larger than Kintone accepts"),
    invalid("add_records", {"records": []}, "records", "at least 1 item"),
    invalid("add_records", {"records": [{"title": "x"}] * 2001}, "records", "at most 2000 items"),
    invalid("update_records", {"records": []}, "records", "at least 1 item"),
    invalid("delete_records", {"ids": []}, "ids", "at least 1 item"),
    invalid("delete_records", {"ids": [0]}, "ids.0", "greater than or equal to 1"),
    invalid("delete_records", {"ids": [HUGE]}, "ids.0", "larger than any Kintone id"),
    invalid("delete_records", {"ids": list(range(1, 2002))}, "ids", "at most 2000 items"),
    invalid(
        "update_record", {"id": 1, "revision": -5, "record": {"title": "x"}}, "revision", "greater than or equal to -1"
    ),
    invalid(
        "update_record", {"id": 1, "revision": HUGE, "record": {"title": "x"}}, "revision", "larger than any Kintone id"
    ),
    invalid("add_comment", {"id": 1, "text": ""}, "text", "at least 1 character"),
    invalid("add_comment", {"id": 1, "text": LONG}, "text", "at most 65535 characters"),
    invalid(
        "add_comment", {"id": 1, "text": "hi", "mentions": [f"u{n}" for n in range(11)]}, "mentions", "at most 10 items"
    ),
    invalid(
        "update_assignees",
        {"app": TICKETS, "id": 1, "assignees": [f"u{n}" for n in range(101)]},
        "assignees",
        "at most 100 items",
    ),
    # calls that name records ambiguously or twice
    Bad("update_record", {"record": {"title": "x"}}, ("exactly one of `id` and `update_key`",)),
    Bad(
        "update_record",
        {"id": 1, "update_key": {"field": "title", "value": "x"}, "record": {"title": "x"}},
        ("exactly one of `id` and `update_key`",),
    ),
    Bad(
        "update_records",
        {"records": [{"record": {"title": "x"}}]},
        ("records[0]", "exactly one of `id` and `update_key`"),
    ),
    Bad("delete_records", {"ids": [1, 1]}, ("lists a record more than once",)),
    Bad("delete_records", {"ids": [1, 2], "revisions": [1]}, ("`revisions` has 1 entries for 2 ids",)),
    Bad("nosuchtool", {}, ("Unknown tool: nosuchtool",)),
]

# --- unknown apps, records, fields and keys -----------------------------------------------------------------------
CASES += [
    Bad("get_record", {"id": 99_999_999}, ("The record (ID: 99999999) is not found", "get_records finds record ids")),
    Bad("update_record", {"id": 999_999, "record": {"title": "x"}}, ("The record (ID: 999999) is not found",)),
    Bad("delete_records", {"ids": [999_999]}, ("The record (ID: 999999) is not found",)),
    Bad("get_comments", {"id": 999_999}, ("The record (ID: 999999) is not found",)),
    Bad("add_comment", {"id": 999_999, "text": "hi"}, ("The record (ID: 999999) is not found",)),
    Bad("update_status", {"app": TICKETS, "id": 99_999, "action": "Resolve"}, ("The record (ID: 99999) is not found",)),
    Bad("download_file", {"id": 99_999, "file_key": "x"}, ("The record (ID: 99999) is not found",)),
    Bad("get_records", {"fields": ["nosuch"]}, ("unknown field 'nosuch'", "field codes of this app")),
    Bad("get_records", {"fields": [LONG]}, ("unknown field", QUOTED_LONG)),
    Bad("get_records", {"order_by": "nosuch desc"}, ("no field with the code 'nosuch'",)),
    Bad(
        "get_records",
        {"filter": {"conditions": [{"field": "nosuch", "op": "=", "value": 1}]}},
        ("no field with the code 'nosuch'",),
    ),
    Bad("get_records", {"query": "nosuchfield = 1"}, ("no field with the code 'nosuchfield'",)),
    Bad("get_records", {"query": "order by nosuch desc"}, ("no field with the code 'nosuch'",)),
    Bad("aggregate_records", {"group_by": ["nosuch"]}, ("group_by: unknown field 'nosuch'",)),
    Bad("aggregate_records", {"group_by": [LONG]}, ("group_by: unknown field", QUOTED_LONG)),
    Bad("aggregate_records", {"metrics": ["sum(nosuch)"]}, ("metrics: unknown field 'nosuch'",)),
    Bad("aggregate_records", {"metrics": ["median(amount)"]}, ("'median(amount)'", "use sum, avg, min or max")),
    Bad("aggregate_records", {"metrics": [LONG]}, (QUOTED_LONG, "use sum, avg, min or max of a field")),
    Bad("aggregate_records", {"metrics": ["sum(title)"]}, ("sum(title) needs a number field", "SINGLE_LINE_TEXT")),
    Bad(
        "aggregate_records",
        {"group_by": ["close_date:fortnight"]},
        ("'close_date:fortnight'", "year, quarter, month, week, day"),
    ),
    Bad("aggregate_records", {"group_by": ["stage:month"]}, ("only applies to date",)),
    Bad("aggregate_records", {"group_by": ["line_items"]}, ("cannot group by 'line_items' (SUBTABLE)",)),
    Bad("add_record", {"record": {"title": "x", "nosuch": 1}}, ("nosuch: no such field in this app",)),
    Bad("add_record", {"record": {LONG: 1}}, (QUOTED_LONG, "no such field in this app")),
    Bad(
        "update_record",
        {"update_key": {"field": "nosuch", "value": "x"}, "record": {"title": "x"}},
        ("'nosuch' cannot identify records",),
    ),
    Bad(
        "update_record",
        {"update_key": {"field": "title", "value": "x"}, "record": {"title": "x"}},
        ("'title' cannot identify records", "prohibit duplicate values"),
    ),
    Bad(
        "update_record",
        {"app": CUSTOMERS, "update_key": {"field": "customer_code", "value": "NOPE"}, "record": {"notes": "x"}},
        ('customer_code = "NOPE"', "use upsert"),
    ),
    Bad(
        "update_record",
        {"app": CUSTOMERS, "update_key": {"field": "customer_code", "value": LONG}, "record": {"notes": "x"}},
        ("No record of app 1 has customer_code", QUOTED_LONG),
    ),
    Bad("upsert_records", {"key_field": "title", "records": [{"title": "x"}]}, ("'title' cannot identify records",)),
    Bad(
        "upsert_records",
        {"app": CUSTOMERS, "key_field": "nosuch", "records": [{"nosuch": 1}]},
        ("'nosuch' cannot identify records", "['customer_code']"),
    ),
    Bad(
        "upsert_records",
        {"app": CUSTOMERS, "key_field": "customer_code", "records": [{"company_name": "x"}]},
        ("no value for the key field 'customer_code'",),
    ),
    Bad(
        "upsert_records",
        {"app": CUSTOMERS, "key_field": LONG, "records": [{"x": 1}]},
        (QUOTED_LONG, "cannot identify records"),
    ),
    Bad("update_status", {"id": 1, "action": "Fly"}, ("App 2 does not use process management",)),
    Bad("update_status", {"app": TICKETS, "id": 1, "action": "Fly"}, ("'Fly'", "GAIA_IL03")),
    Bad("update_status", {"app": TICKETS, "id": 1, "action": LONG}, (QUOTED_LONG, "GAIA_IL03")),
    Bad("update_assignees", {"id": 1, "assignees": ["sato"]}, ("does not use process management",)),
    Bad("update_assignees", {"app": TICKETS, "id": 1, "assignees": ["nobody-here"]}, ("nobody-here",)),
    Bad("add_comment", {"id": 1, "text": "hi", "mentions": ["nobody"]}, ("The user code 'nobody' does not exist",)),
    Bad(
        "add_comment",
        {"id": 1, "text": "hi", "mentions": ["org:nowhere"]},
        ("The organization code 'nowhere' does not exist",),
    ),
    Bad("add_comment", {"id": 1, "text": "x", "mentions": [LONG]}, ("is not found", QUOTED_LONG)),
    Bad("list_users", {"member_of": "nowhere"}, ("No organization or group has the code 'nowhere'",)),
    Bad("list_users", {"member_of": LONG}, ("No organization or group has the code", QUOTED_LONG)),
    Bad("list_apps", {"name": LONG}, ("name: Enter less than 65 characters",)),
    Bad("get_records", {"next": "garbage"}, ("`next` is not a continuation token", "without `next`")),
    Bad("get_records", {"next": LONG}, ("`next` is not a continuation token",)),
    Bad("get_records", {"next": "eyJhIjoxfQ"}, ("`next` is not a continuation token",)),
    # query strings: syntax, and attempts to break out of a quoted value
    Bad("get_records", {"query": 'title = "x" or 1=1'}, ("not valid Kintone query syntax", "'1=1'")),
    Bad("get_records", {"query": "title = 'x'"}, ("straight double quotes",)),
    Bad("get_records", {"query": 'title like "%"; DROP TABLE records; --"'}, ("unexpected character ';'",)),
    Bad("get_records", {"query": ")"}, ("not valid Kintone query syntax", "position 0")),
    Bad("get_records", {"query": "\x00"}, ("unexpected character",)),
    Bad("get_records", {"query": LONG}, ("not valid Kintone query syntax", "position 100000")),
    Bad("get_records", {"query": 'title = "unterminated'}, ("not valid Kintone query syntax",)),
    Bad("get_records", {"query": 'title in ("a", "b"'}, ("not valid Kintone query syntax",)),
    Bad("get_records", {"query": "amount > 1e999999"}, ("a number must be digits",)),
    Bad("get_records", {"query": 'amount = "abc"'}, ('"abc"', "is not a number")),
    Bad(
        "get_records",
        {"query": 'stage in ("NoSuchStage")'},
        ("\"NoSuchStage\" is not an option of 'stage'", "Options:"),
    ),
    Bad("get_records", {"query": 'close_date = "2024-13-45"'}, ('"2024-13-45"', "is not a date")),
    Bad("get_records", {"query": 'close_date > "yesterday"'}, ('"yesterday"', "is not a date")),
    Bad("get_records", {"query": "offset 20000"}, ("cannot skip more than 10,000 records", "$id desc")),
    Bad("get_records", {"order_by": "amount; drop"}, ("unexpected character ';'",)),
    Bad("get_records", {"order_by": LONG}, ("no field with the code",)),
    Bad(
        "get_records",
        {"filter": {"conditions": [{"field": "title", "op": ">", "value": "x"}]}},
        ("The operator '>' cannot be used with 'title'", "Allowed:"),
    ),
    Bad(
        "get_records",
        {"filter": {"conditions": [{"field": "stage", "op": "in", "value": ["Nope"]}]}},
        ("\"Nope\" is not an option of 'stage'",),
    ),
    Bad(
        "get_records",
        {"filter": {"conditions": [{"field": "stage", "op": "in", "value": [LONG]}]}},
        ("is not an option of 'stage'",),
    ),
    Bad(
        "get_records",
        {"filter": {"conditions": [{"field": "amount", "op": ">", "value": "lots"}]}},
        ('"lots"', "is not a number"),
    ),
    Bad(
        "get_records",
        {"filter": {"conditions": [{"field": "close_date", "op": "=", "value": "2024-02-30"}]}},
        ("'2024-02-30' is not a date", "YYYY-MM-DD"),
    ),
    Bad(
        "get_records",
        {"filter": {"conditions": [{"field": "close_date", "op": "=", "value": "2024-02-30T10:00"}]}},
        ("is not a date",),
    ),
    Bad(
        "get_records", {"filter": {"conditions": [{"field": LONG, "op": "=", "value": 1}]}}, ("no field with the code",)
    ),
    Bad(
        "get_records",
        {"app": CUSTOMERS, "filter": {"conditions": [{"field": "tags", "op": "=", "value": "VIP"}]}},
        ("'=' cannot be used with 'tags'",),
    ),
    Bad("aggregate_records", {"query": 'stage in ("Nope")'}, ("\"Nope\" is not an option of 'stage'",)),
    Bad("aggregate_records", {"query": "title = 'x'"}, ("straight double quotes",)),
]

# --- record values: types, dates, options, subtables, lengths -----------------------------------------------------
NOT_SENT = "The record was not sent"
VALUE_CASES: list[tuple[dict[str, Any], tuple[str, ...]]] = [
    ({}, ("title: required field is missing",)),
    ({"amount": "lots"}, ("amount: 'lots' is not a number",)),
    ({"amount": [1]}, ("amount: expects a number, got [1]",)),
    ({"amount": {"value": 1}}, ("amount: expects a number",)),
    ({"amount": "1e999999"}, ("has too many digits for a number field",)),
    ({"amount": 1e300}, ("has too many digits for a number field",)),
    ({"amount": "NaN"}, ("'NaN' is not a number",)),
    ({"amount": "-Infinity"}, ("'-Infinity' is not a number",)),
    ({"amount": True}, ("amount: expects a number",)),
    ({"amount": LONG}, ("amount:", "is not a number")),
    ({"probability": 150}, ("probability: 150 is out of range", "between 0 and 100")),
    ({"probability": -1}, ("probability: -1 is out of range",)),
    ({"stage": "Nope"}, ("stage: 'Nope' is not an option", "'Won'")),
    ({"stage": "won"}, ("stage: 'won' is not an option",)),
    ({"stage": ["Won"]}, ("stage: expects one option label",)),
    ({"stage": 5}, ("stage: expects one option label, got 5",)),
    ({"stage": LONG}, ("stage:", QUOTED_LONG, "is not an option")),
    ({"close_date": "2024-13-01"}, ("close_date: '2024-13-01' is not a valid calendar date",)),
    ({"close_date": "2024-02-30"}, ("close_date: '2024-02-30' is not a valid calendar date",)),
    ({"close_date": "2023-02-29"}, ("'2023-02-29' is not a valid calendar date",)),
    ({"close_date": "tomorrow"}, ("close_date: 'tomorrow' is not a date",)),
    ({"close_date": 20240101}, ("close_date: 20240101 is not a date",)),
    ({"close_date": "01/02/2024"}, ("close_date:", "is not a date")),
    ({"close_date": LONG}, ("close_date:", "is not a date")),
    ({"next_contact": "2024-01-01T25:00:00Z"}, ("next_contact:", "is not an ISO 8601 date-time")),
    ({"next_contact": "yesterday at noon"}, ("next_contact: 'yesterday at noon' is not an ISO 8601 date-time",)),
    ({"next_contact": 1700000000}, ("next_contact:",)),
    ({"owner": [{"code": 5}]}, ("owner: {'code': 5} is not a user code", "list_users")),
    ({"owner": 5}, ("owner:",)),
    ({"line_items": "row"}, ("line_items: a SUBTABLE takes a list of row objects",)),
    ({"line_items": {"quantity": 1}}, ("line_items: a SUBTABLE takes a list of row objects",)),
    ({"line_items": [1, 2]}, ("line_items[0]: a row must be an object, got 1", "line_items[1]")),
    (
        {"line_items": [{"nosuch": 1}]},
        ("line_items[0].nosuch: no such field in this table", "product, quantity, unit_price"),
    ),
    ({"line_items": [{"quantity": "many"}]}, ("line_items[0].quantity:", "'many' is not a number")),
    (
        {"line_items": [{"product": "p", "quantity": 1}, {"unit_price": "cheap"}]},
        ("line_items[1].unit_price:", "not a number"),
    ),
    ({"line_items": [["product", "p"]]}, ("line_items[0]: a row must be an object",)),
    ({"title": "x" * 121}, ("title: is 121 characters long, the field allows at most 120",)),
    ({"title": LONG}, ("title: is 100000 characters long",)),
    ({"title": None}, ("title: is required and cannot be empty",)),
    ({"title": ""}, ("title:", "required")),
]
for values, problem in VALUE_CASES:
    record = {"title": "t", **values} if "title" not in values and values else values
    CASES.append(Bad("add_record", {"record": record}, (NOT_SENT, *problem)))
CASES += [
    Bad(
        "add_record",
        {"record": {"title": "t", "owner": ["nobody-here"]}},
        ("The user code 'nobody-here' does not exist",),
    ),
    Bad("add_record", {"record": {"title": "t", "owner": [LONG]}}, ("does not exist", QUOTED_LONG)),
    Bad(
        "add_record",
        {"record": {"title": "t", "department": ["no-org"]}},
        ("The organization code 'no-org' does not exist",),
    ),
    Bad(
        "add_record",
        {"app": CUSTOMERS, "record": {"customer_code": "C-0001", "company_name": "dup"}},
        ("customer_code: This value already exists in another record",),
    ),
    Bad(
        "add_record",
        {"app": CUSTOMERS, "record": {"company_name": "no code"}},
        ("customer_code: required field is missing",),
    ),
    Bad(
        "add_record",
        {"app": CUSTOMERS, "record": {"customer_code": "T1", "company_name": "c", "tags": "vip"}},
        ("tags: 'vip' not among the options", "did you mean 'VIP'?"),
    ),
    Bad(
        "add_record",
        {"app": CUSTOMERS, "record": {"customer_code": "T2", "company_name": "c", "tags": ["no-such-tag"]}},
        ("tags: 'no-such-tag' not among the options",),
    ),
    Bad(
        "add_record",
        {"app": CUSTOMERS, "record": {"customer_code": "T3", "company_name": "c", "region": "Mars"}},
        ("region: 'Mars' is not an option", "'East'"),
    ),
    Bad(
        "add_record",
        {"app": CUSTOMERS, "record": {"customer_code": "T4", "company_name": "c", "region": None}},
        ("region: is required and cannot be empty", "'East'"),
    ),
    Bad(
        "add_record",
        {"app": CUSTOMERS, "record": {"customer_code": "T5", "company_name": "c", "customer_since": "2024-04-31"}},
        ("customer_since: '2024-04-31' is not a valid calendar date",),
    ),
    Bad(
        "add_record",
        {"app": CUSTOMERS, "record": {"customer_code": "T6", "company_name": "c", "employees": "a few"}},
        ("employees: 'a few' is not a number",),
    ),
    Bad(
        "add_records",
        {"records": [{"amount": "x"}, {"stage": "Nope"}]},
        ("No record was sent", "records[0].amount: 'x' is not a number", "records[1].stage: 'Nope' is not an option"),
    ),
    Bad(
        "add_records",
        {"records": [{"title": "ok"}, {"title": "t", "line_items": "row"}]},
        ("No record was sent", "records[1].line_items"),
    ),
    Bad(
        "add_records",
        {"records": [{"title": "ok"}, {"title": "t", "close_date": "2024-02-30"}]},
        ("records[1].close_date",),
    ),
    Bad("update_record", {"id": 1, "record": {"amount": "x"}}, (NOT_SENT, "amount: 'x' is not a number")),
    Bad("update_record", {"id": 1, "record": {"stage": "Nope"}}, (NOT_SENT, "stage: 'Nope' is not an option")),
    Bad(
        "update_record",
        {"id": 1, "record": {"close_date": "2024-02-30"}},
        (NOT_SENT, "close_date: '2024-02-30' is not a valid calendar date"),
    ),
    Bad(
        "update_record",
        {"id": 1, "record": {"line_items": [{"nosuch": 1}]}},
        (NOT_SENT, "line_items[0].nosuch: no such field in this table"),
    ),
    Bad(
        "update_record",
        {"id": 1, "record": {"line_items": [{"$id": "abc", "quantity": 1}]}},
        (NOT_SENT, "line_items[0].$id: 'abc' is not a row id"),
    ),
    Bad("update_record", {"id": 1, "record": {"nosuch": 1}}, (NOT_SENT, "nosuch: no such field in this app")),
    Bad(
        "update_record",
        {"id": 1, "revision": 999, "record": {"title": "x"}},
        ("GAIA_CO02", "you sent 999", "call get_record"),
    ),
    Bad(
        "update_records",
        {"records": [{"id": 1, "record": {"amount": "x"}}, {"id": 2, "record": {"stage": "bad"}}]},
        ("No record was sent", "records[0].amount", "records[1].stage"),
    ),
    Bad(
        "upsert_records",
        {"app": CUSTOMERS, "key_field": "customer_code", "records": [{"customer_code": "U1", "region": "Mars"}]},
        ("records[0].region: 'Mars' is not an option",),
    ),
    Bad("delete_records", {"ids": [1], "revisions": [999]}, ("GAIA_CO02", "you sent 999")),
    # files: paths outside the download folder, odd names and keys
    Bad(
        "upload_file",
        {"app": CUSTOMERS, "id": 1, "field": "attachments", "path": "/etc/passwd"},
        ("'/etc/passwd' is outside the download folder",),
    ),
    Bad(
        "upload_file",
        {"app": CUSTOMERS, "id": 1, "field": "attachments", "path": "/proc/self/environ"},
        ("is outside the download folder",),
    ),
    Bad(
        "upload_file",
        {"app": CUSTOMERS, "id": 1, "field": "attachments", "path": "../../../../etc/shadow"},
        ("'../../../../etc/shadow' is outside the download folder",),
    ),
    Bad(
        "upload_file",
        {"app": CUSTOMERS, "id": 1, "field": "attachments", "path": "~/.ssh/id_rsa"},
        ("is outside the download folder",),
    ),
    Bad(
        "upload_file",
        {"app": CUSTOMERS, "id": 1, "field": "attachments", "path": "escape"},
        ("'escape' is or goes through a link",),
    ),  # a symlink out
    Bad("upload_file", {"app": CUSTOMERS, "id": 1, "field": "attachments", "path": ".hidden"}, ("hidden file",)),
    Bad(
        "upload_file",
        {"app": CUSTOMERS, "id": 1, "field": "attachments", "path": "missing.txt"},
        ("'missing.txt' is not a file in the download folder",),
    ),
    Bad(
        "upload_file",
        {"app": CUSTOMERS, "id": 1, "field": "attachments", "path": "subdir"},
        ("'subdir' is not a file in the download folder",),
    ),
    Bad("upload_file", {"app": CUSTOMERS, "id": 1, "field": "attachments", "path": ""}, ("is not a file name",)),
    Bad("upload_file", {"app": CUSTOMERS, "id": 1, "field": "attachments", "path": "a\x00b"}, ("is not a file name",)),
    Bad(
        "upload_file",
        {"app": CUSTOMERS, "id": 1, "field": "attachments", "path": LONG},
        (QUOTED_LONG, "cannot be used as a path"),
    ),
    Bad(
        "upload_file",
        {"app": CUSTOMERS, "id": 1, "field": "company_name", "path": "quote.csv"},
        ("'company_name' is not a file field of app 1", "['attachments']"),
    ),
    Bad(
        "upload_file",
        {"app": CUSTOMERS, "id": 1, "field": LONG, "path": "quote.csv"},
        (QUOTED_LONG, "is not a file field"),
    ),
    Bad(
        "upload_file",
        {"id": 1, "field": "attachments", "path": "quote.csv"},
        ("'attachments' is not a file field of app 2",),
    ),
    Bad("download_file", {"id": 1, "file_key": "../../etc/passwd"}, ("no file with fileKey '../../etc/passwd'",)),
    Bad("download_file", {"id": 1, "file_key": "/etc/passwd"}, ("no file with fileKey '/etc/passwd'",)),
    Bad("download_file", {"id": 1, "file_key": ""}, ("no file with fileKey ''",)),
    Bad("download_file", {"id": 1, "file_key": "\x00"}, ("no file with fileKey",)),
    Bad("download_file", {"id": 1, "file_key": LONG}, ("no file with fileKey", QUOTED_LONG)),
]


@pytest.fixture
async def served(tmp_path: Path) -> Iterator[tuple[Sandbox, Path]]:
    sandbox = faulty_sandbox()
    await add_file_field(sandbox, CUSTOMERS, "attachments")
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "quote.csv").write_text("product,qty\nPen,3\n")
    (folder / ".hidden").write_text("x")
    (folder / "subdir").mkdir()
    (tmp_path / "secret.txt").write_text("not for Kintone")
    (folder / "escape").symlink_to(tmp_path / "secret.txt")
    yield sandbox, folder
    sandbox.close()


def test_the_corpus_is_large_and_varied() -> None:
    assert len(CASES) >= 200
    assert len({c.tool for c in CASES}) >= 17


async def test_every_malformed_call_is_refused_clearly(
    served: tuple[Sandbox, Path], caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    sandbox, folder = served
    caplog.set_level(logging.DEBUG)
    wrong: list[str] = []
    async with Client(mcp_server(sandbox, download_dir=folder)) as mcp:
        for n, case in enumerate(CASES):
            result = await mcp.call_tool(case.tool, case.args)
            text = "".join(getattr(block, "text", "") for block in result.content)
            missing = [fragment for fragment in case.expect if fragment not in text]
            if not result.is_error or missing or len(text) > 2000 or "internal error" in text:
                wrong.append(f"#{n} {case.tool} {str(case.args)[:120]}: missing {missing} in {text[:400]!r}")
            if n % 40 == 39:  # still serving
                assert (await mcp.call_tool("get_record", {"id": 1})).is_error is False
        assert (await mcp.call_tool("get_records", {"limit": 1})).is_error is False
    assert not wrong, f"{len(wrong)} of {len(CASES)} cases:\n" + "\n".join(wrong)
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert "Traceback" not in caplog.text
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    assert (folder.parent / "secret.txt").read_text() == "not for Kintone"  # and it was never attached

# --- search (issue 13) --------------------------------------------------------------------------------------------

CASES += [
    Bad("search", {}, ("keywords",)),
    Bad("search", {"exclude": ["x"]}, ("keywords", "any_of")),
    invalid("search", {"keywords": [LONG]}, "keywords.0", "at most 50 characters"),
    invalid("search", {"keywords": [""]}, "keywords.0", "at least 1 character"),
    invalid("search", {"keywords": "Kaze"}, "keywords", "valid list"),
    invalid("search", {"keywords": ["x"], "limit": HUGE}, "limit", "less than or equal to 100"),
    invalid("search", {"keywords": ["x"], "limit": 0}, "limit", "greater than or equal to 1"),
    invalid("search", {"keywords": ["x"], "kinds": ["PEOPLE"]}, "kinds.0", "'RECORD'"),
    invalid("search", {"keywords": ["x"], "sort": "random"}, "sort", "'relevance'"),
    Bad("search", {"keywords": ["x"], "next": "not-a-token"}, ("pageToken",)),
    invalid("search", {"keywords": ["x"], "next": LONG}, "next", "at most 4096 characters"),
    Bad("search", {"keywords": ["x"], "created_after": "yesterday"}, ("createdAfter",)),
    Bad("search", {"keywords": ["x"], "apps": [HUGE]}, ("neither an app id nor a configured alias",)),
    Bad("search", {"keywords": ["x"], "apps": ["nosuchalias"]}, ("nosuchalias",)),
]
