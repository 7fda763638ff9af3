"""A guest space is reached on its guest path: the client learns it from the normal path's refusal (GAIA_IL23)."""

from __future__ import annotations

import pytest
from mcp import Client

from tests.server.helpers import call_ok
from tests.server.tools.spaces.conftest import GUEST

pytestmark = pytest.mark.anyio


async def test_read_and_post_in_the_guest_space(spaces_mcp: Client) -> None:
    space = await call_ok(spaces_mcp, "get_space", space=GUEST)
    assert space["guest"] is True and space["name"] == "Partner portal"
    assert space["apps"] == {"4": "Partner requests"}
    posted = await call_ok(spaces_mcp, "add_thread_comment", space=GUEST, thread=space["default_thread"],
                           text="Welcome, partners: the marigold programme starts in May.")
    # The normal path's search leaves guest spaces out; the guest path searches that space.
    assert (await call_ok(spaces_mcp, "search", keywords=["marigold"]))["hits"] == []
    inside = await call_ok(spaces_mcp, "search", keywords=["marigold"], guest_space=GUEST)
    assert [(h["kind"], h["comment"]) for h in inside["hits"]] == [("THREAD_COMMENT", posted["id"])]
