"""The MCP Apps views in a real browser: headless Chromium (Debian's package; .ci/run installs it) loads each view
through the test host page with real answers of the server on the sandbox, and tests/js/mcp_apps.mjs checks the
table's rows, sorting, paging and record, and the chart's bars. It takes a screenshot of each into a temporary
folder; with KINTONE_MCP_SCREENSHOTS=docs it writes docs/mcp-apps-table.png and docs/mcp-apps-chart.png instead (how
those were made), so that a test run never changes the checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tests.server.conftest import DEALS, ServerFactory
from tests.server.helpers import call_ok
from tests.server.views.apps_host import serve_host

ROOT = Path(__file__).parents[3]
JS_DIR = ROOT / "tests" / "js"
CHROMIUM = os.environ.get("KINTONE_MCP_CHROMIUM", "/usr/bin/chromium")

pytestmark = [pytest.mark.anyio, pytest.mark.socket, pytest.mark.slow]

TABLE_ARGS = {
    "app": DEALS,
    "limit": 8,
    "fields": ["title", "stage", "owner", "amount", "close_date", "line_items"],
}
#: a title a view must show as text: as markup it would load an image and post a message
HOSTILE = "<img src=x onerror=\"parent.postMessage('injected','*')\"> Deal"
CHART_ONE = {"app": DEALS, "group_by": ["stage"], "metrics": ["sum(amount)"]}
CHART_TWO = {"app": DEALS, "group_by": ["close_date:month", "stage"]}


def _ids(page: dict[str, Any]) -> list[int]:
    return [r["$id"] for r in page["records"]]


async def _expected(mcp: Client) -> dict[str, Any]:
    """What the same calls answer through mcp.Client: the browser must show exactly this."""
    hostile = {"title": HOSTILE, "stage": "Lead", "amount": 10, "close_date": "2026-04-01"}
    await call_ok(mcp, "add_record", app=DEALS, record=hostile)
    first = await call_ok(mcp, "get_records", **TABLE_ARGS)
    asc = await call_ok(mcp, "get_records", **TABLE_ARGS, order_by="amount asc")
    desc = await call_ok(mcp, "get_records", **TABLE_ARGS, order_by="amount desc")
    more = await call_ok(mcp, "get_records", next=desc["next"])
    opened = (await call_ok(mcp, "get_record", app=DEALS, id=desc["records"][0]["$id"]))["record"]
    one = await call_ok(mcp, "aggregate_records", **CHART_ONE)
    two = await call_ok(mcp, "aggregate_records", **CHART_TWO)
    owner = first["records"][0]["owner"]
    return {
        "table": {
            "args": TABLE_ARGS,
            "total": first["total_count"],
            "hostile": HOSTILE,
            "columns": [k for k in first["records"][0] if k != "$revision"],
            "first_ids": _ids(first),
            "first_owner": ", ".join(first.get("names", {}).get(c, c) for c in owner),
            "asc_ids": _ids(asc),
            "desc_ids": _ids(desc),
            "desc_next_ids": _ids(more),
            "desc_has_more": "next" in more,
            "opened_title": opened["title"],
            "opened_rows": len(opened["line_items"]),
        },
        "chart_one": {
            "args": CHART_ONE,
            "metric": "sum(amount)",
            "groups": [[g["key"]["stage"], g["values"]["sum(amount)"]] for g in one["groups"]],
            "counts": [g["count"] for g in one["groups"]],
        },
        "chart_two": {
            "args": CHART_TWO,
            "groups": len(two["groups"]),
            "months": list(dict.fromkeys(g["key"]["close_date:month"] for g in two["groups"])),
            "series": list(dict.fromkeys(g["key"]["stage"] for g in two["groups"])),
        },
    }


def _node() -> str:
    """Node, with playwright-core, and the browser; skips (or fails, for a missing `npm ci`) saying what is missing."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: .ci/run installs Debian's chromium package where apt can")
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    if not (JS_DIR / "node_modules" / "playwright-core").is_dir():
        pytest.fail("tests/js/node_modules is missing: run `npm ci --prefix tests/js` (README's test command does)")
    return node


async def test_views_render_in_chromium(make_server: ServerFactory, tmp_path: Path) -> None:
    node = _node()
    async with Client(make_server()) as mcp:
        expected = await _expected(mcp)
    assert expected["table"]["first_ids"][0] == max(expected["table"]["first_ids"])  # the hostile record is first
    assert expected["chart_two"]["groups"] > len(expected["chart_two"]["months"]) > 1  # something is stacked
    with serve_host(make_server()) as host:
        shots = ROOT / "docs" if os.environ.get("KINTONE_MCP_SCREENSHOTS") == "docs" else tmp_path
        env = {**os.environ, "HOST_URL": host, "EXPECT": json.dumps(expected), "SHOTS": str(shots)}
        env["CHROMIUM"] = CHROMIUM
        proc = await _run([node, "mcp_apps.mjs"], env)
    assert proc.returncode == 0, f"mcp_apps.mjs failed:\n{proc.stderr[-6000:]}"
    for name in ("mcp-apps-table.png", "mcp-apps-chart.png"):
        assert (shots / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


async def _run(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # In a worker thread: the host serves from its own thread, and the test's event loop stays free meanwhile.
    import anyio.to_thread

    return await anyio.to_thread.run_sync(
        lambda: subprocess.run(cmd, cwd=JS_DIR, env=env, capture_output=True, text=True, timeout=120, check=False)
    )
