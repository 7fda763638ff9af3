"""Prompts, completions and icons as a host meets them: `kintone-mcp serve --sandbox` spawned over stdio."""

from __future__ import annotations

import os
import sys

import pytest
from mcp import Client, StdioServerParameters
from mcp.types import PromptReference

from kintone_mcp.server.icons import SERVER_ICONS

pytestmark = [pytest.mark.socket]


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_prompts_and_completions_over_stdio(mode: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINTONE_") and k != "HTTPS_PROXY"}
    params = StdioServerParameters(command=sys.executable, args=["-m", "kintone_mcp", "serve", "--sandbox"], env=env)
    async with Client(params, mode=mode) as mcp:  # type: ignore[arg-type]
        assert mcp.server_info is not None and mcp.server_info.icons == SERVER_ICONS
        assert [p.name for p in (await mcp.list_prompts()).prompts][:3] == ["explore_app", "report", "triage"]
        apps = (await mcp.complete(PromptReference(name="triage"), {"name": "app", "value": "sup"})).completion
        assert apps.values == ["tickets"]  # `serve --sandbox` gives the demo apps aliases
        states = await mcp.complete(PromptReference(name="triage"), {"name": "status", "value": ""}, {"app": "tickets"})
        assert states.completion.values == ["Open", "In progress", "Resolved", "Closed"]
        body = (await mcp.get_prompt("triage", {"app": "tickets"})).messages[0].content
        assert "Assignee in (LOGINUSER())" in body.text  # type: ignore[union-attr]
