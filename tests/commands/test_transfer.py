"""``kintone-mcp export`` and ``kintone-mcp import`` in a subprocess against a sandbox on a real socket: the same
engine as the tools, plain progress lines when stderr is not a terminal, exit codes, and no secret in the output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kintone_mcp.sandbox import Sandbox, serve_in_thread
from tests.commands.sandboxes import PASSWORD, assert_no_canary, canary_sandbox

pytestmark = [pytest.mark.socket, pytest.mark.slow]


@pytest.fixture
def sandbox() -> Sandbox:
    return canary_sandbox()


@pytest.fixture
def env(sandbox: Sandbox) -> Iterator[dict[str, str]]:
    with serve_in_thread(sandbox) as base_url:
        base = {k: v for k, v in os.environ.items() if not k.startswith("KINTONE_")}
        yield {**base, "KINTONE_BASE_URL": base_url, "KINTONE_USERNAME": "Administrator",
               "KINTONE_PASSWORD": PASSWORD, "KINTONE_APP_ID": "2"}  # fmt: skip


def kintone_mcp(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "kintone_mcp", *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert_no_canary(done.stdout, done.stderr)
    return done


def test_export_then_import_into_the_same_app_by_id(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "deals.csv"
    done = kintone_mcp(env, "export", str(out), "--query", "order by $id asc")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Exported 10 records") and str(out) in done.stdout
    assert "exporting records: 10 of 10 records" in done.stderr  # plain lines: stderr is not a terminal
    header = out.read_text(encoding="utf-8").partition("\n")[0]
    assert header.startswith('"*","Record_number","Created_by"')
    assert header.endswith('"line_items","product","quantity","unit_price","subtotal"')
    again = kintone_mcp(env, "export", str(out))
    assert again.returncode == 0 and "deals (1).csv" in again.stdout  # never overwritten

    dry = kintone_mcp(env, "import", str(out), "--mode", "update", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "all 10 rows" in dry.stdout and "nothing was written" in dry.stdout
    real = kintone_mcp(env, "import", str(out), "--mode", "update")
    assert real.returncode == 0, real.stderr
    assert real.stdout.startswith("Imported 10 records")


def test_problems_and_refusals_have_their_exit_codes(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"title": "x", "amount": "many"}) + "\n", encoding="utf-8")
    dry = kintone_mcp(env, "import", str(bad), "--mode", "add", "--dry-run")
    assert dry.returncode == 3 and "row 1 (line 1), amount" in dry.stderr
    real = kintone_mcp(env, "import", str(bad), "--mode", "add")
    assert real.returncode == 1 and "nothing was written" in real.stderr
    read_only = kintone_mcp({**env, "KINTONE_READ_ONLY": "true"}, "import", str(bad), "--mode", "add")
    assert read_only.returncode == 1 and "read-only" in read_only.stderr
    no_format = kintone_mcp(env, "export", str(tmp_path / "deals.txt"))
    assert no_format.returncode == 1 and "--format" in no_format.stderr
    usage = kintone_mcp(env, "import", str(bad))
    assert usage.returncode == 2 and "--mode" in usage.stderr
    wrong = kintone_mcp({**env, "KINTONE_PASSWORD": "pw-CANARY-wrong-0b2c4d6e"}, "export", str(tmp_path / "x.csv"))
    assert wrong.returncode == 1 and "FAILED" in wrong.stderr
    assert not (tmp_path / "x.csv").exists()


def test_a_terminal_gets_a_progress_bar(env: dict[str, str], tmp_path: Path) -> None:
    """stderr on a pseudo-terminal: rich's bar (records done of the total, the rate), not the plain lines."""
    import pty

    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kintone_mcp", "export", str(tmp_path / "d.jsonl")],
            env={**env, "COLUMNS": "120", "TERM": "xterm"}, stdout=subprocess.PIPE, stderr=follower,
        )  # fmt: skip
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed: the process ended
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert proc.wait(timeout=120) == 0
    finally:
        os.close(leader)
    shown = b"".join(chunks).decode(errors="replace")
    assert_no_canary(shown)
    assert "exporting records" in shown and "10/10" in shown and "records/s" in shown
    assert "exporting records: 10 of 10 records" not in shown  # the plain line is for non-terminals


def test_encoding_takes_cli_kintones_spellings(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "sjis.csv"
    done = kintone_mcp(env, "export", str(out), "--fields", "title,amount", "--encoding", "sjis")
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().decode("shift_jis").startswith('"title","amount"\n')
    as_utf8 = kintone_mcp(env, "import", str(out), "--mode", "add", "--dry-run", "--encoding", "utf8")
    if any(b > 0x7F for b in out.read_bytes()):
        assert as_utf8.returncode == 1 and "is not utf-8 at byte" in as_utf8.stderr
    as_sjis = kintone_mcp(env, "import", str(out), "--mode", "add", "--dry-run", "--encoding", "sjis")
    assert as_sjis.returncode == 0 and "all 10 rows" in as_sjis.stdout, as_sjis.stderr
    bad = kintone_mcp(env, "export", str(out), "--encoding", "latin-1")
    assert bad.returncode == 2 and "--encoding" in bad.stderr
