"""How a tool answers: structured content dumped through its output model (a subclass of ``Out``), and the same data
as compact JSON text.

MCP asks a tool that returns structured content to also return it serialised in a text block, for clients that do
not read ``structuredContent``. The SDK's default text is indented JSON; ours is compact, which matters for record
lists. Dumping through the model (never handing the SDK a hand-built dict) guarantees that what is sent matches the
advertised outputSchema exactly: the SDK validates leniently but sends the original dict.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from mcp.types import CallToolResult


class Out(BaseModel):
    """Base of every output model: each becomes its tool's outputSchema, and every result is dumped through one.

    Fields a model rarely needs are optional and left out when empty (``dump`` drops ``None``), so a typical answer
    carries only what happened.
    """


def dump(model: Out) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return data


def compact_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def compact_size(data: Any) -> int:
    """Bytes of ``data`` as compact UTF-8 JSON: how it travels on the wire."""
    return len(compact_json(data).encode())


# ok() and failure() import the SDK's types when called: the export / import commands use Out and dump through the
# transfer engine, and loading mcp.types (its pydantic models) would cost them more than a second of start-up.
def ok(model: Out) -> CallToolResult:
    from mcp.types import CallToolResult, TextContent

    data = dump(model)
    return CallToolResult(content=[TextContent(type="text", text=compact_json(data))], structured_content=data)


def failure(text: str) -> CallToolResult:
    """An ``isError`` result: what went wrong and how to correct the next call, in words for the model."""
    from mcp.types import CallToolResult, TextContent

    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)
