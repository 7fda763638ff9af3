"""Kintone's documented space.json lists no threads; the sandbox's extension off, get_space still answers and says
where threads are found (search), and a thread name can still be changed."""

from __future__ import annotations

import pytest
from mcp import Client

from kintone_mcp.sandbox import Sandbox, SandboxConfig
from kintone_mcp.server.policy import Policy
from tests.server.conftest import ServerFactory
from tests.server.helpers import call_ok
from tests.server.tools.spaces.conftest import SALES, WITH_SPACES

pytestmark = pytest.mark.anyio


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(SandboxConfig(demo=True, space_json_threads=False))


async def test_get_space_without_threads(make_server: ServerFactory) -> None:
    async with Client(make_server(Policy.build(toolsets=WITH_SPACES))) as mcp:
        space = await call_ok(mcp, "get_space", space=SALES)
        assert "threads" not in space and space["default_thread"] == 1
        threads = await call_ok(mcp, "search", keywords=["pipeline"], kinds=["THREAD"], spaces=[SALES])
        assert [(h["thread"], h["title"]) for h in threads["hits"]] == [(3, "Weekly pipeline review")]
        await call_ok(mcp, "update_thread", space=SALES, thread=3, name="Pipeline")
