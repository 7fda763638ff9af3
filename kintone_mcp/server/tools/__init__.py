"""Every tool, in the order they are listed. Each module keeps its tools' schemas and handlers side by side."""

from __future__ import annotations

from kintone_mcp.server.registry import ToolSpec
from kintone_mcp.server.tools import apps, records_read

ALL_TOOLS: list[ToolSpec] = [
    *apps.TOOLS,
    *records_read.TOOLS,
]
