"""The ``add_records`` tool: up to 2,000 records added in one transaction."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.server.results import ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import AppArg, Ctx
from kintone_mcp.server.tools.outputs import BulkWriteResult
from kintone_mcp.server.tools.records._writing import (
    MAX_ATOMIC,
    all_or_nothing,
    bulk_result,
    convert_many,
    lookup_rules,
)
from kintone_mcp.server.tools.spec import ToolSpec, write


async def add_records(
    ctx: Ctx,
    records: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=MAX_ATOMIC)],
    app: AppArg = None,
) -> Annotated[CallToolResult, BulkWriteResult]:
    """Add up to 2,000 records in one transaction, all or none, each as in add_record."""
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    properties = await state.fields(app_id)
    converted = convert_many(records, properties, "add")
    with lookup_rules(state.policy, properties, records):
        result = await state.client.add_records(
            app_id, [c.record for c in converted], all_or_nothing=all_or_nothing(state)
        )
    return ok(bulk_result(result, converted))


SPEC: ToolSpec = write(
    add_records,
    "Add records",
    summary="Add up to 2,000 records in one transaction",
    idempotent=False,
)
