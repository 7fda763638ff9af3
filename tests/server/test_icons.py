"""Icons: the server's and one per toolset on every tool, each a well-formed SVG data URI of our own, and each tool's
costing at most MAX_TOOL_ICON_BYTES of tools/list."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from urllib.parse import unquote

import pytest
from mcp import Client

from kintone_mcp.server.icons import MAX_TOOL_ICON_BYTES, SERVER_ICONS, TOOLSET_ICONS
from kintone_mcp.server.policy import Policy
from kintone_mcp.server.tools.registry import ALL_TOOLS
from kintone_mcp.server.toolsets import TOOLSETS
from tests.server.conftest import ServerFactory

_SVG_NS = "{http://www.w3.org/2000/svg}"


def _svg(src: str) -> ET.Element:
    assert src.startswith("data:image/svg+xml,")
    body = src.split(",", 1)[1]
    assert not set(body) & set(' <>"#'), "characters a URI may not hold are percent-encoded"
    root = ET.fromstring(unquote(body))
    assert root.tag == f"{_SVG_NS}svg" and root.get("viewBox")
    assert not any(e.tag.endswith("script") or e.tag.endswith("image") for e in root.iter())
    return root


def test_every_toolset_has_its_own_small_icon() -> None:
    assert set(TOOLSETS) | {"spaces"} <= set(TOOLSET_ICONS)
    assert len({icons[0].src for icons in TOOLSET_ICONS.values()}) == len(TOOLSET_ICONS)
    for name, icons in TOOLSET_ICONS.items():
        _svg(icons[0].src)
        wrapper = json.dumps({"icons": [i.model_dump(by_alias=True, exclude_none=True) for i in icons]},
                             separators=(",", ":"))  # fmt: skip
        # `,"icons":[…]` inside a tool object: the braces of the wrapper dict give way to the comma before it
        assert len(wrapper.encode()) - 1 <= MAX_TOOL_ICON_BYTES, name
    _svg(SERVER_ICONS[0].src)


@pytest.mark.anyio
async def test_the_server_and_every_tool_carry_icons(make_server: ServerFactory) -> None:
    toolset_of = {s.name: s.toolset for s in ALL_TOOLS}
    async with Client(make_server(Policy.build(default_app=2, toolsets=["all"]))) as mcp:
        assert mcp.server_info is not None and mcp.server_info.icons == SERVER_ICONS
        tools = (await mcp.list_tools()).tools
        assert len(tools) == len(ALL_TOOLS)
        for tool in tools:
            assert tool.icons == TOOLSET_ICONS[toolset_of[tool.name]], tool.name
            with_icons = json.dumps(
                tool.model_dump(by_alias=True, exclude_none=True, mode="json"), separators=(",", ":")
            )
            without = json.dumps(tool.model_dump(by_alias=True, exclude_none=True, mode="json", exclude={"icons"}),
                                 separators=(",", ":"))  # fmt: skip
            assert len(with_icons.encode()) - len(without.encode()) <= MAX_TOOL_ICON_BYTES, tool.name
    async with Client(make_server(), mode="legacy") as mcp:
        assert mcp.server_info is not None and mcp.server_info.icons == SERVER_ICONS
