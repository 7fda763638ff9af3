"""The ``update_record`` tool: one record changed, by id or by a unique key; the subtable rows an update
deletes are reported with their values.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.client.results import UpdateKey
from kintone_mcp.query.ast import Condition, FieldRef, NumberLit, Op, StringLit
from kintone_mcp.query.printer import to_text
from kintone_mcp.server.compact import RecordFormatter
from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.fieldinfo import Properties
from kintone_mcp.server.record_input import ConvertedRecord
from kintone_mcp.server.results import ok
from kintone_mcp.server.state import ServerState, state_of
from kintone_mcp.server.tools.arguments import AppArg, Ctx, InRange, PlainRecord, RevisionArg
from kintone_mcp.server.tools.confirming import app_named, counted, names_shown
from kintone_mcp.server.tools.outputs import RecordWritten
from kintone_mcp.server.tools.records._writing import (
    KeyRef,
    check_key,
    convert_one,
    join_notes,
    lookup_rules,
)
from kintone_mcp.server.tools.spec import Effect, ToolSpec, write


async def update_record(
    ctx: Ctx,
    record: PlainRecord,
    id: Annotated[int | None, Field(ge=1), InRange] = None,
    update_key: KeyRef | None = None,
    revision: RevisionArg = None,
    app: AppArg = None,
) -> Annotated[CallToolResult, RecordWritten]:
    """Change fields of one record, named by `id` or by `update_key` (a unique field and its value).

    Only the fields given change. A subtable given replaces its rows: send every row to keep with its "$id"
    (from get_record); rows without "$id" are added, rows left out are deleted (listed in removed_rows).
    """
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    properties, key, converted, tables = await _prepared(state, app_id, record, id, update_key)
    before: dict[str, list[dict[str, Any]]] = {}
    if tables:
        before = await _rows_before(state, app_id, properties, tables, _which(id, key, properties))
    with lookup_rules(state.policy, properties, [record]):
        written = await state.client.update_record(app_id, converted.record, id=id, update_key=key, revision=revision)
    removed = _removed(before, converted.record)
    return ok(
        RecordWritten(
            id=written.id,
            revision=written.revision,
            ignored_fields=converted.ignored or None,
            removed_rows=removed or None,
            note=join_notes(converted.lookup_note(), _removed_note(removed) if removed else None),
        )
    )


async def _prepared(
    state: ServerState, app_id: int, record: dict[str, Any], id: int | None, update_key: KeyRef | None
) -> tuple[Properties, UpdateKey | None, ConvertedRecord, list[str]]:
    """What the update and its confirmation both start from: the app's fields, the key, the converted record and
    the subtables it gives (whose rows it replaces)."""
    if (id is None) == (update_key is None):
        raise ToolInputError("Give exactly one of `id` and `update_key` to say which record to update.")
    properties = await state.fields(app_id)
    key = None
    if update_key is not None:
        check_key(update_key.field, properties)
        key = UpdateKey(update_key.field, update_key.value)
    converted = convert_one(record, properties, "update")
    tables = [c for c in converted.record if (properties.get(c) or {}).get("type") == "SUBTABLE"]
    return properties, key, converted, tables


async def _rows_before(
    state: ServerState, app_id: int, properties: Properties, tables: list[str], where: Condition
) -> dict[str, list[dict[str, Any]]]:
    """The current rows of the given tables, in plain form, to tell which rows an update is about to delete."""
    page = await state.client.get_records(app_id, query=to_text(where) + " limit 1", fields=tables)
    if not page.records:
        return {}  # the update itself will say that the record does not exist
    plain = RecordFormatter(properties).record({t: page.records[0].raw[t] for t in tables if t in page.records[0].raw})
    return {t: rows for t, rows in plain.items() if isinstance(rows, list)}


def _which(record_id: int | None, key: UpdateKey | None, properties: Properties) -> Condition:
    if key is None:
        return Condition(FieldRef("$id"), Op.EQ, (NumberLit(str(record_id)),))
    numeric = (properties.get(key.field) or {}).get("type") == "NUMBER"
    value = NumberLit(str(key.value)) if numeric else StringLit(str(key.value))
    return Condition(FieldRef(key.field), Op.EQ, (value,))


def _removed(before: dict[str, list[dict[str, Any]]], sent: dict[str, dict[str, Any]]) -> dict[str, list[Any]]:
    """Rows that were on the record but are not in the update: Kintone deletes them."""
    removed: dict[str, list[Any]] = {}
    for table, rows in before.items():
        kept = {str(row.get("id")) for row in sent[table]["value"] if row.get("id") is not None}
        gone = [row for row in rows if str(row.get("$id")) not in kept]
        if gone:
            removed[table] = gone
    return removed


def _removed_note(removed: dict[str, list[Any]]) -> str:
    parts = [
        f"{t}: {len(rows)} row(s) ($id {', '.join(str(r.get('$id')) for r in rows)})" for t, rows in removed.items()
    ]
    return (
        f"Rows left out of the update were deleted: {'; '.join(parts)}. If that was not meant, update again "
        "with every row: the rows to keep with their $id, the deleted ones (from removed_rows) without $id."
    )


async def confirm_update_record(
    ctx: Ctx,
    record: dict[str, Any],
    id: int | None = None,
    update_key: KeyRef | None = None,
    revision: int | None = None,
    app: str | int | None = None,
) -> Effect:
    """Destructive when the update deletes subtable rows: "Update record 12 of Deals (app 2), deleting 2 rows of
    the table items ($id 31, 32)?"."""
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    properties, key, converted, tables = await _prepared(state, app_id, record, id, update_key)
    which = f"record {id}" if key is None else f"the record whose {key.field} is {json.dumps(key.value)}"
    removed = {}
    if tables:
        before = await _rows_before(state, app_id, properties, tables, _which(id, key, properties))
        removed = _removed(before, converted.record)
    where = await app_named(state, app_id)
    if not removed:
        return Effect(f"Update {which} of {where}: {names_shown(converted.record)}?", destructive=False)
    parts = [
        f"{counted(len(rows), 'row')} of the table {t} ($id {names_shown(str(r.get('$id')) for r in rows)})"
        for t, rows in removed.items()
    ]
    return Effect(f"Update {which} of {where}, deleting {' and '.join(parts)}? Deleted rows cannot be restored.")


SPEC: ToolSpec = write(
    update_record,
    "Update a record",
    summary=(
        "Change one record by id or unique key, optionally guarded by `revision`. A subtable given replaces "
        "its rows; the rows it deleted are listed in `removed_rows`"
    ),
    idempotent=True,
    destructive=True,
    confirm=confirm_update_record,
)
