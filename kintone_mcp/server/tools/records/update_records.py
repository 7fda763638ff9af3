"""The ``update_records`` tool: up to 2,000 records changed in one transaction."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.types import CallToolResult
from pydantic import BaseModel, Field

from kintone_mcp.client.results import RecordUpdate, UpdateKey
from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.record_input import ConvertedRecord
from kintone_mcp.server.results import ok
from kintone_mcp.server.state import ServerState, state_of
from kintone_mcp.server.tools.arguments import AppArg, Ctx, InRange
from kintone_mcp.server.tools.confirming import app_named, bulk, counted, ids_shown
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
from kintone_mcp.server.tools.spec import Effect, ToolSpec, write


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


async def confirm_update_records(ctx: Ctx, records: list[RecordChange], app: str | int | None = None) -> Effect:
    """Destructive above KINTONE_CONFIRM_BULK records, or when subtable rows would be deleted: "Update 150 records
    of Deals (app 2; ids 1-150), deleting 3 rows of the table items in 2 of them?"."""
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    properties = await state.fields(app_id)
    converted = convert_many([c.record for c in records], properties, "update")
    given = {c for conv in converted for c in conv.record}
    tables = sorted(c for c in given if (properties.get(c) or {}).get("type") == "SUBTABLE")
    rows, hit, by_key = 0, 0, 0
    if tables:
        rows, hit, by_key = await _rows_deleted(state, app_id, tables, records, converted)
    ids = [c.id for c in records if c.id is not None]
    named = ids_shown(ids) if ids else ""
    if len(ids) < len(records):
        named += f"{' and ' if named else ''}{counted(len(records) - len(ids), 'named by key', 'named by key')}"
    what = f"Update {counted(len(records), 'record')} of {await app_named(state, app_id, named)}"
    if rows:
        what += f", deleting {counted(rows, 'subtable row')} in {counted(hit, 'record')}"
    if by_key:
        what += f"; in the {counted(by_key, 'record')} named by key, table rows left out are deleted"
    destructive = bulk(state, len(records)) or rows > 0 or by_key > 0
    return Effect(what + ("? Deleted rows cannot be restored." if rows or by_key else "?"), destructive=destructive)


async def _rows_deleted(
    state: ServerState, app_id: int, tables: list[str], changes: list[RecordChange], converted: list[ConvertedRecord]
) -> tuple[int, int, int]:
    """(rows the update deletes, records they are in, records named by key that give a table): Kintone deletes the
    rows a table given leaves out. Rows of records named by key are not looked up: those are counted apart."""
    sent: dict[int, dict[str, set[str]]] = {}
    by_key = 0
    for change, conv in zip(changes, converted, strict=True):
        given = {t: {str(r["id"]) for r in conv.record[t]["value"] if r.get("id")} for t in tables if t in conv.record}
        if not given:
            continue
        if change.id is None:
            by_key += 1
        else:
            sent[change.id] = given
    rows = hit = 0
    ids = list(sent)
    for start in range(0, len(ids), 100):
        chunk = ids[start : start + 100]
        page = await state.client.get_records(
            app_id, query=f"$id in ({', '.join(map(str, chunk))}) limit 100", fields=["$id", *tables]
        )
        for record in page.records:
            gone = sum(
                1
                for t, kept in sent.get(int(record.raw["$id"]["value"]), {}).items()
                for row in (record.raw.get(t) or {}).get("value") or []
                if str(row.get("id")) not in kept
            )
            rows, hit = rows + gone, hit + (gone > 0)
    return rows, hit, by_key


SPEC: ToolSpec = write(
    update_records,
    "Update records",
    summary=(
        "Change up to 2,000 records by id or unique key in one transaction, each optionally guarded by "
        "`revision`; a subtable given replaces its rows"
    ),
    idempotent=True,
    destructive=True,
    confirm=confirm_update_records,
)
