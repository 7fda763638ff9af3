"""The ``add_record`` tool: one record added, checked against the app's schema first."""

from __future__ import annotations

from typing import Annotated

from mcp.types import CallToolResult

from kintone_mcp.server.results import ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import AppArg, Ctx, PlainRecord
from kintone_mcp.server.tools.outputs import RecordAdded
from kintone_mcp.server.tools.records._writing import convert_one, lookup_rules
from kintone_mcp.server.tools.spec import ToolSpec, write


async def add_record(ctx: Ctx, record: PlainRecord, app: AppArg = None) -> Annotated[CallToolResult, RecordAdded]:
    """Add one record: plain values by field code (see get_app); fields left out get their defaults."""
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    properties = await state.fields(app_id)
    converted = convert_one(record, properties, "add")
    with lookup_rules(state.policy, properties, [record]):
        written = await state.client.add_record(app_id, converted.record)
    return ok(
        RecordAdded(
            id=written.id,
            revision=written.revision,
            ignored_fields=converted.ignored or None,
            note=converted.lookup_note(),
        )
    )


SPEC: ToolSpec = write(
    add_record,
    "Add a record",
    summary="Add one record; fields left out get their defaults",
    idempotent=False,
)
