"""End to end in subprocesses: `kintone-mcp` over stdio, `serve --sandbox`, Streamable HTTP with its guards, and
`kintone-mcp check`, against a sandbox on a real loopback socket."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from mcp import Client, StdioServerParameters

from kintone_mcp.sandbox import Sandbox, SandboxConfig, serve_in_thread
from tests.server.helpers import call_ok

pytestmark = [pytest.mark.socket]


def _env(**extra: str) -> dict[str, str]:
    # The caller's own Kintone settings must not leak into these runs.
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINTONE_") and k != "HTTPS_PROXY"}
    return {**env, **extra}


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    with serve_in_thread(Sandbox(SandboxConfig(demo=True))) as url:
        yield url


def _stdio(env: dict[str, str], *args: str) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=["-m", "kintone_mcp", *args], env=env)


@pytest.mark.anyio
async def test_stdio_default_command_serves_every_tool(sandbox_url: str) -> None:
    env = _env(
        KINTONE_BASE_URL=sandbox_url, KINTONE_USERNAME="Administrator", KINTONE_PASSWORD="sandbox", KINTONE_APP_ID="2"
    )
    async with Client(_stdio(env)) as mcp:
        assert len((await mcp.list_tools()).tools) == 23  # search joined the records toolset
        page = await call_ok(
            mcp, "get_records", filter={"conditions": [{"field": "stage", "value": "Won", "op": "in"}]}
        )
        assert page["returned"] == 20
        added = await call_ok(mcp, "add_record", record={"title": "over stdio", "stage": "Lead"})
        assert (await call_ok(mcp, "get_record", id=added["id"]))["record"]["title"] == "over stdio"


@pytest.mark.anyio
async def test_serve_sandbox_needs_no_setup_and_honours_read_only() -> None:
    async with Client(_stdio(_env(), "serve", "--sandbox", "--read-only")) as mcp:
        names = {t.name for t in (await mcp.list_tools()).tools}
        assert "get_records" in names and "add_record" not in names
        apps = await call_ok(mcp, "list_apps")
        assert [a["name"] for a in apps["apps"]][:3] == ["Customers", "Deals", "Support tickets"]
        assert (await call_ok(mcp, "get_records", app="tickets", limit=1))["returned"] == 1
        # The demo's dates follow today, so the question users ask first has an answer.
        closing = await call_ok(mcp, "get_records", app="deals", query="close_date = THIS_MONTH()", limit=1)
        assert closing["total_count"] > 0


def _serve_sandbox(*flags: str) -> subprocess.CompletedProcess[str]:
    """`serve --sandbox` with stdin closed: it starts, prints its banner, reads EOF and stops."""
    return subprocess.run(
        [sys.executable, "-m", "kintone_mcp", "serve", "--sandbox", *flags],
        env=_env(), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_serve_sandbox_banner_lists_every_app_with_its_alias() -> None:
    run = _serve_sandbox()
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""  # stdout is the protocol
    lines = run.stderr.splitlines()
    assert any("sandbox with demo data at http://127.0.0.1:" in ln and "login Administrator" in ln for ln in lines)
    for expected in (
        "app 1 Customers alias customers (120 records)",
        "app 2 Deals alias deals (300 records, the default app)",
        "app 3 Support tickets alias tickets (200 records)",
        'app 4 Partner requests alias partners (12 records, guest space 2 "Partner portal")',
        "app 5 Contracts alias contracts (8 records)",
    ):
        assert any(line.endswith(expected) for line in lines), (expected, run.stderr)


@pytest.mark.anyio
async def test_serve_sandbox_takes_the_demo_flags() -> None:
    flags = ("--demo-records", "7", "--seed", "5", "--demo-start", "2025-01-06", "--app-id", "contracts")
    async with Client(_stdio(_env(), "serve", "--sandbox", *flags)) as mcp:
        deals = await call_ok(mcp, "get_records", app="deals", fields=["title"], limit=10)
        assert deals["total_count"] == 7 and deals["returned"] == 7
        titles = sorted(r["title"] for r in deals["records"])
        # --demo-start: the first contract is signed 40 days after it; --app-id contracts is the default app.
        contract = await call_ok(mcp, "get_record", id=1)
        assert contract["record"]["signed_on"] == "2025-02-15"
    # --seed reached the sandbox: the titles are seed 5's, which are not the default seed's.
    assert titles == _deal_titles(SandboxConfig(demo=True, demo_records=7, seed=5))
    assert titles != _deal_titles(SandboxConfig(demo=True, demo_records=7))
    default = _serve_sandbox("--demo-records", "7", "--seed", "5", "--demo-start", "2025-01-06")
    assert "app 2 Deals alias deals (7 records" in default.stderr


def _deal_titles(config: SandboxConfig) -> list[str]:
    sandbox = Sandbox(config)
    with sandbox.store.reading() as conn:
        rows = conn.execute("SELECT json_extract(data, '$.title') FROM records WHERE app = 2").fetchall()
    sandbox.close()
    return sorted(r[0] for r in rows)


def test_serve_refuses_a_configuration_error_before_the_sandbox_starts() -> None:
    run = _serve_sandbox("--allow-apps", "dealz")
    assert run.returncode == 2
    assert "'dealz' is neither an app id nor an alias" in run.stderr
    assert "sandbox with demo data" not in run.stderr  # nothing started, nothing announced
    wrong_guest = _serve_sandbox("--guest-space-id", "9")
    assert wrong_guest.returncode == 2 and "only guest space is 2" in wrong_guest.stderr
    assert "sandbox with demo data" not in wrong_guest.stderr
    without_sandbox = subprocess.run(
        [sys.executable, "-m", "kintone_mcp", "serve", "--demo-records", "5"],
        env=_env(), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert without_sandbox.returncode == 2 and "--demo-records: demo data options, only with --sandbox" in (
        without_sandbox.stderr
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(proc: subprocess.Popen[str], marker: str, timeout: float = 30.0) -> str:
    assert proc.stderr is not None
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        seen += line
        if marker in line:
            return seen
        if not line and proc.poll() is not None:
            break
    raise AssertionError(f"server did not print {marker!r}; stderr so far:\n{seen}")


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    token = "t0ken-" + "x" * 32
    token_file = tmp_path / "token"
    token_file.write_text(token)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kintone_mcp", "serve", "--sandbox", "--transport", "http", "--port", str(port),
         "--http-token-file", str(token_file)],
        env=_env(), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        _wait_for(proc, "MCP endpoint")
        url = f"http://127.0.0.1:{port}/mcp"
        for _ in range(100):  # uvicorn binds just after the endpoint is announced
            try:
                httpx2.get(url, timeout=1)
                break
            except httpx2.TransportError:
                time.sleep(0.05)
        yield url, token
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        assert proc.stderr is not None
        proc.stderr.close()


@pytest.mark.anyio
async def test_http_needs_the_bearer_token_and_checks_host(http_server: tuple[str, str]) -> None:
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    url, token = http_server
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25",
            "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}  # fmt: skip
    headers = {"Accept": "application/json, text/event-stream"}
    async with httpx2.AsyncClient() as raw:
        assert (await raw.post(url, json=init, headers=headers)).status_code == 401
        wrong = await raw.post(url, json=init, headers={**headers, "Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        rebinding = await raw.post(
            url, json=init, headers={**headers, "Authorization": f"Bearer {token}", "Host": "evil.example"}
        )
        assert rebinding.status_code == 421
    progress: list[float] = []

    async def on_progress(p: float, total: float | None, message: str | None) -> None:
        progress.append(p)

    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http,
        Client(streamable_http_client(url, http_client=http)) as mcp,
    ):
        result = await mcp.call_tool("aggregate_records", {"group_by": ["stage"]}, progress_callback=on_progress)
        assert result.is_error is False and result.structured_content is not None
        assert result.structured_content["records_scanned"] == 300
        assert progress, "progress notifications reach an HTTP client"


def test_http_refuses_a_network_address_without_a_token() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "kintone_mcp", "serve", "--sandbox", "--transport", "http", "--host", "0.0.0.0"],
        env=_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "refusing to listen on 0.0.0.0" in proc.stderr and proc.stdout == ""
    assert "sandbox with demo data" not in proc.stderr  # refused before the sandbox started


def test_check_reports_and_sets_the_exit_code(sandbox_url: str) -> None:
    good = _env(KINTONE_BASE_URL=sandbox_url, KINTONE_USERNAME="Administrator", KINTONE_PASSWORD="sandbox")
    ok = subprocess.run(
        [sys.executable, "-m", "kintone_mcp", "check"], env=good, capture_output=True, text=True, timeout=60
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "[ok  ] credentials" in ok.stdout and ok.stdout.rstrip().splitlines()[-1].startswith("OK:")
    bad = {**good, "KINTONE_PASSWORD": "not-the-password"}
    failed = subprocess.run(
        [sys.executable, "-m", "kintone_mcp", "check"], env=bad, capture_output=True, text=True, timeout=60
    )
    assert failed.returncode == 1
    assert "[FAIL] credentials" in failed.stdout and "fix:" in failed.stdout
    assert "not-the-password" not in failed.stdout + failed.stderr
    unconfigured = subprocess.run(
        [sys.executable, "-m", "kintone_mcp", "check"], env=_env(), capture_output=True, text=True, timeout=60
    )
    assert unconfigured.returncode == 1 and "KINTONE_BASE_URL" in unconfigured.stderr


def test_check_exits_3_when_the_credentials_could_not_be_verified(sandbox_url: str) -> None:
    """A bare API token (no app id) cannot list apps, so nothing proves it works: PARTIAL, and not exit 0."""
    from kintone_mcp.sandbox.demo.seed import demo_token

    bare = _env(KINTONE_BASE_URL=sandbox_url, KINTONE_API_TOKEN=demo_token(2, SandboxConfig.seed))
    run = subprocess.run(
        [sys.executable, "-m", "kintone_mcp", "check"], env=bare, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 3, run.stdout + run.stderr
    assert "[skip] credentials" in run.stdout and run.stdout.rstrip().splitlines()[-1].startswith("PARTIAL:")
    assert demo_token(2, SandboxConfig.seed) not in run.stdout + run.stderr
    # With its app id the same token is verified (it reads app 2): exit 0.
    named = {**bare, "KINTONE_API_TOKEN": f"2:{demo_token(2, SandboxConfig.seed)}"}
    verified = subprocess.run(
        [sys.executable, "-m", "kintone_mcp", "check"], env=named, capture_output=True, text=True, timeout=60
    )
    assert verified.returncode == 0, verified.stdout
