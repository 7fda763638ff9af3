"""add_records end to end: one transaction."""

from __future__ import annotations

import pytest
from mcp import Client

from kintone_mcp.server.tools.outputs import parse_id_ranges
from tests.server.helpers import call_error, call_ok


@pytest.mark.anyio
async def test_add_records_is_all_or_nothing(mcp: Client) -> None:
    before = (await call_ok(mcp, "get_records", limit=1))["total_count"]
    ok = await call_ok(mcp, "add_records", records=[{"title": f"bulk {i}", "stage": "Lead"} for i in range(150)])
    assert ok["count"] == 150 and ok["atomic"] is True
    ids = parse_id_ranges(ok["ids"])
    assert len(set(ids)) == 150 and ok["revision"] == 1 and "records" not in ok
    assert ok["ids"] == f"{ids[0]}-{ids[-1]}"  # one range, not 150 rows
    text = await call_error(
        mcp, "add_records", records=[{"title": "good", "stage": "Lead"}, {"title": "bad", "stage": "Nope"}]
    )
    assert "records[1].stage" in text
    assert (await call_ok(mcp, "get_records", limit=1))["total_count"] == before + 150
