"""Writing records: every record is checked against the app's schema before anything is sent, and writes of
many records are one transaction (up to 2,000 records through bulkRequest), so a failure never leaves half a
batch behind."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Annotated, Any

from mcp.types import CallToolResult
from pydantic import BaseModel, Field

from kintone_mcp.client.errors import ValidationError
from kintone_mcp.client.results import RecordUpdate, UpdateKey, WriteResult
from kintone_mcp.query.ast import Condition, FieldRef, NumberLit, Op, StringLit
from kintone_mcp.query.printer import to_text
from kintone_mcp.server.compact import RecordFormatter
from kintone_mcp.server.errors import ToolInputError, describe_kintone_error
from kintone_mcp.server.fieldinfo import Properties
from kintone_mcp.server.models import BulkItem, BulkWriteResult, DeleteResult
from kintone_mcp.server.models import WriteResult as WriteOut
from kintone_mcp.server.record_input import ConvertedRecord, FieldProblem, Mode, RecordInputError, to_kintone_record
from kintone_mcp.server.registry import write
from kintone_mcp.server.results import ok
from kintone_mcp.server.state import ServerState, state_of
from kintone_mcp.server.tools.common import AppArg, Ctx, InRange, PlainRecord, RevisionArg

#: One bulkRequest transaction: 20 requests of 100 records.
MAX_ATOMIC = 2000
_KEY_TYPES = frozenset({"SINGLE_LINE_TEXT", "NUMBER"})
#: Kintone's code for a lookup key that matches no record of the source app.
_LOOKUP_NO_MATCH = "GAIA_LO04"


class KeyRef(BaseModel):
    """A record named by a unique field instead of its id."""

    field: Annotated[str, Field(description="Code of a unique SINGLE_LINE_TEXT or NUMBER field.")]
    value: str | int


class RecordChange(BaseModel):
    """One record to update: by `id` or by `update_key`, with the fields to change."""

    id: Annotated[int | None, Field(ge=1), InRange] = None
    update_key: KeyRef | None = None
    revision: Annotated[int | None, Field(ge=-1), InRange] = None
    record: dict[str, Any]


def _convert_many(records: Sequence[dict[str, Any]], properties: Properties, mode: Mode) -> list[ConvertedRecord]:
    out: list[ConvertedRecord] = []
    problems: list[FieldProblem] = []
    for i, plain in enumerate(records):
        try:
            out.append(to_kintone_record(plain, properties, mode=mode))
        except RecordInputError as exc:
            problems += [FieldProblem(f"records[{i}].{p.field}", p.problem, p.accepted) for p in exc.problems]
    if problems:
        raise RecordInputError(problems, many=True)
    return out


def _ignored(converted: Sequence[ConvertedRecord]) -> list[str] | None:
    return sorted({f for c in converted for f in c.ignored}) or None


def _check_key(key_field: str, properties: Properties) -> None:
    prop = properties.get(key_field)
    if prop is None or prop.get("type") not in _KEY_TYPES or not prop.get("unique"):
        usable = [c for c, p in properties.items() if p.get("type") in _KEY_TYPES and p.get("unique")]
        raise ToolInputError(
            f"{key_field!r} cannot identify records: a key must be a SINGLE_LINE_TEXT or NUMBER field with "
            f"'prohibit duplicate values' on. Usable keys in this app: {usable or 'none (use record ids)'}."
        )


def _bulk(result: WriteResult, ignored: list[str] | None) -> BulkWriteResult:
    items = [BulkItem(id=r.id, revision=r.revision, operation=r.operation) for r in result.records]
    return BulkWriteResult(
        count=len(items),
        records=items,
        atomic=result.atomicity_note is None,
        note=result.atomicity_note,
        ignored_fields=ignored,
    )


def _atomic(state: ServerState) -> bool:
    """Ask for one all-or-nothing transaction, except where Kintone cannot give one above 100 records: under
    OAuth it refuses bulkRequest, and the client then writes calls of 100 and the result's `note` says so."""
    return not state.client.refuses_cursor_and_bulk


