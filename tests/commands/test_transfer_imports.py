"""``kintone-mcp export`` and ``import`` never load the MCP SDK: its pydantic models (``mcp.types``) cost more than a
second of CPU at start-up, which a 10,000-row import paid in full while cli-kintone, its peer in
benchmarks/bench_transfer.py, did not. The commands are run for real, in a fresh interpreter against a sandbox,
and that interpreter then reports which ``mcp`` modules it holds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kintone_mcp.sandbox import Sandbox, serve_in_thread
from tests.commands.sandboxes import PASSWORD, canary_sandbox

pytestmark = [pytest.mark.socket]

#: Runs each argument list through the CLI's ``main`` in one interpreter, then prints the exit codes and every
#: loaded module of the ``mcp`` package as the last line of stdout. ``extra`` modules are imported first.
_DRIVER = """
import importlib, json, sys
from kintone_mcp.commands.main import main
runs, extra = json.loads(sys.argv[1])
for name in extra:
    importlib.import_module(name)
codes = [main(args) for args in runs]
loaded = sorted(m for m in sys.modules if m == "mcp" or m.startswith("mcp."))
print(json.dumps({"codes": codes, "mcp": loaded}))
"""


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    sandbox: Sandbox = canary_sandbox()
    with serve_in_thread(sandbox) as base_url:
        base = {k: v for k, v in os.environ.items() if not k.startswith("KINTONE_")}
        yield {**base, "KINTONE_BASE_URL": base_url, "KINTONE_USERNAME": "Administrator",
               "KINTONE_PASSWORD": PASSWORD, "KINTONE_APP_ID": "2"}  # fmt: skip


def _run(env: dict[str, str], runs: list[list[str]], extra: tuple[str, ...] = ()) -> dict[str, list[object]]:
    done = subprocess.run(
        [sys.executable, "-c", _DRIVER, json.dumps([runs, list(extra)])],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report: dict[str, list[object]] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def test_export_and_import_load_no_mcp_module(env: dict[str, str], tmp_path: Path) -> None:
    csv, jsonl = tmp_path / "deals.csv", tmp_path / "deals.jsonl"
    report = _run(
        env,
        [
            ["export", str(csv)],
            ["export", str(jsonl), "--query", "order by $id asc"],
            ["import", str(csv), "--mode", "update", "--dry-run"],
            ["import", str(jsonl), "--mode", "update"],
            ["import", str(csv), "--mode", "add"],
        ],
    )
    assert report["codes"] == [0, 0, 0, 0, 0]  # every step really ran to its end
    assert report["mcp"] == []


def test_the_check_sees_the_sdk_when_the_tools_are_loaded(env: dict[str, str], tmp_path: Path) -> None:
    """The same driver, with the server's registry imported too: the SDK shows, so the check above can fail."""
    report = _run(env, [["export", str(tmp_path / "d.csv")]], ("kintone_mcp.server.tools.registry",))
    assert report["codes"] == [0]
    assert "mcp.types" in report["mcp"]
