"""What the spaces toolset advertises: its eight tools with honest annotations, within its tools/list budget."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client

from tests.server.tools.spaces.test_credentials import SPACE_TOOLS

pytestmark = pytest.mark.anyio
#: the lead's budget for the toolset is 8,000 B with icons; another change adds ~170 B of icon per tool
BUDGET_WITHOUT_ICONS = 6_600


def _size(tools: list[Any]) -> int:
    # without icons (issue 16: ~170 B a tool, budgeted with the toolset in tests/server/test_surface.py)
    wire = [t.model_dump(by_alias=True, exclude_none=True, exclude={"icons"}, mode="json") for t in tools]
    return len(json.dumps({"tools": wire}, separators=(",", ":"), ensure_ascii=False).encode())


async def test_annotations(spaces_mcp: Client) -> None:
    tools = {t.name: t for t in (await spaces_mcp.list_tools()).tools if t.name in SPACE_TOOLS}
    assert set(tools) == SPACE_TOOLS
    for name, tool in tools.items():
        a = tool.annotations
        assert a is not None and tool.title and tool.description
        # readOnlyHint is said only where it differs from MCP's default (false)
        assert a.read_only_hint is (True if name == "get_space" else None), name
        # MCP's hints as the spec defines them: destructiveHint is said for every write tool, and is meaningless
        # (left out) for a read-only one.
        assert a.destructive_hint is (None if name == "get_space" else name == "delete_space"), name


async def test_the_toolset_stays_within_its_budget(spaces_mcp: Client, mcp: Client) -> None:
    added = _size((await spaces_mcp.list_tools()).tools) - _size((await mcp.list_tools()).tools)
    assert 0 < added <= BUDGET_WITHOUT_ICONS, added
