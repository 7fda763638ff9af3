"""update_records end to end (and delete_records on what it changed)."""

from __future__ import annotations

import pytest
from mcp import Client

from kintone_mcp.server.tools.outputs import parse_id_ranges
from tests.server.helpers import call_error, call_ok


@pytest.mark.anyio
async def test_update_records_and_delete(mcp: Client) -> None:
    added = await call_ok(
        mcp, "add_records", records=[{"title": "t1", "stage": "Lead"}, {"title": "t2", "stage": "Lead"}]
    )
    ids = parse_id_ranges(added["ids"])
    changed = await call_ok(mcp, "update_records", records=[{"id": i, "record": {"stage": "Won"}} for i in ids])
    assert changed["revision"] == 2 and parse_id_ranges(changed["ids"]) == ids
    # Records with different histories: one revision each, in the order of ids (given order, not sorted).
    order = [ids[1], 5, ids[0]]
    mixed = await call_ok(mcp, "update_records", records=[{"id": i, "record": {"notes": "n"}} for i in order])
    assert mixed["ids"] == f"{ids[1]}, 5, {ids[0]}" and mixed["revisions"][0] == mixed["revisions"][2] == 3
    assert "revision" not in mixed
    assert await call_ok(mcp, "delete_records", ids=ids) == {"count": 2, "deleted": f"{ids[0]}-{ids[1]}"}
    assert "Not found" in await call_error(mcp, "get_record", id=ids[0])
    assert "more than once" in await call_error(mcp, "delete_records", ids=[1, 1])
