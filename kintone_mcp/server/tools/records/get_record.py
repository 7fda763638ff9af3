"""The ``get_record`` tool: one record with every field, in full."""

from __future__ import annotations

from typing import Annotated

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.server.compact import RecordFormatter
from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import AppArg, Ctx, RecordIdArg
from kintone_mcp.server.tools.outputs import CompactRecord
from kintone_mcp.server.tools.spec import ToolSpec, read

#: Long text shown for one record in full, and the most get_records may be asked for.
RECORD_TEXT_CHARS = 20_000
#: Subtable rows shown for one record in full.
RECORD_ROWS = 1000


class RecordOut(Out):
    record: CompactRecord
    names: dict[str, str] | None = None
    cut: str | None = None


async def get_record(
    ctx: Ctx,
    id: RecordIdArg,
    app: AppArg = None,
    max_text_chars: Annotated[int, Field(ge=50, le=100_000)] = RECORD_TEXT_CHARS,
) -> Annotated[CallToolResult, RecordOut]:
    """One record with every field, including subtable rows (each with its row "$id") and file keys."""
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    properties = await state.fields(app_id)
    record = await state.client.get_record(app_id, id)
    fmt = RecordFormatter(properties, max_text_chars=max_text_chars, max_rows=RECORD_ROWS)
    plain = fmt.record(record.raw)
    notes = [f"{c.field} shortened ({c.full_length:,} chars)" for c in fmt.cuts]
    notes += [f"{c.field} shows {RECORD_ROWS:,} of {c.rows:,} rows" for c in fmt.row_cuts]
    cut = "; ".join(notes) + "." if notes else None
    return ok(RecordOut(record=plain, names=fmt.names or None, cut=cut))


SPEC: ToolSpec = read(
    get_record,
    "Read one record",
    summary="One record in full, subtable rows with their row `$id`, file keys",
)
