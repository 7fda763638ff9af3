"""Reading tools end to end: mcp.Client -> server -> KintoneClient -> sandbox."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client

from tests.server.conftest import ServerFactory, token_credentials
from tests.server.helpers import call_ok, text_of

_text = text_of
_call = call_ok


@pytest.mark.anyio
async def test_list_apps_and_get_app(mcp: Client) -> None:
    apps = await _call(mcp, "list_apps")
    assert [a["id"] for a in apps["apps"]] == [1, 2, 3]
    assert await _call(mcp, "list_apps", name="deal") == {"apps": [{"id": 2, "name": "Deals", "code": "DEALS"}]}
    schema = await _call(mcp, "get_app", app=2)
    fields = {f["code"]: f for f in schema["fields"]}
    assert fields["stage"]["options"][:2] == ["Lead", "Qualified"] and fields["stage"]["required"] is True
    assert schema["operators"]["DROP_DOWN"] == ["in", "not in"]
    assert fields["customer_code"]["lookup"] == {
        "app": 1,
        "key_field": "customer_code",
        "copies": {"customer_name": "company_name"},
    }
    items = fields["line_items"]["fields"]
    assert [c["code"] for c in items][:2] == ["product", "quantity"]
    assert "=" not in schema["table_operators"]["NUMBER"]  # inside a table
    assert fields["total"]["read_only"] is True
    assert "$id" in fields


@pytest.mark.anyio
async def test_get_app_shows_process_management(mcp: Client) -> None:
    schema = await _call(mcp, "get_app", app=3)
    assert schema["process"]["states"] and schema["process"]["actions"][0]["from_status"] in schema["process"]["states"]


@pytest.mark.anyio
async def test_get_records_compact_with_filter_and_names(mcp: Client) -> None:
    page = await _call(
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
    page = await _call(mcp, "get_records", query='stage in ("Lost")', fields=["title"], limit=7)
    total = page["total_count"]
    while True:
        seen += [r["$id"] for r in page["records"]]
        if not page.get("next"):
            break
        page = await _call(mcp, "get_records", next=page["next"], limit=7)
        assert page["total_count"] == total
    assert len(seen) == total == len(set(seen))
    assert seen == sorted(seen, reverse=True)


@pytest.mark.anyio
async def test_offset_paging_when_sorted_by_another_field(mcp: Client) -> None:
    first = await _call(mcp, "get_records", fields=["amount"], order_by="amount desc, $id asc", limit=3)
    second = await _call(mcp, "get_records", next=first["next"], limit=3)
    amounts = [r["amount"] for r in first["records"] + second["records"]]
    assert amounts == sorted(amounts, reverse=True)
    assert "Returned records 4-6" in second["cut"]


@pytest.mark.anyio
async def test_large_read_goes_through_the_cursor_and_stops_at_the_character_bound(mcp: Client) -> None:
    progress: list[float] = []

    async def on_progress(p: float, total: float | None, message: str | None) -> None:
        progress.append(p)

    result = await mcp.call_tool("get_records", {"limit": 1000}, progress_callback=on_progress)
    assert result.is_error is False, _text(result)
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
    text = _text(result)
    assert "stage in (...)" in text and "Did you mean 'amount'" in text
    bad = await mcp.call_tool("get_records", {"query": "stage in (Won"})
    assert bad.is_error is True and "double quotes" in _text(bad)
    fields = await mcp.call_tool("get_records", {"fields": ["product"]})
    assert fields.is_error is True and "'line_items'" in _text(fields)


@pytest.mark.anyio
async def test_get_record_in_full(mcp: Client) -> None:
    data = await _call(mcp, "get_record", id=1)
    assert data["record"]["$id"] == 1 and "line_items" in data["record"]
    missing = await mcp.call_tool("get_record", {"id": 99999})
    assert missing.is_error is True and "Not found" in _text(missing)


@pytest.mark.anyio
async def test_token_auth_lists_the_tokens_apps(make_server: ServerFactory, sandbox: Any) -> None:
    async with Client(make_server(credentials=token_credentials(sandbox, [2, 3]))) as mcp:
        apps = await _call(mcp, "list_apps")
        assert [a["id"] for a in apps["apps"]] == [2, 3]
        page = await _call(mcp, "get_records", app=2, limit=2)
        assert page["returned"] == 2


@pytest.mark.anyio
async def test_long_text_is_cut_in_lists_and_whole_in_get_record(mcp: Client) -> None:
    added = await _call(mcp, "add_record", record={"title": "long", "stage": "Lead", "notes": "n" * 5000})
    page = await _call(mcp, "get_records", query=f"$id = {added['id']}", fields=["notes"], max_text_chars=100)
    notes = page["records"][0]["notes"]
    assert notes.startswith("n" * 100) and "4900 more chars" in notes and len(notes) < 200
    assert "Long text was shortened in 1 value(s)" in page["cut"]
    full = await _call(mcp, "get_record", id=added["id"])
    assert full["record"]["notes"] == "n" * 5000 and "cut" not in full
