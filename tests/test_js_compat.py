"""The official JavaScript client (@kintone/rest-api-client, pinned in tests/js/package.json) drives the sandbox
over a real socket, unchanged. This is the check that the sandbox behaves like Kintone to a client we did not write."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kintone_mcp.sandbox import Sandbox, SandboxConfig, serve_in_thread

JS_DIR = Path(__file__).parent / "js"

pytestmark = pytest.mark.socket


def _run_script(script: str) -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    if not (JS_DIR / "node_modules" / "@kintone" / "rest-api-client").is_dir():
        pytest.fail("tests/js/node_modules is missing: run `npm ci --prefix tests/js` (README's test command does)")
    sandbox = Sandbox(SandboxConfig(demo=True))
    with serve_in_thread(sandbox) as base_url:
        env = {
            **os.environ,
            # The JS client insists on https except for the host name "localhost".
            "SANDBOX_URL": base_url.replace("127.0.0.1", "localhost"),
            "SANDBOX_USER": "Administrator",
            "SANDBOX_PASSWORD": "sandbox",
            "SANDBOX_TOKEN_APP1": sandbox.demo_tokens[1],
        }
        proc = subprocess.run(
            [node, script], cwd=JS_DIR, env=env, capture_output=True, text=True, timeout=120, check=False
        )
    assert proc.returncode == 0, f"{script} failed:\n{proc.stderr[-4000:]}"
    return proc.stderr


def test_official_js_client_core() -> None:
    log = _run_script("core.mjs")
    assert "ok create and deploy an app" in log
    assert "ok an API token cannot list apps (403 GAIA_NO01)" in log
    assert "ok upsert by record id: updates an existing record, adds a missing one with a new id" in log
    assert 'ok boolean field attributes take "true"/"false" and read back as booleans' in log


def test_official_js_client_cursor_bulk_files_comments_status() -> None:
    log = _run_script("breadth.mjs")
    assert "ok addAllRecords: 2,500 records through bulkRequest" in log
    assert "ok process management: assignees, actions, revision +2, wrong action refused" in log


def test_official_js_client_spaces_threads_guests_search() -> None:
    log = _run_script("spaces.mjs")
    assert "ok a space from a template, read back" in log
    assert "ok search finds the comment, and pages" in log
    assert "ok guests of the guest space" in log
    assert "ok deleted, then not found" in log
