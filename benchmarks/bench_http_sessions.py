"""Memory held by Streamable HTTP sessions, and what is left after they end (issue 17, item 6).

Starts `kintone-mcp serve --transport http` in a process of its own (nothing listens at its Kintone address: opening a
session needs no Kintone call), opens N sessions with `initialize`, ends them with DELETE, and prints the server's
resident memory (VmRSS) at each step, as ratios against its memory before the first session. Then the same N
initializes against the default session cap, which answers 503 beyond it: memory stays bounded.

    .venv/bin/python benchmarks/bench_http_sessions.py [--sessions 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}},
}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS (Linux only)")


@contextmanager
def _server(**settings: str) -> Iterator[tuple[str, int]]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINTONE_") and k != "HTTPS_PROXY"}
    env.update(KINTONE_BASE_URL="http://127.0.0.1:9", KINTONE_USERNAME="u", KINTONE_PASSWORD="pw-0123456789")
    env.update(settings)
    proc = subprocess.Popen(
        [sys.executable, "-m", "kintone_mcp", "serve", "--transport", "http", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        for _ in range(400):
            try:
                httpx2.get(url, timeout=1)
                break
            except httpx2.TransportError:
                time.sleep(0.05)
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _open(http: httpx2.Client, url: str, n: int) -> tuple[list[str], int]:
    sessions, refused = [], 0
    for _ in range(n):
        answer = http.post(url, content=json.dumps(INIT), headers=HEADERS)
        if answer.status_code == 200:
            sessions.append(answer.headers["mcp-session-id"])
        else:
            refused += 1
    return sessions, refused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=2000)
    n = parser.parse_args().sessions

    print(f"{n:,} sessions, cap raised to {n:,} (KINTONE_MCP_HTTP_MAX_SESSIONS):")
    with _server(KINTONE_MCP_HTTP_MAX_SESSIONS=str(n)) as (url, pid), httpx2.Client(timeout=30) as http:
        _open(http, url, 1)  # the first session loads what every session shares
        floor = _rss_mib(pid)
        sessions, _ = _open(http, url, n)
        held = _rss_mib(pid)
        for session in sessions:
            http.delete(url, headers={"Mcp-Session-Id": session})
        time.sleep(1)
        after = _rss_mib(pid)
        again, _ = _open(http, url, n)
        reused = _rss_mib(pid)
    per = (held - floor) * 1024 / max(len(sessions), 1)
    print(f"  before           {floor:7.1f} MiB")
    print(f"  {len(sessions):,} open       {held:7.1f} MiB  ({held / floor:.2f}x; {per:.0f} KiB per session)")
    returned = max(held - after, 0.0)
    print(f"  all ended        {after:7.1f} MiB  ({after / floor:.2f}x; {returned:.1f} MiB returned to the OS)")
    print(f"  {len(again):,} open again {reused:7.1f} MiB  ({reused / floor:.2f}x: freed memory is reused)")

    print(f"{n:,} initializes against the default cap:")
    with _server() as (url, pid), httpx2.Client(timeout=30) as http:
        _open(http, url, 1)
        floor = _rss_mib(pid)
        sessions, refused = _open(http, url, n)
        capped = _rss_mib(pid)
    print(f"  before           {floor:7.1f} MiB")
    print(f"  {len(sessions) + 1:,} open, {refused:,} refused (503): {capped:7.1f} MiB  ({capped / floor:.2f}x)")


if __name__ == "__main__":
    main()
