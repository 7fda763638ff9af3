"""get_records end to end: filters, continuation, paging, the character bound, explained errors and hints."""

from __future__ import annotations

import json

import pytest
from mcp import Client

from kintone_mcp.sandbox import Sandbox, SandboxConfig
from tests.server.helpers import call_error, call_ok, text_of
from tests.server.tools.records._servers import server_on


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
    assert page["cut"] == f"records 1-5 of {page['total_count']} (limit 5); `next` for more"


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
    assert second["cut"].startswith("records 4-6 of")


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
    assert page["cut"] == "1 long text value(s) cut at 100 characters (get_record shows them whole)"
    full = await call_ok(mcp, "get_record", id=added["id"])
    assert full["record"]["notes"] == "n" * 5000 and "cut" not in full


@pytest.mark.anyio
async def test_nothing_matched_on_a_user_field_says_codes_not_names(mcp: Client) -> None:
    by_name = {"conditions": [{"field": "owner", "op": "in", "value": ["Sato Haruto"]}]}
    page = await call_ok(mcp, "get_records", filter=by_name, fields=["owner"])
    assert page["total_count"] == 0
    # Not a cut (nothing was left out): a note.
    assert "match codes, not display names" in page["note"] and "'Sato Haruto'" in page["note"]
    assert "cut" not in page
    agg = await call_ok(mcp, "aggregate_records", group_by=["stage"], query='department in ("Sales")')
    assert agg["total_count"] == 0 and "department (organization) 'Sales'" in agg["note"] and "cut" not in agg
    # With the code the same question has an answer, and no hint; nor does a zero from a function.
    by_code = await call_ok(
        mcp, "get_records", filter={"conditions": [{"field": "owner", "value": ["sato"], "op": "in"}]}
    )
    assert by_code["total_count"] > 0 and "display names" not in (by_code.get("note") or "")
    mine = await call_ok(mcp, "get_records", query="owner in (LOGINUSER())")
    assert mine["total_count"] == 0 and "cut" not in mine and "note" not in mine


@pytest.mark.anyio
async def test_next_keeps_the_page_size_so_an_export_takes_as_few_calls_as_the_limit_allows() -> None:
    # Before, `next` forgot the limit and fell back to 20 a page: 2,000 records took 1 + 75 calls.
    async with Client(server_on(Sandbox(SandboxConfig(demo=True, demo_records=2000)))) as mcp:
        page = await call_ok(mcp, "get_records", fields=["title", "amount"], limit=500)
        calls, ids = 1, [r["$id"] for r in page["records"]]
        while page.get("next"):
            page = await call_ok(mcp, "get_records", next=page["next"])
            calls += 1
            ids += [r["$id"] for r in page["records"]]
            assert set(page["records"][0]) == {"$id", "$revision", "title", "amount"}  # the fields carried too
        assert calls == 4 and len(ids) == len(set(ids)) == 2000


@pytest.mark.anyio
async def test_next_refuses_arguments_that_disagree_and_accepts_those_that_agree() -> None:
    async with Client(server_on(Sandbox(SandboxConfig(demo=True)))) as mcp:
        won = {"conditions": [{"field": "stage", "op": "in", "value": ["Won"]}]}
        first = await call_ok(mcp, "get_records", app="deals", filter=won, fields=["stage"], limit=3)
        token = first["next"]
        # A token from Deals passed with app "customers" used to read Deals silently.
        text = await call_error(mcp, "get_records", next=token, app="customers")
        assert "`app` 'customers' is not app 2, which `next` reads" in text and "Pass `next` alone" in text
        text = await call_error(mcp, "get_records", next=token, query='stage in ("Lost")')
        assert 'select `stage in ("Lost")`, `next` continues `stage in ("Won")`' in text
        assert "`fields`" in await call_error(mcp, "get_records", next=token, fields=["title"])
        assert "the order given is `amount desc`" in await call_error(
            mcp, "get_records", next=token, order_by="amount desc"
        )
        # Repeating what the token carries is fine, and a new page size is honoured (and carried on).
        same = await call_ok(mcp, "get_records", next=token, app=2, filter=won, fields=["stage"], limit=5)
        assert same["returned"] == 5 and same["cut"].startswith("records 4-8 of")
        after = await call_ok(mcp, "get_records", next=same["next"])
        assert after["returned"] == 5 and after["cut"].startswith("records 9-13 of")
        assert {r["stage"] for r in first["records"] + same["records"] + after["records"]} == {"Won"}


