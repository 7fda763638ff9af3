"""get_record end to end."""

from __future__ import annotations

import pytest
from mcp import Client

from tests.server.helpers import call_ok, text_of


@pytest.mark.anyio
async def test_get_record_in_full(mcp: Client) -> None:
    data = await call_ok(mcp, "get_record", id=1)
    assert data["record"]["$id"] == 1 and "line_items" in data["record"]
    missing = await mcp.call_tool("get_record", {"id": 99999})
    assert missing.is_error is True and "Not found" in text_of(missing)
