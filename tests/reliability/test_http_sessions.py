"""The Streamable HTTP transport's session bounds (issue 17, item 6): at most ``max_sessions`` open at once (the next
initialize is answered 503, the open ones keep working), and a session unused for ``session_idle_timeout`` seconds
is closed (its id then answers 404). Memory after sessions end: benchmarks/bench_http_sessions.py."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from kintone_mcp.sandbox import Sandbox
from kintone_mcp.server.http import build_http_app
from kintone_mcp.settings import load_settings
from tests.reliability.conftest import faulty_sandbox, mcp_server

ORIGIN = "http://127.0.0.1:8000"
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
}
LIST = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    sb = faulty_sandbox()
    yield sb
    sb.close()


def _serve(sandbox: Sandbox, **limits: Any) -> TestClient:
    return TestClient(build_http_app(mcp_server(sandbox), host="127.0.0.1", bearer_token=None, **limits), ORIGIN)


def _open(http: TestClient) -> Any:
    return http.post("/mcp", content=json.dumps(INIT), headers=HEADERS)


def _use(http: TestClient, session: str) -> int:
    headers = {**HEADERS, "Mcp-Session-Id": session, "Mcp-Protocol-Version": "2025-11-25"}
    return http.post("/mcp", content=json.dumps(LIST), headers=headers).status_code


def test_sessions_beyond_the_cap_are_refused_and_the_open_ones_keep_working(sandbox: Sandbox) -> None:
    with _serve(sandbox, max_sessions=2) as http:
        first, second = _open(http), _open(http)
        assert first.status_code == second.status_code == 200
        assert _open(http).status_code == 503
        assert _use(http, first.headers["mcp-session-id"]) == 200
        closed = http.delete("/mcp", headers={"Mcp-Session-Id": second.headers["mcp-session-id"]})
        assert closed.status_code == 200
        assert _open(http).status_code == 200  # the room a session leaves is used again


def test_an_idle_session_is_closed(sandbox: Sandbox) -> None:
    with _serve(sandbox, session_idle_timeout=0.5) as http:
        session = _open(http).headers["mcp-session-id"]
        assert _use(http, session) == 200
        deadline = time.monotonic() + 20
        while _use(http, session) == 200 and time.monotonic() < deadline:
            time.sleep(0.7)  # longer than the idle timeout, so each probe comes after a full idle period
        assert _use(http, session) == 404


def test_the_bounds_are_settings() -> None:
    base = {"KINTONE_BASE_URL": "https://example.cybozu.com", "KINTONE_API_TOKEN": "token0123456789"}
    settings = load_settings(None, base)
    assert (settings.mcp_http_max_sessions, settings.mcp_http_session_idle_timeout) == (100, 1800.0)
    assert (settings.mcp_http_max_connections, settings.mcp_http_read_timeout) == (200, 20.0)
    tuned = load_settings(
        None,
        {
            **base,
            "KINTONE_MCP_HTTP_MAX_SESSIONS": "5",
            "KINTONE_MCP_HTTP_SESSION_IDLE_TIMEOUT": "60",
            "KINTONE_MCP_HTTP_MAX_CONNECTIONS": "50",
            "KINTONE_MCP_HTTP_READ_TIMEOUT": "5",
        },
    )
    assert (tuned.mcp_http_max_sessions, tuned.mcp_http_session_idle_timeout) == (5, 60.0)
    assert (tuned.mcp_http_max_connections, tuned.mcp_http_read_timeout) == (50, 5.0)