@contextmanager
def _lookup_hints(properties: Properties, records: Sequence[Mapping[str, Any]]) -> Iterator[None]:
    """A lookup key with no match is refused by Kintone with the key alone; add where the keys are and how to
    find one, from the field's lookup settings."""
    try:
        yield
    except ValidationError as exc:
        given = {code for r in records for code in r}
        hints = []
        for code in sorted(given):
            lookup = (properties.get(code) or {}).get("lookup")
            if exc.code != _LOOKUP_NO_MATCH or not isinstance(lookup, Mapping):
                continue
            source = (lookup.get("relatedApp") or {}).get("app")
            key = lookup.get("relatedKeyField")
            shown = [str(m.get("relatedField")) for m in lookup.get("fieldMappings") or []]
            by = f", e.g. a filter on {shown[0]}" if shown else ""
            hints.append(
                f"{code} takes a {key} of app {source}: find it with get_records app={source}{by}, or leave {code} out."
            )
        if not hints:
            raise
        raise ToolInputError(describe_kintone_error(exc).split("\n")[0] + "\n" + "\n".join(hints)) from exc


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


async def add_record(ctx: Ctx, record: PlainRecord, app: AppArg = None) -> Annotated[CallToolResult, WriteOut]:
    """Add one record. Give plain values by field code (see get_app); fields left out get their defaults.

    Values are checked against the app's schema first; an error lists every wrong field with what it accepts.
    """
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    properties = await state.fields(app_id)
    converted = to_kintone_record(record, properties, mode="add")
    with _lookup_hints(properties, [record]):
        written = await state.client.add_record(app_id, converted.record)
    return ok(WriteOut(id=written.id, revision=written.revision, ignored_fields=converted.ignored or None))


async def add_records(
    ctx: Ctx,
    records: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=MAX_ATOMIC)],
    app: AppArg = None,
) -> Annotated[CallToolResult, BulkWriteResult]:
    """Add up to 2,000 records in one transaction: all are written or none is.

    Each record is like add_record's. Every record is checked first; errors name the record index and field.
    """
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    properties = await state.fields(app_id)
    converted = _convert_many(records, properties, "add")
    with _lookup_hints(properties, records):
        result = await state.client.add_records(app_id, [c.record for c in converted], all_or_nothing=_atomic(state))
    return ok(_bulk(result, _ignored(converted)))


async def update_record(
    ctx: Ctx,
    record: PlainRecord,
    id: Annotated[int | None, Field(ge=1, description="Record id; or give update_key."), InRange] = None,
    update_key: KeyRef | None = None,
    revision: RevisionArg = None,
    app: AppArg = None,
) -> Annotated[CallToolResult, WriteOut]:
    """Change fields of one record, named by `id` or by `update_key` (a unique field and its value).

    Only the fields given change. A subtable given replaces all its rows: send every row to keep, each with its
    "$id" (from get_record), and rows without "$id" are added; rows left out are deleted (the answer lists them
    in removed_rows). Pass `revision` (the record's $revision) to fail if someone changed it since.
    """
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    if (id is None) == (update_key is None):
        raise ToolInputError("Give exactly one of `id` and `update_key` to say which record to update.")
    properties = await state.fields(app_id)
    key = None
    if update_key is not None:
        _check_key(update_key.field, properties)
        key = UpdateKey(update_key.field, update_key.value)
    converted = to_kintone_record(record, properties, mode="update")
    tables = [c for c in converted.record if (properties.get(c) or {}).get("type") == "SUBTABLE"]
    before: dict[str, list[dict[str, Any]]] = {}
    if tables:
        before = await _rows_before(state, app_id, properties, tables, _which(id, key, properties))
    with _lookup_hints(properties, [record]):
        written = await state.client.update_record(app_id, converted.record, id=id, update_key=key, revision=revision)
    removed = _removed(before, converted.record)
    return ok(
        WriteOut(
            id=written.id,
            revision=written.revision,
            ignored_fields=converted.ignored or None,
            removed_rows=removed or None,
            note=_removed_note(removed) if removed else None,
        )
    )


