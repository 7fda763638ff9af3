"""Writing tools end to end against the sandbox: validation before sending, atomic batches, keys, revisions."""

from __future__ import annotations

import pytest
from mcp import Client

from kintone_mcp.auth import Credentials, PasswordAuth
from tests.server.conftest import ServerFactory
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
async def test_add_records_is_all_or_nothing(mcp: Client) -> None:
    before = (await call_ok(mcp, "get_records", limit=1))["total_count"]
    ok = await call_ok(mcp, "add_records", records=[{"title": f"bulk {i}", "stage": "Lead"} for i in range(150)])
    assert ok["count"] == 150 and ok["atomic"] is True
    assert len({r["id"] for r in ok["records"]}) == 150
    text = await call_error(
        mcp, "add_records", records=[{"title": "good", "stage": "Lead"}, {"title": "bad", "stage": "Nope"}]
    )
    assert "records[1].stage" in text
    assert (await call_ok(mcp, "get_records", limit=1))["total_count"] == before + 150


@pytest.mark.anyio
async def test_update_by_id_with_revision_conflict(mcp: Client) -> None:
    rec = (await call_ok(mcp, "get_record", id=5))["record"]
    done = await call_ok(mcp, "update_record", id=5, record={"notes": "called"}, revision=rec["$revision"])
    assert done["revision"] == rec["$revision"] + 1
    text = await call_error(mcp, "update_record", id=5, record={"notes": "again"}, revision=rec["$revision"])
    assert "get_record" in text and "revision" in text


@pytest.mark.anyio
async def test_round_trip_of_a_read_record_updates_only_writable_fields(mcp: Client) -> None:
    rec = (await call_ok(mcp, "get_record", id=7))["record"]
    rec["notes"] = "round trip"
    rec["line_items"] = rec["line_items"][:1]
    done = await call_ok(mcp, "update_record", id=7, record=rec)
    assert "$id" in done["ignored_fields"] and "Record_number" in done["ignored_fields"]
    after = (await call_ok(mcp, "get_record", id=7))["record"]
    assert after["notes"] == "round trip" and len(after["line_items"]) == 1
    assert after["line_items"][0]["$id"] == rec["line_items"][0]["$id"]  # the kept row is the same row


@pytest.mark.anyio
async def test_update_and_upsert_by_key(mcp: Client) -> None:
    # Customers (app 1) has a unique customer_code.
    text = await call_error(mcp, "update_record", app=1, update_key={"field": "company_name", "value": "x"}, record={})
    assert "Usable keys in this app" in text
    created = await call_ok(
        mcp,
        "upsert_records",
        app=1,
        key_field="customer_code",
        records=[
            {"customer_code": "C-9001", "company_name": "New Co"},
            {"customer_code": "C-0001", "company_name": "Renamed"},
        ],
    )
    assert [r["operation"] for r in created["records"]] == ["INSERT", "UPDATE"]
    page = await call_ok(
        mcp, "get_records", app=1, query='customer_code in ("C-9001", "C-0001")', fields=["company_name"]
    )
    assert sorted(r["company_name"] for r in page["records"]) == ["New Co", "Renamed"]


@pytest.mark.anyio
async def test_update_records_and_delete(mcp: Client) -> None:
    added = await call_ok(
        mcp, "add_records", records=[{"title": "t1", "stage": "Lead"}, {"title": "t2", "stage": "Lead"}]
    )
    ids = [r["id"] for r in added["records"]]
    changed = await call_ok(mcp, "update_records", records=[{"id": i, "record": {"stage": "Won"}} for i in ids])
    assert [r["revision"] for r in changed["records"]] == [2, 2]
    assert await call_ok(mcp, "delete_records", ids=ids) == {"deleted": ids}
    assert "Not found" in await call_error(mcp, "get_record", id=ids[0])
    assert "more than once" in await call_error(mcp, "delete_records", ids=[1, 1])


@pytest.mark.anyio
async def test_status_actions_and_comments(make_server: ServerFactory) -> None:
    suzuki = PasswordAuth("suzuki", "sandbox")
    async with Client(make_server(credentials=Credentials(rest=suzuki, user_api=suzuki))) as mcp:
        app = await call_ok(mcp, "get_app", app=3)
        action = app["process"]["actions"][0]
        mine = {
            "conditions": [
                {"field": "Status", "op": "in", "value": [action["from_status"]]},
                {"field": "Assignee", "op": "in", "value": ["LOGINUSER()"]},
            ]
        }
        rid = (await call_ok(mcp, "get_records", app=3, filter=mine, limit=1))["records"][0]["$id"]
        moved = await call_ok(mcp, "update_status", app=3, id=rid, action=action["name"])
        assert moved["status"] == action["to_status"] and moved["revision"] >= 3
        text = await call_error(mcp, "update_status", app=3, id=rid, action="No such action")
        assert f"Actions available from {action['to_status']!r}" in text
        cid = (await call_ok(mcp, "add_comment", app=3, id=rid, text="Looking into it", mentions=["sato"]))["id"]
        newest = (await call_ok(mcp, "get_comments", app=3, id=rid))["comments"][0]
        assert newest["id"] == cid and newest["by"] == "suzuki" and newest["mentions"] == ["sato"]
        assert "Looking into it" in newest["text"] and newest["at"].endswith("Z")


@pytest.mark.anyio
async def test_status_on_an_app_without_process_management(mcp: Client) -> None:
    assert "does not use process management" in await call_error(mcp, "update_status", app=2, id=1, action="Go")
