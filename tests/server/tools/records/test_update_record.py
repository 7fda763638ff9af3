"""update_record end to end: revisions, round trips, and the subtable rows an update deletes."""

from __future__ import annotations

import base64

import httpx2
import pytest
from mcp import Client

from kintone_mcp.sandbox import Sandbox
from tests.server.conftest import BASE_URL, ServerFactory
from tests.server.helpers import call_error, call_ok


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
async def test_ignored_fields_name_a_table_column_once(mcp: Client) -> None:
    rec = (await call_ok(mcp, "get_record", id=300))["record"]
    assert len(rec["line_items"]) > 1
    done = await call_ok(mcp, "update_record", id=300, record=rec)
    ignored = done["ignored_fields"]
    assert ignored.count("line_items.subtotal") == 1
    assert len(ignored) == len(set(ignored))


@pytest.mark.anyio
async def test_rows_left_out_of_a_table_update_are_reported_with_their_values(mcp: Client) -> None:
    rows = (await call_ok(mcp, "get_record", id=300))["record"]["line_items"]
    assert len(rows) == 3
    changed = {**rows[1], "quantity": 2}
    # A model that sends only the row it changes deletes the others: the answer must say so, with what is gone.
    done = await call_ok(mcp, "update_record", id=300, record={"line_items": [{"$id": changed["$id"], "quantity": 2}]})
    assert done["removed_rows"] == {"line_items": [rows[0], rows[2]]}
    assert f"$id {rows[0]['$id']}, {rows[2]['$id']}" in done["note"]
    # Following the note restores them in one call.
    restored = [{k: v for k, v in r.items() if k != "$id"} for r in done["removed_rows"]["line_items"]]
    again = await call_ok(mcp, "update_record", id=300, record={"line_items": [{"$id": changed["$id"]}, *restored]})
    assert "removed_rows" not in again
    after = (await call_ok(mcp, "get_record", id=300))["record"]["line_items"]
    assert sorted((r["product"], r["quantity"]) for r in after) == sorted(
        (r["product"], r["quantity"]) for r in [rows[0], changed, rows[2]]
    )


async def _add_unique_text_field(sandbox: Sandbox, app: int, code: str) -> None:
    auth = {"X-Cybozu-Authorization": base64.b64encode(b"Administrator:sandbox").decode()}
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=sandbox.asgi_app), base_url=BASE_URL) as http:
        prop = {"type": "SINGLE_LINE_TEXT", "code": code, "label": code, "unique": True}
        body = {"app": app, "properties": {code: prop}}
        (await http.post("/k/v1/preview/app/form/fields.json", json=body, headers=auth)).raise_for_status()
        (
            await http.post("/k/v1/preview/app/deploy.json", json={"apps": [{"app": app}]}, headers=auth)
        ).raise_for_status()


@pytest.mark.anyio
async def test_table_update_by_key_reports_removed_rows_and_a_full_one_nothing(
    make_server: ServerFactory, sandbox: Sandbox
) -> None:
    await _add_unique_text_field(sandbox, 2, "deal_ref")
    async with Client(make_server()) as mcp:
        await call_ok(mcp, "update_record", id=300, record={"deal_ref": "D-300"})
        rows = (await call_ok(mcp, "get_record", id=300))["record"]["line_items"]
        key = {"field": "deal_ref", "value": "D-300"}
        full = await call_ok(mcp, "update_record", update_key=key, record={"line_items": rows})
        assert "removed_rows" not in full and "note" not in full
        part = await call_ok(mcp, "update_record", update_key=key, record={"line_items": rows[:1]})
        assert part["removed_rows"] == {"line_items": rows[1:]}
