"""Slow clients cannot hold the Streamable HTTP transport (issue 17, item 5): a request must arrive whole within the
read timeout, and beyond the connection cap the connection waiting longest is closed, so an authenticated client is
answered while slow ones pile up. A bounded run on loopback against a real ``kintone-mcp serve`` subprocess with
lowered limits: 150 sockets, a cap of 40, a read timeout of 8 s."""

from __future__ import annotations

import json
import os
import selectors
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx2
import pytest

pytestmark = [pytest.mark.socket, pytest.mark.slow]

TOKEN = "slow-clients-test-token-0123456789"
CAP, READ_TIMEOUT, SLOW = 40, 8.0, 150
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server() -> Iterator[str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINTONE_") and k != "HTTPS_PROXY"}
    env.update(
        KINTONE_BASE_URL="http://127.0.0.1:9",
        KINTONE_USERNAME="u",
        KINTONE_PASSWORD="pw-0123456789",
        KINTONE_MCP_HTTP_TOKEN=TOKEN,
        KINTONE_MCP_HTTP_MAX_CONNECTIONS=str(CAP),
        KINTONE_MCP_HTTP_READ_TIMEOUT=str(READ_TIMEOUT),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "kintone_mcp", "serve", "--transport", "http", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx2.get(url, timeout=1)
                break
            except httpx2.TransportError:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        assert proc.stderr is not None
        proc.stderr.close()


def _authenticated_initialize(url: str) -> int:
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "Accept": "application/json, text/event-stream",
        "Content-Type": "application/json",
    }
    return httpx2.post(f"{url}/mcp", content=json.dumps(INIT), headers=headers, timeout=10).status_code


def _slow_sockets(port: int) -> list[socket.socket]:
    """A third send nothing, a third stop inside their headers, a third stop inside an authenticated body."""
    out = []
    for n in range(SLOW):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        if n % 3 == 1:
            s.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl")
        elif n % 3 == 2:
            s.sendall(
                b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN.encode() + b"\r\n"
                b"Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"jsonrpc\": "
            )
        out.append(s)
    return out


def _wait_closed(sockets: list[socket.socket], closed: set[socket.socket], want: int, deadline: float) -> int:
    """Waits until ``want`` of the sockets were closed by the server (or the deadline), adding them to ``closed``;
    returns how many are."""
    selector = selectors.DefaultSelector()
    for s in sockets:
        if s not in closed:
            s.setblocking(False)
            selector.register(s, selectors.EVENT_READ)
    while len(closed) < want and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=0.2):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            try:
                data = sock.recv(4096)
            except ConnectionResetError:
                data = b""
            if not data:
                selector.unregister(sock)
                closed.add(sock)
    selector.close()
    return len(closed)


def test_slow_clients_are_timed_out_and_capped(server: str) -> None:
    port = int(server.rsplit(":", 1)[1])
    started = time.monotonic()
    sockets = _slow_sockets(port)
    try:
        # Beyond the cap the longest-waiting connection is closed at once, long before the read timeout.
        closed: set[socket.socket] = set()
        evicted = _wait_closed(sockets, closed, SLOW - CAP, started + READ_TIMEOUT - 2)
        assert evicted >= SLOW - CAP, f"only {evicted} of {SLOW} slow connections were closed within the cap"
        assert _authenticated_initialize(server) == 200
        # The rest are closed by the read timeout; nothing slow is held after it.
        assert _wait_closed(sockets, closed, SLOW, started + READ_TIMEOUT + 10) == SLOW
        assert _authenticated_initialize(server) == 200
    finally:
        for s in sockets:
            s.close()