async def update_records(
    ctx: Ctx,
    records: Annotated[list[RecordChange], Field(min_length=1, max_length=MAX_ATOMIC)],
    app: AppArg = None,
) -> Annotated[CallToolResult, BulkWriteResult]:
    """Update up to 2,000 records in one transaction: all changes are written or none is.

    Each item names its record by `id` or `update_key`, optionally with `revision`, and gives the `record` fields
    to change (as in update_record: a table given replaces all its rows, and rows left out are deleted).
    """
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    properties = await state.fields(app_id)
    for i, change in enumerate(records):
        if (change.id is None) == (change.update_key is None):
            raise ToolInputError(f"records[{i}]: give exactly one of `id` and `update_key`.")
        if change.update_key is not None:
            _check_key(change.update_key.field, properties)
    converted = _convert_many([c.record for c in records], properties, "update")
    updates = [
        RecordUpdate(
            record=conv.record,
            id=change.id,
            update_key=UpdateKey(change.update_key.field, change.update_key.value) if change.update_key else None,
            revision=change.revision,
        )
        for change, conv in zip(records, converted, strict=True)
    ]
    with _lookup_hints(properties, [c.record for c in records]):
        result = await state.client.update_records(app_id, updates, all_or_nothing=_atomic(state))
    return ok(_bulk(result, _ignored(converted)))


async def upsert_records(
    ctx: Ctx,
    key_field: Annotated[str, Field(description="Unique field identifying records, e.g. an external id.")],
    records: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=MAX_ATOMIC)],
    app: AppArg = None,
) -> Annotated[CallToolResult, BulkWriteResult]:
    """Insert or update up to 2,000 records by a unique key field, in one transaction.

    Each record must hold `key_field`: the record with that value is updated, or a new one is added. Each result
    says INSERT or UPDATE. Use it to sync data from elsewhere without creating duplicates.
    """
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    properties = await state.fields(app_id)
    _check_key(key_field, properties)
    missing = [i for i, r in enumerate(records) if r.get(key_field) in (None, "")]
    if missing:
        raise ToolInputError(f"records {missing[:20]} have no value for the key field {key_field!r}.")
    converted = _convert_many(records, properties, "update")
    updates = []
    for plain, conv in zip(records, converted, strict=True):
        body = {k: v for k, v in conv.record.items() if k != key_field}
        updates.append(RecordUpdate(record=body, update_key=UpdateKey(key_field, str(plain[key_field]))))
    with _lookup_hints(properties, records):
        result = await state.client.upsert_records(app_id, updates, all_or_nothing=_atomic(state))
    return ok(_bulk(result, _ignored(converted)))


async def delete_records(
    ctx: Ctx,
    ids: Annotated[list[Annotated[int, Field(ge=1), InRange]], Field(min_length=1, max_length=MAX_ATOMIC)],
    revisions: Annotated[
        list[Annotated[int, Field(ge=-1), InRange]] | None,
        Field(description="Expected $revision per id (-1 to skip); refuses changed records."),
    ] = None,
    app: AppArg = None,
) -> Annotated[CallToolResult, DeleteResult]:
    """Permanently delete records by id, all or none (up to 2,000). Deleted records cannot be restored.

    Confirm with the user before deleting, and check the ids first (get_records with a filter on $id).
    """
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    if revisions is not None and len(revisions) != len(ids):
        raise ToolInputError(f"`revisions` has {len(revisions)} entries for {len(ids)} ids; give one per id.")
    if len(set(ids)) != len(ids):
        raise ToolInputError("`ids` lists a record more than once.")
    result = await state.client.delete_records(app_id, ids, revisions=revisions, all_or_nothing=_atomic(state))
    return ok(DeleteResult(deleted=list(ids), note=result.atomicity_note))


TOOLS = [
    write(add_record, "Add a record", idempotent=False),
    write(add_records, "Add records", idempotent=False),
    write(update_record, "Update a record", idempotent=True, destructive=True),
    write(update_records, "Update records", idempotent=True, destructive=True),
    write(upsert_records, "Insert or update records by key", idempotent=True, destructive=True),
    write(delete_records, "Delete records", idempotent=True, destructive=True),
]
