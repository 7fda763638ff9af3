"""update_layout through mcp.Client against the sandbox: the simple form becomes Kintone's layout, fields left out are
appended, every mistake is refused with nothing sent; the stored layout follows later field changes and deploys."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
from mcp import Client

from kintone_mcp.sandbox import Sandbox
from kintone_mcp.server.policy import Policy
from tests.server.conftest import ServerFactory
from tests.server.helpers import call_error, call_ok

FIELDS: list[dict[str, Any]] = [
    {"code": "item", "type": "SINGLE_LINE_TEXT"},
    {"code": "qty", "type": "NUMBER"},
    {"code": "notes", "type": "MULTI_LINE_TEXT"},
    {"code": "due", "type": "DATE"},
    {"code": "parts", "type": "SUBTABLE", "fields": [{"code": "part", "type": "SINGLE_LINE_TEXT"},
                                                     {"code": "serial", "type": "NUMBER"}]},
]


@pytest.fixture
async def designer(make_server: ServerFactory) -> AsyncIterator[Client]:
    async with Client(make_server(Policy.build(toolsets=["all"]))) as mcp:
        yield mcp


async def _app(mcp: Client) -> int:
    app = int((await call_ok(mcp, "create_app", name="Layout"))["app"])
    await call_ok(mcp, "add_fields", app=app, fields=FIELDS)
    return app


AUTH = {"X-Cybozu-Authorization": base64.b64encode(b"Administrator:sandbox").decode()}


async def raw(sandbox: Sandbox, method: str, path: str, **kw: Any) -> httpx2.Response:
    """One request straight to the sandbox, not through our client."""
    transport = httpx2.ASGITransport(app=sandbox.asgi_app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://sandbox.test") as http:
        return await http.request(method, f"/k/v1/{path}", headers={**AUTH, **kw.pop("headers", {})}, **kw)


async def _layout(sandbox: Sandbox, app: int, *, preview: bool = True) -> list[dict[str, Any]]:
    prefix = "preview/" if preview else ""
    answer = await raw(sandbox, "GET", f"{prefix}app/form/layout.json", params={"app": app})
    assert answer.status_code == 200, answer.text
    layout: list[dict[str, Any]] = answer.json()["layout"]
    return layout


@pytest.mark.anyio
async def test_rows_tables_and_decorations_become_kintone_layout(designer: Client, sandbox: Sandbox) -> None:
    app = await _app(designer)
    answer = await call_ok(designer, "update_layout", app=app, layout=[
        [{"label": "<b>Loan</b>"}, "item", {"code": "qty", "width": 90}],
        [{"hr": True}],
        {"table": "parts", "columns": ["serial"]},
    ])
    # notes and due were left out: appended, one per row, and said so
    assert answer["appended"] == ["notes", "due"] and "deploy_app" in answer["note"]
    layout = await _layout(sandbox, app)
    assert [e.get("code") or e["type"] for e in layout[0]["fields"]] == ["LABEL", "item", "qty"]
    assert layout[0]["fields"][2]["size"]["width"] == "90"
    assert layout[1]["fields"][0]["type"] == "HR"
    assert layout[2] == {"type": "SUBTABLE", "code": "parts", "fields": [
        {"type": "NUMBER", "code": "serial", "size": {"width": "193"}},
        {"type": "SINGLE_LINE_TEXT", "code": "part", "size": {"width": "193"}},
    ]}
    assert [r["fields"][0]["code"] for r in layout[3:]] == ["notes", "due"]
    # get_app gives the layout back in the same simple form
    preview = await call_ok(designer, "get_app", app=app, preview=True, include=["layout"])
    assert preview["layout"][0] == [{"label": "<b>Loan</b>"}, "item", "qty"]
    assert preview["layout"][2] == {"table": "parts", "columns": ["serial", "part"]}
    # live is untouched until the deploy, which takes the layout along
    assert [r.get("code") for r in await _layout(sandbox, app, preview=False)] == []
    await call_ok(designer, "deploy_app", apps=[app])
    assert await _layout(sandbox, app, preview=False) == layout


@pytest.mark.anyio
async def test_field_changes_keep_the_stored_layout(designer: Client, sandbox: Sandbox) -> None:
    app = await _app(designer)
    await call_ok(designer, "update_layout", app=app, layout=[["due", "item"], ["qty", "notes"]])
    await call_ok(designer, "delete_fields", app=app, codes=["qty"])
    await call_ok(designer, "update_fields", app=app, fields=[{"code": "item", "new_code": "thing"}])
    await call_ok(designer, "add_fields", app=app, fields=[{"code": "extra", "type": "LINK"}])
    rows = [[e["code"] for e in r.get("fields", [])] or [r["code"]] for r in await _layout(sandbox, app)]
    # the renamed field keeps its place, the deleted one leaves its row, the new one comes last
    assert rows == [["due", "thing"], ["notes"], ["part", "serial"], ["extra"]]


@pytest.mark.anyio
async def test_mistakes_are_refused_with_nothing_sent(designer: Client, sandbox: Sandbox) -> None:
    app = await _app(designer)
    before = await _layout(sandbox, app)
    text = await call_error(designer, "update_layout", app=app, layout=[
        ["item", "item"], ["nope"], ["part"], ["parts"], [{"code": "qty", "colour": "red"}], {"group": "qty"},
    ])
    assert text.startswith("Nothing was sent")
    assert "'item' is placed twice" in text
    assert "no field 'nope'" in text and "item" in text
    assert "'part' is a column of the table 'parts'" in text
    assert '{"table": "parts"}' in text
    assert "unknown key(s) ['colour']" in text
    assert "no GROUP field 'qty'" in text
    assert await _layout(sandbox, app) == before


@pytest.mark.anyio
async def test_a_stale_revision_tells_the_model_to_read_again(sandbox: Sandbox, designer: Client) -> None:
    app = await _app(designer)
    answer = await raw(sandbox, "PUT", "preview/app/form/layout.json", json={"app": app, "layout": [], "revision": 1})
    assert answer.status_code == 409 and answer.json()["code"] == "GAIA_CO02"
