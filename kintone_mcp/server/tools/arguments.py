"""Argument types shared by the tools, so that the same argument is described the same way everywhere."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from pydantic import AfterValidator, Field

from kintone_mcp.server.state import ServerState

Ctx = Context[ServerState, Any]

#: Kintone keeps ids and revisions as 64-bit integers and offsets as 32-bit ones; a larger number cannot name
#: anything, and Kintone (or the sandbox) would fail on it rather than say so. Checked without a schema `maximum`,
#: which would only lengthen every tool description. (How far a query may skip is Kintone's own, smaller bound:
#: ``kintone_mcp.query.check.MAX_OFFSET``.)
MAX_ID = 2**63 - 1
MAX_INT32 = 2**31 - 1


def _id_in_range(value: int | None) -> int | None:
    if value is not None and value > MAX_ID:
        raise ValueError(f"{value} is larger than any Kintone id or revision can be")
    return value


def _offset_in_range(value: int) -> int:
    if value > MAX_INT32:
        raise ValueError(f"offset {value} is larger than Kintone accepts ({MAX_INT32})")
    return value


InRange = AfterValidator(_id_in_range)
OffsetInRange = AfterValidator(_offset_in_range)

#: What omitting it means (the configured default app) is said once, in the server's instructions.
AppArg = Annotated[int | str | None, Field(description="App id or alias.")]
RecordIdArg = Annotated[int, Field(ge=1), InRange]
RevisionArg = Annotated[
    int | None,
    Field(ge=-1, description="Expected $revision; fails if the record changed."),
    InRange,
]
OffsetArg = Annotated[int, Field(ge=0), OffsetInRange]
PlainRecord = Annotated[
    dict[str, Any],
    Field(description='Field code -> plain value, e.g. {"Title": "x", "Amount": 1200, "Owner": ["sato"]}.'),
]
