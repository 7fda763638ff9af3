"""`is empty` in a filter on a text field asks Kintone `= ""`, which it documents (issue 11, smaller items)."""

from __future__ import annotations

import pytest
from mcp import Client

from kintone_mcp.query.printer import to_text
from kintone_mcp.server.filters import Filter, compile_filter
from tests.server.conftest import CUSTOMERS
from tests.server.helpers import call_ok

_PROPS = {
    "name": {"type": "SINGLE_LINE_TEXT"},
    "site": {"type": "LINK"},
    "memo": {"type": "MULTI_LINE_TEXT"},
    "rows": {"type": "SUBTABLE", "fields": {"item": {"type": "SINGLE_LINE_TEXT"}}},
}


@pytest.mark.parametrize(
    ("field", "op", "sent"),
    [
        ("name", "is empty", 'name = ""'),
        ("site", "is not empty", 'site != ""'),
        ("item", "is empty", 'item in ("")'),  # a table column takes no = / !=
        ("memo", "is empty", "memo is empty"),  # documented for multi-line text: sent as is
    ],
)
def test_is_empty_is_sent_in_the_form_kintone_documents_for_the_type(field: str, op: str, sent: str) -> None:
    flt = Filter.model_validate({"conditions": [{"field": field, "op": op}]})
    assert to_text(compile_filter(flt, _PROPS)) == sent


@pytest.mark.anyio
async def test_is_empty_on_text_finds_the_blank_records(mcp: Client) -> None:
    blank = await call_ok(mcp, "add_record", app=CUSTOMERS, record={"customer_code": "E1", "company_name": "E"})
    total = (await call_ok(mcp, "get_records", app=CUSTOMERS, limit=1))["total_count"]
    empty = {"conditions": [{"field": "contact_name", "op": "is empty"}]}
    page = await call_ok(mcp, "get_records", app=CUSTOMERS, filter=empty, fields=["$id"])
    assert [r["$id"] for r in page["records"]] == [blank["id"]]
    filled = {"conditions": [{"field": "contact_name", "op": "is not empty"}]}
    assert (await call_ok(mcp, "get_records", app=CUSTOMERS, filter=filled, limit=1))["total_count"] == total - 1
