"""add_comment end to end: mentions round-trip through get_comments."""

from __future__ import annotations

import pytest
from mcp import Client

from tests.server.helpers import call_ok


@pytest.mark.anyio
async def test_mentions_come_back_as_add_comment_takes_them(mcp: Client) -> None:
    mentions = ["sato", "org:support", "group:managers"]
    await call_ok(mcp, "add_comment", app=3, id=1, text="Please look", mentions=mentions)
    newest = (await call_ok(mcp, "get_comments", app=3, id=1, limit=1))["comments"][0]
    assert newest["mentions"] == mentions
    # ... so they can be passed straight back, e.g. in a reply to everyone mentioned.
    await call_ok(mcp, "add_comment", app=3, id=1, text="Done", mentions=newest["mentions"])
