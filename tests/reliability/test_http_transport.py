"""The Streamable HTTP transport's guards, in process (Starlette's TestClient runs the app's lifespan): the
DNS-rebinding checks on Host and Origin, the bearer token, and the request body limit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from kintone_mcp.sandbox import Sandbox
from kintone_mcp.server.http import DEFAULT_MAX_BODY, TransportConfigError, build_http_app
from tests.reliability.conftest import faulty_sandbox, mcp_server

TOKEN = "a-long-random-http-token-0123456789"
ORIGIN = "http://127.0.0.1:8000"
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    sb = faulty_sandbox()
    yield sb
    sb.close()


def serve(sandbox: Sandbox, **kwargs: Any) -> TestClient:
    app = build_http_app(mcp_server(sandbox), host=kwargs.pop("host", "127.0.0.1"), **kwargs)
    return TestClient(app, base_url=ORIGIN)


def post(http: TestClient, body: bytes | None = None, **headers: str) -> Any:
    content = body if body is not None else json.dumps(INIT).encode()
    return http.post("/mcp", content=content, headers={**HEADERS, **headers})


def test_host_and_origin_are_checked(sandbox: Sandbox) -> None:
    with serve(sandbox, bearer_token=None) as http:
        assert post(http).status_code == 200
        assert post(http, Host="evil.example").status_code == 421  # DNS rebinding: a name that resolves to us
        assert post(http, Host="evil.example:8000").status_code == 421
        assert post(http, Origin="http://evil.example").status_code == 403  # a page on another site
        assert post(http, Origin=ORIGIN).status_code == 200
        assert post(http, Host="localhost:8000").status_code == 200


def test_extra_allowed_hosts(sandbox: Sandbox) -> None:
    with serve(sandbox, bearer_token=TOKEN, allowed_hosts=["mcp.example.com"]) as http:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        assert post(http, Host="mcp.example.com", **auth).status_code == 200
        assert post(http, Host="mcp.example.com", Origin="https://mcp.example.com", **auth).status_code == 200
        assert post(http, Host="other.example.com", **auth).status_code == 421


def test_the_bearer_token_is_required_on_every_path(sandbox: Sandbox) -> None:
    with serve(sandbox, bearer_token=TOKEN) as http:
        assert post(http).status_code == 401
        for wrong in ("Bearer nope", f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x", f"bearer {TOKEN}", TOKEN, ""):
            answer = post(http, Authorization=wrong)
            assert answer.status_code == 401, wrong
            assert answer.headers["www-authenticate"].startswith("Bearer")
            assert TOKEN not in answer.text
        assert post(http, Authorization=f"Bearer {TOKEN}").status_code == 200
        assert http.get("/anything-else").status_code == 401


def test_a_network_address_needs_a_token(sandbox: Sandbox) -> None:
    with pytest.raises(TransportConfigError, match="without authentication"):
        build_http_app(mcp_server(sandbox), host="0.0.0.0", bearer_token=None)
    with pytest.raises(TransportConfigError):
        build_http_app(mcp_server(sandbox), host="192.168.1.20", bearer_token="")
    build_http_app(mcp_server(sandbox), host="192.168.1.20", bearer_token=TOKEN)  # building binds nothing


def test_bodies_over_the_limit_are_refused_with_413(sandbox: Sandbox) -> None:
    with serve(sandbox, bearer_token=TOKEN, max_body=4096) as http:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        big = json.dumps({**INIT, "pad": "x" * 5000}).encode()
        answer = post(http, big, **auth)
        assert answer.status_code == 413
        assert answer.json()["error"]["message"] == "the request body is larger than 4096 bytes"

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            for i in range(0, len(big), 1000):
                yield big[i : i + 1000]

        chunked = http.post("/mcp", content=chunks(), headers={**HEADERS, **auth})
        assert chunked.status_code == 413
        # Just under the limit is served, padding and all.
        small = json.dumps({**INIT, "pad": "x" * 3000}).encode()
        assert len(small) <= 4096 and post(http, small, **auth).status_code == 200
        # Without the token nothing is read at all: 401, not 413.
        assert post(http, big).status_code == 401
        assert post(http, b"{}", **{"Content-Length": "abc", **auth}).status_code == 400


def test_the_default_limit_is_one_mebibyte(sandbox: Sandbox) -> None:
    assert DEFAULT_MAX_BODY == 1024 * 1024
    with serve(sandbox, bearer_token=None) as http:
        assert post(http, json.dumps({**INIT, "pad": "x" * (DEFAULT_MAX_BODY + 1)}).encode()).status_code == 413
        assert post(http, json.dumps({**INIT, "pad": "x" * 500_000}).encode()).status_code == 200
