"""The ``update_records`` tool: up to 2,000 records changed in one transaction."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.types import CallToolResult
from pydantic import BaseModel, Field

from kintone_mcp.client.results import RecordUpdate, UpdateKey
from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.results import ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import AppArg, Ctx, InRange
from kintone_mcp.server.tools.outputs import BulkWriteResult
from kintone_mcp.server.tools.records._writing import (
    MAX_ATOMIC,
    KeyRef,
    all_or_nothing,
    bulk_result,
    check_key,
    convert_many,
    lookup_rules,
)
from kintone_mcp.server.tools.spec import ToolSpec, write


# One record to update: by `id` or by `update_key`, with the fields to change. (A comment: a docstring would be
# advertised in the schema, and the tool's description says it.)
class RecordChange(BaseModel):
    id: Annotated[int | None, Field(ge=1), InRange] = None
    update_key: KeyRef | None = None
    revision: Annotated[int | None, Field(ge=-1), InRange] = None
    record: dict[str, Any]


async def update_records(
    ctx: Ctx,
    records: Annotated[list[RecordChange], Field(min_length=1, max_length=MAX_ATOMIC)],
    app: AppArg = None,
) -> Annotated[CallToolResult, BulkWriteResult]:
    """Update up to 2,000 records in one transaction: all or none.

    Each item: `id` or `update_key`, optional `revision`, and the `record` fields to change, as in update_record
    (a table given replaces its rows; rows left out are deleted).
    """
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    properties = await state.fields(app_id)
    for i, change in enumerate(records):
        if (change.id is None) == (change.update_key is None):
            raise ToolInputError(f"records[{i}]: give exactly one of `id` and `update_key`.")
        if change.update_key is not None:
            check_key(change.update_key.field, properties)
    converted = convert_many([c.record for c in records], properties, "update")
    updates = [
        RecordUpdate(
            record=conv.record,
            id=change.id,
            update_key=UpdateKey(change.update_key.field, change.update_key.value) if change.update_key else None,
            revision=change.revision,
        )
        for change, conv in zip(records, converted, strict=True)
    ]
    with lookup_rules(state.policy, properties, [c.record for c in records]):
        result = await state.client.update_records(app_id, updates, all_or_nothing=all_or_nothing(state))
    return ok(bulk_result(result, converted))


SPEC: ToolSpec = write(
    update_records,
    "Update records",
    summary=(
        "Change up to 2,000 records by id or unique key in one transaction, each optionally guarded by "
        "`revision`; a subtable given replaces its rows"
    ),
    idempotent=True,
    destructive=True,
)
