"""Over stdio, every malformed line gets a JSON-RPC error when it carries an id, and a log line either way (issue 17,
item 11); the SDK's transport dropped them silently and the client waited forever. Raw lines into a real
``kintone-mcp`` subprocess, answers read back from its stdout."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from typing import Any

import pytest

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
}


def _nested_filter(depth: int) -> dict[str, Any]:
    flt: dict[str, Any] = {"field": "title", "op": "=", "value": "x"}
    for _ in range(depth):
        flt = {"match": "all", "conditions": [flt]}
    return flt


@pytest.mark.slow
def test_malformed_lines_are_answered_or_logged() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINTONE_") and k != "HTTPS_PROXY"}
    env.update(KINTONE_BASE_URL="http://127.0.0.1:9", KINTONE_USERNAME="u", KINTONE_PASSWORD="pw-0123456789")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kintone_mcp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    answers: queue.Queue[dict[str, Any]] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            answers.put(json.loads(line))

    threading.Thread(target=read, daemon=True).start()
    assert proc.stdin is not None

    def send(line: str) -> None:
        assert proc.stdin is not None
        proc.stdin.write(line + "\n")
        proc.stdin.flush()

    try:
        send(json.dumps(INIT))
        assert answers.get(timeout=30)["id"] == 1
        send(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        send("garbage")  # no id to answer: logged only
        send('{"jsonrpc":"2.0","id":3,"method":"tools/list","params":"x"}')
        deep = {"name": "get_records", "arguments": {"filter": _nested_filter(100)}}
        send(json.dumps({"jsonrpc": "2.0", "id": "deep", "method": "tools/call", "params": deep}))
        send(json.dumps({"jsonrpc": "2.0", "id": 4, "method": "tools/list"}))
        got = {answer["id"]: answer for answer in (answers.get(timeout=15) for _ in range(3))}
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
        assert proc.stderr is not None
        err = proc.stderr.read()
    assert got[3]["error"]["code"] == -32600 and "params" in got[3]["error"]["message"]
    assert got["deep"]["error"]["code"] == -32600 and "nests too deeply" in got["deep"]["error"]["message"]
    assert "tools" in got[4]["result"]  # the session goes on
    assert err.count("stdio: a malformed message") == 3, err
    assert "had no id to answer: the message is not valid JSON" in err
