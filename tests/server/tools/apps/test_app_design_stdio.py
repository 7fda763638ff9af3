"""The app-design walk over stdio, in a subprocess, against a sandbox on a real socket: create an app with ten field
types (a table, a lookup to a demo app and a CALC among them), add a view and a two-step process, deploy, write and
read records through the view, change the app, deploy again, revert a pending change; then read the app back over
plain HTTP (not through our client) and compare with what the tools said."""

from __future__ import annotations

import base64
import os
import sys
from collections.abc import Iterator
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
        # change a field's neighbourhood: a new field, deployed; then a pending one, reverted
        await call_ok(mcp, "add_fields", app=app, fields=[{"code": "returned_on", "type": "DATE"}])
        await call_ok(mcp, "deploy_app", apps=[app])
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
