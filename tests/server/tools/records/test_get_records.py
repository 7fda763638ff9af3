"""get_records end to end: filters, continuation, paging, the character bound, explained errors and hints."""

from __future__ import annotations

import json

import pytest
from mcp import Client

from tests.server.helpers import call_ok, text_of


@pytest.mark.anyio
async def test_get_records_compact_with_filter_and_names(mcp: Client) -> None:
    page = await call_ok(
        mcp,
        "get_records",
        filter={"conditions": [{"field": "stage", "op": "in", "value": ["Won"]}]},
        fields=["title", "amount", "owner", "line_items"],
        limit=5,
    )
    assert page["returned"] == 5 and page["total_count"] > 5 and page["next"]
    rec = page["records"][0]
    assert set(rec) == {"$id", "$revision", "title", "amount", "owner", "line_items"}
    assert isinstance(rec["amount"], int) and isinstance(rec["owner"][0], str)
    assert set(page["names"]) >= set(rec["owner"])
    assert isinstance(rec["line_items"][0]["$id"], int)
    assert page["query"] == 'stage in ("Won") order by $id desc'
    assert "Returned records 1-5 of" in page["cut"]


@pytest.mark.anyio
async def test_continuation_pages_through_everything_once(mcp: Client) -> None:
    seen: list[int] = []
    page = await call_ok(mcp, "get_records", query='stage in ("Lost")', fields=["title"], limit=7)
    total = page["total_count"]
    while True:
        seen += [r["$id"] for r in page["records"]]
        if not page.get("next"):
            break
        page = await call_ok(mcp, "get_records", next=page["next"], limit=7)
        assert page["total_count"] == total
    assert len(seen) == total == len(set(seen))
    assert seen == sorted(seen, reverse=True)


@pytest.mark.anyio
async def test_offset_paging_when_sorted_by_another_field(mcp: Client) -> None:
    first = await call_ok(mcp, "get_records", fields=["amount"], order_by="amount desc, $id asc", limit=3)
    second = await call_ok(mcp, "get_records", next=first["next"], limit=3)
    amounts = [r["amount"] for r in first["records"] + second["records"]]
    assert amounts == sorted(amounts, reverse=True)
    assert "Returned records 4-6" in second["cut"]


@pytest.mark.anyio
async def test_large_read_goes_through_the_cursor_and_stops_at_the_character_bound(mcp: Client) -> None:
    progress: list[float] = []

    async def on_progress(p: float, total: float | None, message: str | None) -> None:
        progress.append(p)

    result = await mcp.call_tool("get_records", {"limit": 1000}, progress_callback=on_progress)
    assert result.is_error is False, text_of(result)
    page = result.structured_content
    assert page is not None
    assert 0 < page["returned"] < 300 and page["total_count"] == 300
    assert "60,000-character bound" in page["cut"] and page["next"]
    assert len(json.dumps(page["records"], separators=(",", ":"), ensure_ascii=False)) <= 60_000
    assert progress


@pytest.mark.anyio
async def test_query_errors_are_explained(mcp: Client) -> None:
    result = await mcp.call_tool("get_records", {"query": 'stage = "Won" and amout > 5'})
    assert result.is_error is True
    text = text_of(result)
    assert "stage in (...)" in text and "Did you mean 'amount'" in text
    bad = await mcp.call_tool("get_records", {"query": "stage in (Won"})
    assert bad.is_error is True and "double quotes" in text_of(bad)
    fields = await mcp.call_tool("get_records", {"fields": ["product"]})
    assert fields.is_error is True and "'line_items'" in text_of(fields)


@pytest.mark.anyio
async def test_long_text_is_cut_in_lists_and_whole_in_get_record(mcp: Client) -> None:
    added = await call_ok(mcp, "add_record", record={"title": "long", "stage": "Lead", "notes": "n" * 5000})
    page = await call_ok(mcp, "get_records", query=f"$id = {added['id']}", fields=["notes"], max_text_chars=100)
    notes = page["records"][0]["notes"]
    assert notes.startswith("n" * 100) and "4900 more chars" in notes and len(notes) < 200
    assert "Long text was shortened in 1 value(s)" in page["cut"]
    full = await call_ok(mcp, "get_record", id=added["id"])
    assert full["record"]["notes"] == "n" * 5000 and "cut" not in full


@pytest.mark.anyio
async def test_nothing_matched_on_a_user_field_says_codes_not_names(mcp: Client) -> None:
    by_name = {"conditions": [{"field": "owner", "op": "in", "value": ["Sato Haruto"]}]}
    page = await call_ok(mcp, "get_records", filter=by_name, fields=["owner"])
    assert page["total_count"] == 0
    assert "match codes, not display names" in page["cut"] and "'Sato Haruto'" in page["cut"]
    agg = await call_ok(mcp, "aggregate_records", group_by=["stage"], query='department in ("Sales")')
    assert agg["total_count"] == 0 and "department (organization) 'Sales'" in agg["cut"]
    # With the code the same question has an answer, and no hint; nor does a zero from a function.
    by_code = await call_ok(
        mcp, "get_records", filter={"conditions": [{"field": "owner", "value": ["sato"], "op": "in"}]}
    )
    assert by_code["total_count"] > 0 and "display names" not in (by_code.get("cut") or "")
    mine = await call_ok(mcp, "get_records", query="owner in (LOGINUSER())")
    assert mine["total_count"] == 0 and "cut" not in mine