@pytest.mark.anyio
async def test_a_limit_or_order_in_the_query_and_as_an_argument_must_agree(mcp: Client) -> None:
    text = await call_error(mcp, "get_records", query="limit 5", limit=10)
    assert "`limit` is 10 but `query` says limit 5" in text and "Give each setting once" in text
    text = await call_error(mcp, "get_records", query="order by amount desc", order_by="amount asc")
    assert "`order_by` is 'amount asc' but `query` says order by 'amount desc'" in text
    assert (await call_ok(mcp, "get_records", query="limit 5", fields=["title"]))["returned"] == 5
    both = await call_ok(mcp, "get_records", query="order by amount desc limit 4", order_by="amount desc", limit=4)
    assert both["returned"] == 4 and both["query"] == "order by amount desc"
    # The query's limit is the page size `next` goes on with.
    assert (await call_ok(mcp, "get_records", next=both["next"]))["returned"] == 4


@pytest.mark.anyio
async def test_a_saved_view_applies_its_filter_and_sort_and_ands_with_a_filter(mcp: Client) -> None:
    schema = await call_ok(mcp, "get_app", app=2)
    pipeline = next(v for v in schema["views"] if v["name"] == "Pipeline")
    assert isinstance(pipeline["id"], int)
    page = await call_ok(mcp, "get_records", view="Pipeline", fields=["stage", "close_date"], limit=50)
    assert page["query"] == 'stage not in ("Won", "Lost") order by close_date asc'
    assert {r["stage"] for r in page["records"]} <= {"Lead", "Qualified", "Proposal", "Negotiation"}
    dates = [r["close_date"] for r in page["records"]]
    assert dates == sorted(dates)
    by_id = await call_ok(mcp, "get_records", view=pipeline["id"], fields=["stage"], limit=50)
    assert by_id["query"] == page["query"] and by_id["total_count"] == page["total_count"]
    leads = {"conditions": [{"field": "stage", "op": "in", "value": ["Lead"]}]}
    both = await call_ok(mcp, "get_records", view="pipeline", filter=leads, order_by="amount desc", fields=["stage"])
    assert both["query"] == 'stage not in ("Won", "Lost") and stage in ("Lead") order by amount desc'
    assert 0 < both["total_count"] < page["total_count"]
    # `next` carries the view's conditions.
    more = await call_ok(mcp, "get_records", next=page["next"])
    assert {r["stage"] for r in more["records"]} <= {"Lead", "Qualified", "Proposal", "Negotiation"}
    text = await call_error(mcp, "get_records", view="Pipline")
    assert "App 2 has no view 'Pipline'" in text and "'Pipeline' (id " in text and "'Won deals'" in text


@pytest.mark.anyio
async def test_records_leave_out_the_system_fields_unless_asked_for(mcp: Client) -> None:
    system = {"Record_number", "Created_by", "Created_datetime", "Updated_by", "Updated_datetime", "Categories"}
    plain = (await call_ok(mcp, "get_records", limit=2))["records"][0]
    assert not system & set(plain) and {"$id", "$revision", "title", "line_items"} <= set(plain)
    every = await call_ok(mcp, "get_records", fields=["*"], limit=2)
    assert system <= set(every["records"][0])
    assert system <= set((await call_ok(mcp, "get_records", next=every["next"]))["records"][0])
    named = (await call_ok(mcp, "get_records", fields=["Created_by", "title"], limit=1))["records"][0]
    assert set(named) == {"$id", "$revision", "Created_by", "title"}
    assert '"*" (every field) stands alone' in await call_error(mcp, "get_records", fields=["*", "title"])


@pytest.mark.anyio
async def test_nothing_matched_a_status_spelt_otherwise_says_which_states_exist(mcp: Client) -> None:
    page = await call_ok(mcp, "get_records", app=3, query='Status = "in progress"', fields=["Status"])
    assert page["total_count"] == 0
    assert "'in progress' (did you mean 'In progress'?) is not a state of this app" in page["note"]
    agg = await call_ok(mcp, "aggregate_records", app=3, group_by=["priority"], query='Status in ("closed")')
    assert "'closed' (did you mean 'Closed'?)" in agg["note"]
    # Spelt right, a status that no record is in gives no hint.
    right = await call_ok(mcp, "get_records", app=3, query='Status = "In progress" and $id < 0', fields=["Status"])
    assert right["total_count"] == 0 and "note" not in right
