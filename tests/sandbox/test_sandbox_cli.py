"""``kintone-mcp sandbox``: argument parsing, persistence of a --db file across restarts, and a real start."""

from __future__ import annotations

import base64
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx2
import pytest

from kintone_mcp.commands.main import build_parser
from kintone_mcp.commands.sandbox import build_config
from kintone_mcp.sandbox import Sandbox, SandboxConfig
from kintone_mcp.sandbox.demo.seed import recent_start


def _config(*argv: str) -> SandboxConfig:
    return build_config(build_parser().parse_args(["sandbox", *argv]))


def test_defaults() -> None:
    args = build_parser().parse_args(["sandbox"])
    assert (args.host, args.port, args.db, args.demo, args.demo_records) == ("127.0.0.1", 8787, None, True, 300)
    config = build_config(args)
    assert config.users == [] and config.api_tokens == [] and config.basic_auth is None
    assert config.operations.concurrency_limit == 100 and config.operations.faults == []
    assert config.operations.max_url_length == 8192
    # Demo data over the past year, so "this month" questions have answers; --demo-start pins it.
    assert config.demo_start == recent_start(date.today())
    assert _config("--demo-start", "2025-01-06").demo_start == date(2025, 1, 6)


def test_all_options() -> None:
    config = _config(
        "--empty",
        "--db",
        "x.db",
        "--demo-records",
        "5",
        "--user",
        "alice:pw:with:colons",
        "--user",
        "bob:pw2",
        "--api-token",
        "3:tok:view,add",
        "--api-token",
        "1:all",
        "--basic-auth",
        "gate:secret",
        "--fault",
        "error:rate=1,status=503",
        "--fault",
        "latency:rate=1,ms=5",
        "--concurrency-limit",
        "7",
        "--max-url-length",
        "0",
    )
    assert config.demo is False and config.db_path == "x.db" and config.demo_records == 5
    assert [(u.login, u.password) for u in config.users] == [("alice", "pw:with:colons"), ("bob", "pw2")]
    assert [(t.app, t.token, sorted(t.permissions)) for t in config.api_tokens] == [
        (3, "tok", ["add", "view"]),
        (1, "all", ["add", "delete", "edit", "manage", "view"]),
    ]
    assert config.basic_auth == ("gate", "secret")
    assert [f.kind for f in config.operations.faults] == ["error", "latency"]
    assert config.operations.concurrency_limit == 7
    assert config.operations.max_url_length is None  # 0 lifts the limit
    assert _config("--max-url-length", "4096").operations.max_url_length == 4096


@pytest.mark.parametrize(
    "argv",
    [
        ["--user", "nopassword"],
        ["--api-token", "app:tok"],
        ["--api-token", "1:tok:view,fly"],
        ["--basic-auth", "onlyuser"],
        ["--fault", "explode:rate=1"],
        ["--concurrency-limit", "0"],
        ["--max-url-length", "-1"],
        ["--port", "70000"],
        ["--demo", "--empty"],
    ],
)
def test_bad_options_exit_with_usage_and_no_secret(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["sandbox", *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "usage:" in err


def test_db_file_survives_a_restart_without_reseeding(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    first = Sandbox(SandboxConfig(db_path=db, demo=True))
    assert first.fresh
    tokens = first.demo_tokens
    with first.store.transaction() as conn:
        conn.execute("UPDATE records SET data = json_set(data, '$.notes', 'persisted') WHERE app = 2 AND id = 1")
    first.close()
    second = Sandbox(SandboxConfig(db_path=db, demo=True, demo_records=50))
    assert not second.fresh
    assert second.demo_tokens == tokens
    with second.store.reading() as conn:
        assert conn.execute("SELECT COUNT(*) FROM records WHERE app = 2").fetchone()[0] == 300
        note = conn.execute("SELECT json_extract(data, '$.notes') FROM records WHERE app = 2 AND id = 1").fetchone()
        assert note[0] == "persisted"
    second.close()


def _start(argv: list[str]) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kintone_mcp", "sandbox", "--port", "0", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("Try:") or (lines and "existing database" in line):
            break
    return proc, lines


def _wait_ready(base_url: str, headers: dict[str, str]) -> httpx2.Response:
    deadline = time.monotonic() + 10
    while True:
        try:
            return httpx2.get(f"{base_url}/k/v1/apps.json", headers=headers, timeout=2)
        except httpx2.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.mark.socket
def test_cli_serves_prints_credentials_and_keeps_a_db(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    headers = {"X-Cybozu-Authorization": base64.b64encode(b"carol:pw").decode()}
    proc, lines = _start(["--empty", "--db", db, "--user", "carol:pw", "--api-token", "1:tok1:view"])
    try:
        assert lines and lines[0].startswith("Kintone sandbox listening on http://127.0.0.1:"), lines
        base_url = lines[0].rsplit(" ", 1)[1]
        assert "  carol:pw" in lines and "  Administrator:sandbox" in lines
        assert any("tok1" in line and "(view)" in line for line in lines)
        assert _wait_ready(base_url, headers).json() == {"apps": []}
        created = httpx2.post(f"{base_url}/k/v1/preview/app.json", json={"name": "Kept"}, headers=headers)
        assert created.json()["app"] == "1"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    proc, lines = _start(["--empty", "--db", db])
    try:
        base_url = lines[0].rsplit(" ", 1)[1]
        assert any("existing database" in line for line in lines), lines
        apps = _wait_ready(base_url, headers).json()["apps"]
        assert [a["name"] for a in apps] == ["Kept"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
