"""Start-up stays light: nothing heavy is imported or built before the host has its tool list (docs/mcp-sdk.md §6.4).

The client (its pydantic models, the TLS context, cryptography for a client certificate) is built at the
first tool call that needs it, once per lifespan, and closed with it. These are import-graph and behaviour tests,
not timings: benchmarks/bench_server_startup.py measures the time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client

from kintone_mcp.client import KintoneClient
from kintone_mcp.sandbox import Sandbox
from kintone_mcp.server.app import build_server
from kintone_mcp.server.policy import Policy
from kintone_mcp.server.state import ServerOptions, ServerState
from tests.server.conftest import BASE_URL, DEALS, password_credentials
from tests.server.helpers import call_error, call_ok, text_of

#: Modules the server must not load before it has answered tools/list, and why each is heavy.
NOT_AT_START = {
    "kintone_mcp.client.client": "the client class and its operation mixins",
    "kintone_mcp.client.models.fields": "pydantic models of field properties",
    "kintone_mcp.client.models.values": "pydantic models of field values",
    "kintone_mcp.client.models.apps": "pydantic models of apps, views, process settings",
    "kintone_mcp.auth.tls": "TLS context and client certificate",
    "cryptography.hazmat.primitives.serialization.pkcs12": "client certificates (.pfx) only",
    "httpx": "httpx 0.x, a second HTTP stack: the client shares httpx2 with the SDK and authlib",
    "authlib": "OAuth only",
    "rich": "the SDK's RichHandler, which our own logging set-up makes moot, and the export/import progress bar",
    "kintone_mcp.server.tools.apps._fields": "the compact field form (add_fields, update_fields)",
    "kintone_mcp.server.tools.apps._layout": "the simple layout form (update_layout, get_app include)",
}

_HANDSHAKE = [
    {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25",
     "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}},
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
]  # fmt: skip
_GET_APP = {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "get_app", "arguments": {"app": 1}}}


#: `python -m kintone_mcp`, writing the names in sys.modules to a file as it exits. (-X importtime would not do:
#: it leaves out modules loaded through importlib.import_module, which the CLI and kintone_mcp.client use.)
_RUN_AND_LIST_MODULES = """
import atexit, json, os, runpy, sys
def dump():
    with open(os.environ["MODULES_OUT"], "w", encoding="utf-8") as out:
        json.dump(sorted(sys.modules), out)
