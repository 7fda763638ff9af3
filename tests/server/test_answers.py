"""Answers a model can act on without guessing: no repeated entries, round-trippable values, notes only when true."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest
from mcp import Client

from kintone_mcp.sandbox import Sandbox
from tests.server.conftest import BASE_URL, ServerFactory, add_file_field
from tests.server.helpers import call_error, call_ok


@pytest.mark.anyio
async def test_ignored_fields_name_a_table_column_once(mcp: Client) -> None:
    rec = (await call_ok(mcp, "get_record", id=300))["record"]
    assert len(rec["line_items"]) > 1
    done = await call_ok(mcp, "update_record", id=300, record=rec)
    ignored = done["ignored_fields"]
    assert ignored.count("line_items.subtotal") == 1
    assert len(ignored) == len(set(ignored))


@pytest.mark.anyio
async def test_mentions_come_back_as_add_comment_takes_them(mcp: Client) -> None:
    mentions = ["sato", "org:support", "group:managers"]
    await call_ok(mcp, "add_comment", app=3, id=1, text="Please look", mentions=mentions)
    newest = (await call_ok(mcp, "get_comments", app=3, id=1, limit=1))["comments"][0]
    assert newest["mentions"] == mentions
    # ... so they can be passed straight back, e.g. in a reply to everyone mentioned.
    await call_ok(mcp, "add_comment", app=3, id=1, text="Done", mentions=newest["mentions"])


@pytest.mark.anyio
async def test_upload_answer_names_the_file_not_a_spent_upload_key(
    make_server: ServerFactory, sandbox: Sandbox, tmp_path: Path
) -> None:
    field = await add_file_field(sandbox, 3)
    folder = tmp_path / "files"
    folder.mkdir()
    source = folder / "trace.log"
    source.write_text("boom\n", encoding="utf-8")
    async with Client(make_server(download_dir=folder)) as mcp:
        up = await call_ok(mcp, "upload_file", app=3, id=2, field=field, path=str(source))
        assert up["name"] == "trace.log" and "file_key" not in up
        attached = (await call_ok(mcp, "get_record", app=3, id=2))["record"][field]
        assert [f["name"] for f in attached] == ["trace.log"]


@pytest.mark.anyio
async def test_several_values_note_only_when_a_record_really_counted_twice(mcp: Client) -> None:
    single = await call_ok(mcp, "aggregate_records", group_by=["owner"])
    assert sum(g["count"] for g in single["groups"]) == single["overall"]["count"]
    assert "several values" not in (single.get("cut") or "")
    multi = await call_ok(mcp, "aggregate_records", app=3, group_by=["Assignee"], query='Status in ("Open")')
    assert sum(g["count"] for g in multi["groups"]) > multi["overall"]["count"]
    assert "several values" in multi["cut"]


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
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.asgi_app), base_url=BASE_URL) as http:
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


@pytest.mark.anyio
async def test_a_refused_action_leads_to_update_assignees_and_that_unblocks_it(mcp: Client) -> None:
    # The demo's open tickets are assigned to suzuki and tanaka; this connection signs in as Administrator.
    rid = (await call_ok(mcp, "get_records", app=3, query='Status in ("Open")', fields=["Assignee"], limit=1))[
        "records"
    ][0]["$id"]
    text = await call_error(mcp, "update_status", app=3, id=rid, action="Start work")
    assert "GAIA_NT01" in text and "update_assignees" in text and "request id" not in text
    moved_to_me = await call_ok(mcp, "update_assignees", app=3, id=rid, assignees=["Administrator"])
    assert moved_to_me["status"] == "Open" and moved_to_me["assignees"] == ["Administrator"]
    started = await call_ok(mcp, "update_status", app=3, id=rid, action="Start work")
    assert started["status"] == "In progress"
    handed = await call_ok(mcp, "update_assignees", app=3, id=rid, assignees=["tanaka"], revision=started["revision"])
    assert handed["assignees"] == ["tanaka"] and handed["revision"] == started["revision"] + 1


@pytest.mark.anyio
async def test_update_assignees_explains_names_and_apps_without_a_process(mcp: Client) -> None:
    text = await call_error(mcp, "update_assignees", app=3, id=1, assignees=["Tanaka Ren"])
    assert "user codes" in text and "list_users" in text
    assert "does not use process management" in await call_error(
        mcp, "update_assignees", app=2, id=1, assignees=["tanaka"]
    )


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


@pytest.mark.anyio
async def test_grouping_by_a_table_column_counts_rows(mcp: Client) -> None:
    won = 'stage in ("Won")'
    agg = await call_ok(
        mcp, "aggregate_records", group_by=["product"], metrics=["sum(quantity)", "sum(subtotal)"], query=won
    )
    rows = [row for r in (await call_ok(mcp, "get_records", query=won, fields=["line_items"], limit=500))["records"]
            for row in r["line_items"]]  # fmt: skip
    expected: dict[str, list[int]] = {}
    for row in rows:
        got = expected.setdefault(row["product"], [0, 0, 0])
        got[0] += 1
        got[1] += row["quantity"]
        got[2] += row["subtotal"]
    assert {g["key"]["product"]: [g["count"], *g["values"].values()] for g in agg["groups"]} == expected
    assert agg["overall"]["count"] == len(rows) > agg["records_scanned"]
    assert "counts are its rows" in agg["cut"]
    # A record-level metric would be counted once per row: refused, with the way out.
    text = await call_error(mcp, "aggregate_records", group_by=["product"], metrics=["sum(amount)"])
    assert "metrics must be columns of 'line_items'" in text and "separate call" in text


@pytest.mark.anyio
async def test_a_table_column_metric_sums_every_row_of_each_record(mcp: Client) -> None:
    won = 'stage in ("Won")'
    agg = await call_ok(mcp, "aggregate_records", group_by=["stage"], metrics=["sum(quantity)"], query=won)
    records = (await call_ok(mcp, "get_records", query=won, fields=["line_items"], limit=500))["records"]
    total = sum(row["quantity"] for r in records for row in r["line_items"])
    assert agg["overall"] == {"key": {}, "count": len(records), "values": {"sum(quantity)": total}}
    assert [(g["key"], g["count"]) for g in agg["groups"]] == [({"stage": "Won"}, len(records))]
    assert "cut" not in agg or "counts are its rows" not in agg["cut"]


@pytest.mark.anyio
async def test_no_group_by_gives_overall_only(mcp: Client) -> None:
    agg = await call_ok(mcp, "aggregate_records", metrics=["sum(amount)"], query='stage in ("Won")')
    assert agg["groups"] == [] and agg["overall"]["count"] == agg["total_count"] > 0


def test_continuation_tokens_are_short_and_exact() -> None:
    import base64 as b64
    import json

    from kintone_mcp.server.continuation import Continuation
    from kintone_mcp.server.errors import ToolInputError

    paged = Continuation(app=2, where='stage in ("Won")', order="", fields=["$id", "$revision", "title"],
                         max_text_chars=1000, after_id=298, seen=20)  # fmt: skip
    by_offset = Continuation(app=3, where="", order="amount desc", fields=None, max_text_chars=50, offset=40, seen=40)
    for cont in (paged, by_offset):
        assert Continuation.decode(cont.encode()) == cont
    assert len(paged.encode()) <= 102  # the long-key form with every default spelt out was 200
    old = b64.urlsafe_b64encode(json.dumps({"v": 1, "app": 2}).encode()).decode()
    with pytest.raises(ToolInputError, match="Run the query again without `next`"):
        Continuation.decode(old)


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


@pytest.mark.anyio
async def test_update_status_names_a_lone_next_assignee_and_asks_when_there_are_several(
    mcp: Client, sandbox: Sandbox
) -> None:
    # Kintone (and the sandbox, by default) wants the next status's assignee named even when only one user can be
    # it; "In progress" is assigned to whoever the ticket's assigned_to field holds.
    assert sandbox.config.status_assignee_required
    lone = await call_ok(mcp, "add_record", app=3, record={"subject": "Lone", "assigned_to": ["tanaka"]})
    several = await call_ok(mcp, "add_record", app=3, record={"subject": "Two", "assigned_to": ["tanaka", "sato"]})
    for rid in (lone["id"], several["id"]):
        await call_ok(mcp, "update_assignees", app=3, id=rid, assignees=["Administrator"])
    started = await call_ok(mcp, "update_status", app=3, id=lone["id"], action="Start work")
    assert started["status"] == "In progress" and started["assignees"] == ["tanaka"]
    text = await call_error(mcp, "update_status", app=3, id=several["id"], action="Start work")
    assert "GAIA_SA01" in text
    picked = await call_ok(mcp, "update_status", app=3, id=several["id"], action="Start work", assignee="sato")
    assert picked["assignees"] == ["sato"]
