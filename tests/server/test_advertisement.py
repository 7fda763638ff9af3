"""The shipped tools/list advertisement (server/advertisement.py): current, answered the same as building every tool,
with each tool built at its first call; a stale file falls back to building at start."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client

from kintone_mcp.server import advertisement
from kintone_mcp.server.app import KintoneMCPServer
from kintone_mcp.server.policy import Policy
from tests.server import advertisement as writer
from tests.server.conftest import ServerFactory
from tests.server.helpers import call_ok


def _wire(tools: list[Any]) -> str:
    return json.dumps([t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools])


def test_the_shipped_file_is_current() -> None:
    assert advertisement.load() is not None, (
        "kintone_mcp/server/advertisement.json is stale: run python -m tests.server.advertisement --write"
    )
    assert writer.main([]) == 0


@pytest.mark.anyio
async def test_lazy_and_eager_servers_advertise_the_same(make_server: ServerFactory) -> None:
    for policy in (Policy.build(default_app=2), Policy.build(toolsets=["all"]), Policy.build(read_only=True)):
        lazy = make_server(policy)
        eager = make_server(policy, lazy=False)
        assert isinstance(lazy, KintoneMCPServer) and lazy.deferred and not eager.deferred
        async with Client(lazy) as a, Client(eager) as b:
            assert _wire((await a.list_tools()).tools) == _wire((await b.list_tools()).tools)
            # a deferred tool is built at its first call and then answers like the eager one
            assert await call_ok(a, "get_app", app=2) == await call_ok(b, "get_app", app=2)
            assert "get_app" not in lazy.deferred


@pytest.mark.anyio
async def test_a_stale_file_builds_every_tool_at_start(
    make_server: ServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(advertisement, "fingerprint", lambda: "something else")
    server = make_server(Policy.build(default_app=2))
    assert server.deferred == {}
    eager = make_server(Policy.build(default_app=2), lazy=False)
    async with Client(server) as mcp, Client(eager) as built:
        # every default tool (not a fixed count, which went stale when `search` joined the defaults), as built eagerly
        assert _wire((await mcp.list_tools()).tools) == _wire((await built.list_tools()).tools)
