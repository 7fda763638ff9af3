"""Answers a model can act on without guessing: no repeated entries, round-trippable values, notes only when true."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client

from kintone_mcp.sandbox import Sandbox
from tests.server.conftest import ServerFactory, add_file_field
from tests.server.helpers import call_ok


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
    source = tmp_path / "trace.log"
    source.write_text("boom\n", encoding="utf-8")
    async with Client(make_server(download_dir=tmp_path / "out")) as mcp:
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