atexit.register(dump)
sys.argv = ["kintone-mcp"]
runpy.run_module("kintone_mcp", run_name="__main__", alter_sys=True)
"""


def _modules_loaded_by_a_real_start(tmp_path: Path, *, call_a_tool: bool) -> set[str]:
    """Runs the stdio server as a host starts it, up to the tools/list answer (and, with ``call_a_tool``, one tool
    call after it), then closes its input; returns every module it had loaded when it exited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINTONE_") and k != "HTTPS_PROXY"}
    # Port 9 on loopback: nothing listens, so the tool call fails at once (and start-up cannot have connected).
    env.update(KINTONE_BASE_URL="http://127.0.0.1:9", KINTONE_USERNAME="someone", KINTONE_PASSWORD="secret-password")
    env["KINTONE_RETRIES"] = "0"
    # Every toolset on: the start-up issue 12 measures, and the app-design tools held to the same rule.
    env["KINTONE_TOOLSETS"] = "all"
    out = tmp_path / f"modules-{call_a_tool}.json"
    env["MODULES_OUT"] = str(out)
    messages = [*_HANDSHAKE, _GET_APP] if call_a_tool else _HANDSHAKE
    last_id = messages[-1]["id"]
    proc = subprocess.Popen(
        [sys.executable, "-c", _RUN_AND_LIST_MODULES],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(b"".join(json.dumps(m).encode() + b"\n" for m in messages))
        proc.stdin.flush()
        answers: dict[int, Any] = {}
        while last_id not in answers:
            line = proc.stdout.readline()
            if not line:
                _, err = proc.communicate(timeout=30)
                raise AssertionError(f"the server exited early; stderr:\n{err.decode(errors='replace')[-3000:]}")
            msg = json.loads(line)
            if "id" in msg:
                answers[msg["id"]] = msg
        assert len(answers[2]["result"]["tools"]) == 41  # every toolset: 23 default, 10 apps, 8 spaces
        if call_a_tool:
            assert "Could not reach Kintone" in json.dumps(answers[3]), answers[3]
        _, err = proc.communicate(timeout=30)  # closes stdin: the server ends
        assert proc.returncode == 0, err.decode(errors="replace")[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    loaded: list[str] = json.loads(out.read_text(encoding="utf-8"))
    return set(loaded)


def test_a_real_start_imports_nothing_heavy_before_tools_list(tmp_path: Path) -> None:
    loaded = _modules_loaded_by_a_real_start(tmp_path, call_a_tool=False)
    assert {"kintone_mcp.server.launch", "kintone_mcp.commands.serve"} <= loaded
    sneaked = {name: why for name, why in NOT_AT_START.items() if name in loaded}
    assert sneaked == {}, f"imported before tools/list was answered: {sneaked}"


def test_the_first_tool_call_loads_the_client(tmp_path: Path) -> None:
    """The control for the test above: the same log does show the client once a tool needs it."""
    loaded = _modules_loaded_by_a_real_start(tmp_path, call_a_tool=True)
    assert {"kintone_mcp.client.client", "kintone_mcp.client.models.fields", "httpx2"} <= loaded
    assert "httpx" not in loaded, "the client must run on the SDK's httpx2, not load a second HTTP stack"
    assert "cryptography.hazmat.primitives.serialization.pkcs12" not in loaded, "no client certificate is configured"


@pytest.mark.anyio
async def test_the_client_is_built_once_at_the_first_call_and_closed_with_the_session(sandbox: Sandbox) -> None:
    built: list[KintoneClient] = []

    def factory() -> KintoneClient:
        client = KintoneClient(
            BASE_URL, credentials=password_credentials(), transport=httpx2.ASGITransport(app=sandbox.asgi_app)
        )
        built.append(client)
        return client

    server = build_server(
        policy=Policy.build(default_app=DEALS),
        options=ServerOptions(base_url=BASE_URL, user_api=True),
        client_factory=factory,
    )
    async with Client(server) as mcp:
        assert len((await mcp.list_tools()).tools) == 23  # search joined the records toolset
        assert built == [], "listing tools must not build the client"
        answers: dict[str, Any] = {}

        async def call(tool: str, **args: Any) -> None:
            answers[tool] = await call_ok(mcp, tool, **args)

        # Several first calls at once: one client between them.
        async with anyio.create_task_group() as tg:
            tg.start_soon(call, "get_app")
            tg.start_soon(call, "list_apps")
            tg.start_soon(call, "list_users")
            tg.start_soon(call, "get_records")
        assert set(answers) == {"get_app", "list_apps", "list_users", "get_records"}
        assert len(built) == 1
        assert not built[0]._conn.closed
        await call_ok(mcp, "get_record", id=1)
        assert len(built) == 1
    assert built[0]._conn.closed, "the lifespan's end closes the client it built"


def test_first_uses_on_several_threads_share_one_client(sandbox: Sandbox) -> None:
    builds = 0

    def slow_factory() -> KintoneClient:
        nonlocal builds
        builds += 1
        time.sleep(0.05)  # a window in which another thread would build a second client without the lock
        return KintoneClient(
            BASE_URL, credentials=password_credentials(), transport=httpx2.ASGITransport(app=sandbox.asgi_app)
        )

    state = ServerState(client_factory=slow_factory, policy=Policy.build(), options=ServerOptions())
    barrier = threading.Barrier(4)
    seen: list[KintoneClient] = []

    def use() -> None:
        barrier.wait()
        seen.append(state.client)

    threads = [threading.Thread(target=use) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert builds == 1 and len(seen) == 4 and all(c is seen[0] for c in seen)
    anyio.run(state.aclose)
    assert seen[0]._conn.closed
    with pytest.raises(RuntimeError, match="after the server closed it"):
        _ = state.client


def test_a_state_whose_client_was_never_built_closes_without_building_one() -> None:
    def factory() -> KintoneClient:
        raise AssertionError("closing must not build a client")

    state = ServerState(client_factory=factory, policy=Policy.build(), options=ServerOptions())
    anyio.run(state.aclose)


@pytest.mark.anyio
async def test_an_unusable_client_certificate_is_reported_by_the_first_call_not_at_start(tmp_path: Path) -> None:
    from kintone_mcp.server.launch import server_from_settings
    from kintone_mcp.settings import load_settings

    pfx = tmp_path / "client.pfx"
    pfx.write_bytes(b"this is not a PKCS#12 file")
    settings = load_settings(
        {
            "base_url": "https://example.cybozu.com",
            "username": "sato",
            "password": "password-canary-7f3a",
            "pfx_file_path": str(pfx),
            "pfx_file_password": "pfx-password-canary-91c2",
        },
        env={},
    )
    server = server_from_settings(settings)  # builds no client, so it cannot fail here
    async with Client(server) as mcp:
        assert len((await mcp.list_tools()).tools) == 23  # search joined the records toolset
        for _ in range(2):  # a failed build is not cached as a broken client: each call says the same
            text = await call_error(mcp, "get_app", app=1)
            assert "KINTONE_PFX_FILE_PATH" in text and "do not retry" in text
            assert "internal error" not in text
        result = await mcp.call_tool("test_connection", {})
        assert result.is_error is False, text_of(result)
        report = result.structured_content
        assert report is not None and report["verdict"] == "failed"
        steps = {s["step"]: s for s in report["steps"]}
        assert steps["configuration"]["status"] == "failed"
        assert "KINTONE_PFX_FILE_PATH" in steps["configuration"]["detail"]
        assert steps["credentials"]["status"] == "skipped" and steps["policy"]["status"] == "ok"
        everything = text + json.dumps(report)
        assert "password-canary-7f3a" not in everything and "pfx-password-canary-91c2" not in everything


def test_check_reports_an_unusable_client_certificate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`kintone-mcp check` builds the client at once; a certificate it cannot open is a failed step, exit 1."""
    from kintone_mcp.commands.main import main

    for name in [k for k in os.environ if k.startswith("KINTONE_") or k == "HTTPS_PROXY"]:
        monkeypatch.delenv(name)
    pfx = tmp_path / "client.pfx"
    pfx.write_bytes(b"this is not a PKCS#12 file")
    monkeypatch.setenv("KINTONE_BASE_URL", "https://example.cybozu.com")
    monkeypatch.setenv("KINTONE_API_TOKEN", "token-canary-0123456789")
    monkeypatch.setenv("KINTONE_PFX_FILE_PATH", str(pfx))
    monkeypatch.setenv("KINTONE_PFX_FILE_PASSWORD", "pfx-password-canary-91c2")
    assert main(["check", "--json"]) == 1
    out = capsys.readouterr().out
    report = json.loads(out)
    assert report["verdict"] == "failed" and report["steps"][0]["step"] == "configuration"
    assert "KINTONE_PFX_FILE_PATH" in report["steps"][0]["detail"]
    assert "token-canary" not in out and "pfx-password-canary" not in out
