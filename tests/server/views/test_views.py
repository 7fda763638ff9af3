"""MCP Apps through mcp.Client: get_records and aggregate_records link their ui:// views, the views are served as the
ext-apps spec requires, and what every client gets from the tools is byte for byte what it was without them."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID

from kintone_mcp.client import KintoneClient
from kintone_mcp.sandbox import Sandbox
from kintone_mcp.server.app import KintoneMCPServer, build_server
from kintone_mcp.server.policy import Policy
from kintone_mcp.server.results import compact_size
from kintone_mcp.server.state import ServerOptions
from kintone_mcp.server.tools.registry import ALL_TOOLS
from kintone_mcp.server.views import CHART_VIEW, RECORDS_VIEW
from tests.server.conftest import BASE_URL, DEALS, ServerFactory, password_credentials
from tests.server.views.apps_host import apps_client

pytestmark = pytest.mark.anyio

#: what the two `_meta` links may add to the default tools/list (the default toolsets' budget is 35,000 B)
META_BUDGET = 400
#: each page, script and style included
PAGE_BUDGET = 12_000


def _without_views(sandbox: Sandbox) -> KintoneMCPServer:
    """The same server with no tool linking a view: how it answered before MCP Apps."""
    creds = password_credentials()

    def client_factory() -> KintoneClient:
        return KintoneClient(BASE_URL, credentials=creds, transport=httpx2.ASGITransport(app=sandbox.asgi_app))

    return build_server(
        policy=Policy.build(default_app=DEALS),
        options=ServerOptions(base_url=BASE_URL, user_api=True),
        client_factory=client_factory,
        specs=[dataclasses.replace(s, ui=None) for s in ALL_TOOLS],
    )


def _dumped(tools: Any) -> list[dict[str, Any]]:
    return [t.model_dump(by_alias=True, exclude_none=True, mode="json") for t in tools]


async def test_the_two_tools_link_their_views_and_nothing_else_changes(
    make_server: ServerFactory, sandbox: Sandbox
) -> None:
    async with Client(make_server()) as mcp:
        ours = _dumped((await mcp.list_tools()).tools)
        capabilities = mcp.server_capabilities
    async with Client(_without_views(sandbox)) as mcp:
        before = _dumped((await mcp.list_tools()).tools)
    linked = {t["name"]: t["_meta"] for t in ours if "_meta" in t}
    assert linked == {
        "get_records": {"ui": {"resourceUri": RECORDS_VIEW}},
        "aggregate_records": {"ui": {"resourceUri": CHART_VIEW}},
    }
    assert [{k: v for k, v in t.items() if k != "_meta"} for t in ours] == before
    added = compact_size({"tools": ours}) - compact_size({"tools": before})
    assert 0 < added <= META_BUDGET, f"the view links add {added} B to tools/list"
    assert capabilities.extensions is not None and EXTENSION_ID in capabilities.extensions


async def test_views_are_served_as_mcp_apps_pages(mcp: Client) -> None:
    listed = {r.uri: r for r in (await mcp.list_resources()).resources}
    for uri in (RECORDS_VIEW, CHART_VIEW):
        assert listed[uri].mime_type == APP_MIME_TYPE
        content = (await mcp.read_resource(uri)).contents[0]
        assert content.mime_type == APP_MIME_TYPE
        # No origin declared: the page lives under the spec's strictest CSP, with no connection anywhere.
        assert content.meta == {"ui": {"csp": {}, "prefersBorder": True}}
        html: str = content.text  # type: ignore[union-attr]
        assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
        assert len(html.encode()) <= PAGE_BUDGET, f"{uri} is {len(html.encode()):,} B"
        # Self-contained: nothing loaded or fetched; the one URL is the SVG namespace, a name rather than a place.
        assert re.findall(r"https?://[^\s\"']+", html) in ([], ["http://www.w3.org/2000/svg"])
        for needle in ("fetch(", "XMLHttpRequest", "WebSocket", "import(", " src=", " href=", "@import", "url("):
            assert needle not in html, f"{uri} has {needle!r}"
        # The shared bridge is inlined, not left as a placeholder.
        assert "/*common" not in html and "ui/initialize" in html and "tools/call" in html


CALLS: list[tuple[str, dict[str, Any]]] = [
    ("get_records", {"app": DEALS, "limit": 3, "fields": ["title", "amount", "owner", "line_items"]}),
    ("get_records", {"app": DEALS, "limit": 2, "order_by": "amount desc"}),
    ("aggregate_records", {"app": DEALS, "group_by": ["stage"], "metrics": ["sum(amount)"]}),
    ("aggregate_records", {"app": DEALS, "group_by": ["close_date:month", "stage"]}),
    ("get_records", {"app": DEALS, "query": 'stage in ("Nope'}),
]


async def _answers(client: Client) -> list[dict[str, Any]]:
    out = []
    async with client as mcp:
        for tool, args in CALLS:
            result = await mcp.call_tool(tool, args)
            out.append(result.model_dump(by_alias=True, mode="json"))
            if tool == "get_records" and result.structured_content and "next" in result.structured_content:
                page = await mcp.call_tool(tool, {"next": result.structured_content["next"]})
                out.append(page.model_dump(by_alias=True, mode="json"))
    return out


async def test_results_are_byte_identical_for_every_client(make_server: ServerFactory, sandbox: Sandbox) -> None:
    before = await _answers(Client(_without_views(sandbox)))
    assert len(before) == len(CALLS) + 2 and before[-1]["isError"] is True
    # A plain client and one that renders MCP Apps get what the server answered before it had views.
    assert await _answers(Client(make_server())) == before
    assert await _answers(apps_client(make_server())) == before


async def test_a_view_is_served_only_with_its_tool(make_server: ServerFactory) -> None:
    async with Client(make_server(Policy.build(default_app=DEALS, disabled_tools=["get_records"]))) as mcp:
        uris = {r.uri for r in (await mcp.list_resources()).resources}
        assert CHART_VIEW in uris and RECORDS_VIEW not in uris
    policy = Policy.build(default_app=DEALS, disabled_tools=["get_records", "aggregate_records"])
    async with Client(make_server(policy)) as mcp:
        assert not {r.uri for r in (await mcp.list_resources()).resources} & {CHART_VIEW, RECORDS_VIEW}
        assert EXTENSION_ID not in (mcp.server_capabilities.extensions or {})
