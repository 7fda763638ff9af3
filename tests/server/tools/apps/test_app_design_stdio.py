"""The app-design walk over stdio, in a subprocess, against a sandbox on a real socket: create an app with ten field
types (a table, a lookup to a demo app and a CALC among them), lay it out, add a view and a two-step process, deploy,
write and read records through the view, change a field, deploy again, revert a pending change; then read the app
back over plain HTTP and with Cybozu's @kintone/rest-api-client (tests/js/app_design.mjs), neither of them our
client, and compare with what the tools said."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client, StdioServerParameters

from kintone_mcp.sandbox import Sandbox, SandboxConfig, serve_in_thread
from tests.server.helpers import call_ok
from tests.server.tools.apps.test_app_design import LOAN_FIELDS

pytestmark = [pytest.mark.socket, pytest.mark.slow]


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    with serve_in_thread(Sandbox(SandboxConfig(demo=True))) as url:
        yield url


def _read(url: str, endpoint: str, app: int) -> Any:
    auth = {"X-Cybozu-Authorization": base64.b64encode(b"Administrator:sandbox").decode()}
    answer = httpx2.get(f"{url}/k/v1/{endpoint}.json", params={"app": app}, headers=auth, timeout=30)
    answer.raise_for_status()
    return answer.json()


@pytest.mark.anyio
async def test_build_an_app_over_stdio_and_read_it_back(sandbox_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINTONE_") and k != "HTTPS_PROXY"}
    env.update(KINTONE_BASE_URL=sandbox_url, KINTONE_USERNAME="Administrator", KINTONE_PASSWORD="sandbox",
               KINTONE_TOOLSETS="all")
    params = StdioServerParameters(command=sys.executable, args=["-m", "kintone_mcp"], env=env)
    async with Client(params) as mcp:
        app = (await call_ok(mcp, "create_app", name="Equipment loans"))["app"]
        await call_ok(mcp, "add_fields", app=app, fields=LOAN_FIELDS)
        laid = await call_ok(mcp, "update_layout", app=app, layout=[
            [{"label": "Loan"}, "item", "qty", "price", "total"],
            ["customer", "customer_city"],
            {"table": "parts", "columns": ["serial", "part"]},
        ])
        assert laid["appended"] == ["notes", "due", "state", "kind", "tags", "borrower"]
        await call_ok(mcp, "update_views", app=app, views=[
            {"name": "Out now", "fields": ["item", "qty", "total"], "query": 'state in ("Out")', "order_by": "qty desc"}
        ])
        await call_ok(mcp, "update_process", app=app, enable=True, states=[
            {"name": "Requested", "creator": True}, {"name": "Lent", "users": ["Administrator"]},
        ], actions=[{"name": "Lend", "from": "Requested", "to": "Lent"}])
        assert (await call_ok(mcp, "deploy_app", apps=[app]))["apps"][0]["status"] == "SUCCESS"
        await call_ok(mcp, "add_records", app=app, records=[
            {"item": "Laptop", "qty": 1, "price": 5, "state": "Out"},
            {"item": "Phone", "qty": 3, "price": 2, "state": "Out"},
            {"item": "Cable", "qty": 2, "price": 1, "state": "Back"},
        ])
        page = await call_ok(mcp, "get_records", app=app, view="Out now")
        assert [(r["item"], r["total"]) for r in page["records"]] in (
            [("Phone", "6"), ("Laptop", "5")], [("Phone", 6), ("Laptop", 5)],
        )
        # change a field (and add one), deploy; then a pending change, reverted
        await call_ok(mcp, "update_fields", app=app, fields=[{"code": "notes", "label": "Remarks"}])
        await call_ok(mcp, "add_fields", app=app, fields=[{"code": "returned_on", "type": "DATE"}])
        assert "fields added: returned_on" in (await call_ok(mcp, "get_app", app=app, preview=True))["pending"]
        await call_ok(mcp, "deploy_app", apps=[app])
        told = await call_ok(mcp, "get_app", app=app, include=["layout"])
        await call_ok(mcp, "add_fields", app=app, fields=[{"code": "scratch", "type": "NUMBER"}])
        await call_ok(mcp, "deploy_app", apps=[app], revert=True)

    fields = _read(sandbox_url, "app/form/fields", app)["properties"]
    for spec in LOAN_FIELDS:
        assert fields[spec["code"]]["type"] == spec["type"], spec["code"]
    assert "returned_on" in fields and "scratch" not in fields
    assert set(fields["state"]["options"]) == {"Out", "Back"}
    assert fields["total"]["expression"] == "qty * price"
    assert fields["customer"]["lookup"]["relatedApp"]["app"] == "1"
    assert set(fields["parts"]["fields"]) == {"part", "serial"}
    views = _read(sandbox_url, "app/views", app)["views"]
    assert views["Out now"]["fields"] == ["item", "qty", "total"] and views["Out now"]["sort"] == "qty desc"
    status = _read(sandbox_url, "app/status", app)
    assert status["enable"] is True and set(status["states"]) == {"Requested", "Lent"}
    assert [a["name"] for a in status["actions"]] == ["Lend"]
    assert "scratch" not in _read(sandbox_url, "preview/app/form/fields", app)["properties"]
    assert fields["notes"]["label"] == "Remarks"
    layout = _read(sandbox_url, "app/form/layout", app)["layout"]
    assert [e.get("code") or e["type"] for e in layout[0]["fields"]] == ["LABEL", "item", "qty", "price", "total"]
    assert told["layout"][:3] == [[{"label": "Loan"}, "item", "qty", "price", "total"],
                                  ["customer", "customer_city"], {"table": "parts", "columns": ["serial", "part"]}]
    assert told["layout"][-1] == ["returned_on"]

    seen = _read_with_official_js_client(sandbox_url, app)
    assert {c: seen["fields"][c] for c in fields} == {c: p["type"] for c, p in fields.items()}
    assert seen["expression"] == "qty * price" and seen["lookupApp"] == "1"
    assert seen["rows"][:3] == [["LABEL", "item", "qty", "price", "total"], ["customer", "customer_city"],
                                {"SUBTABLE": "parts", "fields": ["serial", "part"]}]
    assert seen["rows"][-1] == ["returned_on"]
    assert seen["views"]["Out now"] == {"fields": ["item", "qty", "total"], "sort": "qty desc",
                                        "filter": 'state in ("Out")'}
    assert seen["process"] == {"enable": True, "states": ["Requested", "Lent"],
                               "actions": [["Lend", "Requested", "Lent"]]}
    assert seen["acl"] == ["CREATOR", "GROUP"] and seen["customizeScope"] == "ALL"
    assert seen["pendingJs"] == ["https://cdn.example.com/a.js"]


def _read_with_official_js_client(url: str, app: int) -> dict[str, Any]:
    node = shutil.which("node")
    js_dir = Path(__file__).parents[3] / "js"
    if node is None:
        pytest.skip("node is not installed")
    if not (js_dir / "node_modules" / "@kintone" / "rest-api-client").is_dir():
        pytest.fail("tests/js/node_modules is missing: run `npm ci --prefix tests/js` (README's test command does)")
    env = {**os.environ, "SANDBOX_URL": url.replace("127.0.0.1", "localhost"), "SANDBOX_USER": "Administrator",
           "SANDBOX_PASSWORD": "sandbox", "APP_ID": str(app)}
    proc = subprocess.run([node, "app_design.mjs"], cwd=js_dir, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    seen: dict[str, Any] = json.loads(proc.stdout)
    return seen
