"""update_records end to end (and delete_records on what it changed)."""

from __future__ import annotations

import pytest
from mcp import Client

from tests.server.helpers import call_error, call_ok


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
