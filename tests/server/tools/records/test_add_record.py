"""add_record end to end: plain values, validation before sending, lookup keys."""

from __future__ import annotations

import pytest
from mcp import Client

from tests.server.helpers import call_error, call_ok


@pytest.mark.anyio
async def test_add_then_read_back_plain_values(mcp: Client) -> None:
    added = await call_ok(
        mcp,
        "add_record",
        record={
            "title": "Kaze renewal",
            "stage": "Proposal",
            "amount": 1234.5,
            "owner": ["sato"],
            "close_date": "2026-05-31",
            "line_items": [{"product": "Pen", "quantity": 3, "unit_price": 100}],
        },
    )
    assert added["revision"] == 1
    got = (await call_ok(mcp, "get_record", id=added["id"]))["record"]
    assert got["title"] == "Kaze renewal" and got["amount"] == 1234.5 and got["owner"] == ["sato"]
    assert got["line_items"][0]["subtotal"] == 300


@pytest.mark.anyio
async def test_invalid_record_is_refused_before_sending_with_fixes(mcp: Client) -> None:
    before = (await call_ok(mcp, "get_records", limit=1))["total_count"]
    text = await call_error(
        mcp,
        "add_record",
        record={"title": "x", "stage": "won", "amount": "lots", "owner": "sato", "bogus": 1},
    )
    assert "'Won'" in text and "not a number" in text and "bogus" in text
    assert (await call_ok(mcp, "get_records", limit=1))["total_count"] == before


@pytest.mark.anyio
async def test_a_lookup_key_without_a_match_says_where_keys_are(mcp: Client) -> None:
    # The user names the customer; the model puts the name where the key goes.
    text = await call_error(mcp, "add_record", app=3, record={"subject": "x", "priority": "High",
                                                            "customer_code": "Yama Works 12"})  # fmt: skip
    assert "GAIA_LO04" in text
    assert "get_records app=1, e.g. a filter on company_name" in text
    # Following it: the key is found by the name, and the same call then works.
    page = await call_ok(mcp, "get_records", app=1, query='company_name = "Yama Works 12"', fields=["customer_code"])
    key = page["records"][0]["customer_code"]
    done = await call_ok(mcp, "add_record", app=3, record={"subject": "x", "priority": "High", "customer_code": key})
    assert (await call_ok(mcp, "get_record", app=3, id=done["id"]))["record"]["customer_name"] == "Yama Works 12"
    bulk = await call_error(
        mcp, "add_records", app=3, records=[{"subject": "y", "priority": "Low", "customer_code": "?"}]
    )
    assert "get_records app=1" in bulk
