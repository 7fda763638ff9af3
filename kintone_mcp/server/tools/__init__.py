"""Every tool, in the order they are listed. Each module keeps its tools' schemas and handlers side by side."""

from __future__ import annotations

from kintone_mcp.server.registry import ToolSpec
from kintone_mcp.server.tools import aggregate, apps, connection, files, process, records_read, records_write, users

ALL_TOOLS: list[ToolSpec] = [
    *connection.TOOLS,
    *apps.TOOLS,
    *records_read.TOOLS,
    *aggregate.TOOLS,
    *records_write.TOOLS,
    *process.TOOLS,
    *files.TOOLS,
    *users.TOOLS,
]
