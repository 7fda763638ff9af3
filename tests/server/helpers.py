from __future__ import annotations

import json
from typing import Any

from mcp import Client


def text_of(result: Any) -> str:
    return str(result.content[0].text)


async def call_ok(mcp: Client, tool: str, **args: Any) -> dict[str, Any]:
    """Call a tool that must succeed; checks the text block is the same data as structuredContent, compact."""
    result = await mcp.call_tool(tool, args)
    assert result.is_error is False, text_of(result)
    text = text_of(result)
    assert json.loads(text) == result.structured_content
    assert json.dumps(result.structured_content, ensure_ascii=False, separators=(",", ":")) == text
    data: dict[str, Any] = result.structured_content
    return data


async def call_error(mcp: Client, tool: str, **args: Any) -> str:
    result = await mcp.call_tool(tool, args)
    assert result.is_error is True, f"{tool} should have failed: {text_of(result)[:300]}"
    assert "Error executing tool" not in text_of(result)
    return text_of(result)
