"""Argument types shared by the tools, so that the same argument is described the same way everywhere."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from pydantic import Field

from kintone_mcp.server.state import ServerState

Ctx = Context[ServerState, Any]

AppArg = Annotated[int | str | None, Field(description="App id or alias; omit for the default app.")]
RecordIdArg = Annotated[int, Field(ge=1, description="Record id ($id).")]
RevisionArg = Annotated[
    int | None, Field(ge=-1, description="Expected $revision; the write fails if the record changed since.")
]
PlainRecord = Annotated[
    dict[str, Any],
    Field(description='Field code -> plain value, e.g. {"Title": "x", "Amount": 1200, "Owner": ["sato"]}.'),
]
