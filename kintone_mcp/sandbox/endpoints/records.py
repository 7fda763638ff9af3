"""Record endpoints: record.json (GET / POST / PUT) and records.json (GET / POST / PUT with upsert / DELETE).

Limits (docs/kintone-api.md §4.2, §7.3): 500 records per read (``limit``), offset up to 10,000, 100 records per write.
Every write request is one transaction, so a bulk write that fails anywhere leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from kintone_mcp.query import Query, QuerySyntaxError, parse
from kintone_mcp.sandbox.errors import ErrorReply, invalid, invalid_many
from kintone_mcp.sandbox.http.params import to_int
from kintone_mcp.sandbox.http.routing import RequestContext, Router
from kintone_mcp.sandbox.records.read import render_record
from kintone_mcp.sandbox.records.write import RecordWriter, find_by_field, record_not_found
from kintone_mcp.sandbox.store import appstore, directory, filestore, recordstore
from kintone_mcp.sandbox.store.appstore import AppInfo
from kintone_mcp.sandbox.store.directory import DEFAULT_TIMEZONE
from kintone_mcp.sandbox.store.querysql import QueryContext, compile_query
from kintone_mcp.sandbox.store.recordstore import StoredRecord, load_record

router = Router()

MAX_WRITE = 100
DEFAULT_LIMIT = 100
_KEY_TYPES = frozenset({"SINGLE_LINE_TEXT", "NUMBER"})


def check_record_revision(record: StoredRecord, expected: Any, key: str) -> None:
    """Optimistic lock: a revision other than -1 must equal the record's current one (409 GAIA_CO02)."""
    if expected is None or expected == "":
        return
    number = to_int(expected, key)
    if number != -1 and number != record.revision:
        raise ErrorReply(
            409,
            "GAIA_CO02",
            f"The revision is not the latest: record {record.id} is at revision {record.revision}, you sent "
            f"{number}. Read the record again, reapply your change, and retry.",
            params={"id": record.id},
        )


# -- reading -------------------------------------------------------------------------------------------------------


@router.route("GET", "record.json")
def get_record(ctx: RequestContext) -> dict[str, Any]:
    app = ctx.app_param("view")
    record_id = ctx.params.require_int("id")
    record = load_record(ctx.conn, app.id, record_id)
    if record is None:
        raise record_not_found(app.id, record_id)
    return {"record": render_record(app, record, directory.load_names(ctx.conn))}


def query_context(ctx: RequestContext, app: AppInfo) -> QueryContext:
    """Who is asking, for LOGINUSER(), PRIMARY_ORGANIZATION() and date functions in their time zone, and which of
    the app's fields carry an expression index (conditions on them skip the raw-JSON prefilter)."""
    user = directory.user_info(ctx.conn, ctx.login)
    tz_name = user.timezone if user is not None else DEFAULT_TIMEZONE
    try:
        tz = ZoneInfo(tz_name)
    except (KeyError, ValueError):
        tz = ZoneInfo(DEFAULT_TIMEZONE)

    def related(app_id: str) -> Mapping[str, Mapping[str, Any]] | None:
        info = appstore.load_app(ctx.conn, int(app_id)) if app_id.isdigit() else None
        return None if info is None else info.properties

    return QueryContext(
        login=ctx.login,
        primary_organization=None if user is None else user.primary_organization,
        tz=tz,
        now=ctx.now,
        related_fields=related,
        indexed_codes=frozenset(appstore.indexed_fields(app.properties)),
        lenient_operators=ctx.lenient_operators,
    )


def parse_query_param(text: str) -> Query:
    """The ``query`` parameter, parsed; a syntax error answers as Kintone does (CB_VA01 on ``query``)."""
    try:
        return parse(text)
    except QuerySyntaxError as exc:
        raise invalid("query", "The query is invalid.") from exc


@router.route("GET", "records.json")
def get_records(ctx: RequestContext) -> dict[str, Any]:
    p = ctx.params
    app = ctx.app_param("view")
    query = parse_query_param(p.get_str("query") or "")
    compiled = compile_query(query, app.properties, query_context(ctx, app))
    # An empty or absent ``fields`` means every field.
    fields = {str(f) for f in p.get_list("fields")} or None
    limit = compiled.limit if compiled.limit is not None else DEFAULT_LIMIT
    offset = compiled.offset or 0
    where = compiled.where or "1"
    stored = recordstore.select_page(ctx.conn, app.id, where, compiled.params, compiled.order_by, limit, offset)
    names = directory.load_names(ctx.conn)
    records = [render_record(app, record, names, fields) for record in stored]
    total: str | None = None
    if p.get_bool("totalCount"):
        total = str(recordstore.count_where(ctx.conn, app.id, where, compiled.params))
    return {"records": records, "totalCount": total}


# -- adding --------------------------------------------------------------------------------------------------------


@router.route("POST", "record.json")
def add_record(ctx: RequestContext) -> dict[str, str]:
    app = ctx.app_param("add")
    writer = RecordWriter(ctx.record_context(), app)
    result = writer.add(ctx.params.raw("record") or {}, "record")
    writer.finish()
    assert result is not None
    return {"id": str(result[0]), "revision": str(result[1])}


def _write_list(ctx: RequestContext, name: str, verb: str) -> list[Any]:
    """The ``records`` of a bulk add or update: up to 100, and an empty list is a valid request that writes nothing,
    as in Kintone."""
    items = ctx.params.raw(name)
    if items is None:
        raise invalid(name, "Required field.")
    if not isinstance(items, list):
        raise invalid(name, "Specify a list.")
    if len(items) > MAX_WRITE:
        raise invalid(name, f"A maximum of {MAX_WRITE} records can be {verb} at one time.")
    return items


def _ids_to_delete(ctx: RequestContext) -> list[int]:
    # Kintone's own messages: both sentences for a missing or empty list, the range alone for too long a list.
    span = f"Between 1 and {MAX_WRITE} records can be deleted at one time."
    items = ctx.params.raw("ids")
    if items is None or items == "" or items == []:
        raise invalid_many({"ids": ["Required field.", span]})
    if not isinstance(items, list):
        items = [items]
    if len(items) > MAX_WRITE:
        raise invalid("ids", span)
    return [to_int(v, f"ids[{i}]") for i, v in enumerate(items)]


@router.route("POST", "records.json")
def add_records(ctx: RequestContext) -> dict[str, list[str]]:
    app = ctx.app_param("add")
    items = _write_list(ctx, "records", "added")
    writer = RecordWriter(ctx.record_context(), app)
    results = [writer.add(item, f"records[{i}]") for i, item in enumerate(items)]
    writer.finish()
    return {
        "ids": [str(r[0]) for r in results if r is not None],
        "revisions": [str(r[1]) for r in results if r is not None],
    }


# -- updating ------------------------------------------------------------------------------------------------------


def _target(ctx: RequestContext, app: AppInfo, item: Mapping[str, Any], prefix: str, *,
            upsert: bool = False) -> tuple[StoredRecord | None, tuple[str, str] | None]:
    """The record an update names by ``id`` or ``updateKey``; (None, key) when the key matches nothing, and
    (None, None) when an upsert names by ``id`` a record that does not exist (Kintone then adds a record, with a new
    id: docs/kintone-api.md §4, PUT records.json)."""
    has_id = item.get("id") not in (None, "")
    update_key = item.get("updateKey")
    if has_id and update_key is not None:
        raise invalid(f"{prefix}id", "Specify either id or updateKey, not both.")
    if has_id:
        record_id = to_int(item["id"], f"{prefix}id")
        record = load_record(ctx.conn, app.id, record_id)
        if record is None and not upsert:
            raise record_not_found(app.id, record_id)
        return record, None
    if update_key is None:
        raise invalid(f"{prefix}id", "Required field.")
    if not isinstance(update_key, Mapping):
        raise invalid(f"{prefix}updateKey", 'Specify updateKey as {"field": code, "value": value}.')
    code = update_key.get("field")
    value = update_key.get("value")
    if not isinstance(code, str) or not code:
        raise invalid(f"{prefix}updateKey.field", "Required field.")
    prop = app.properties.get(code)
    if prop is None or prop["type"] not in _KEY_TYPES or not prop.get("unique"):
        raise invalid(
            f"{prefix}updateKey.field",
            f"The field {code!r} cannot be an update key: use a text or number field with 'unique' turned on.",
        )
    if value is None or value == "":
        raise invalid(f"{prefix}updateKey.value", "Required field.")
    return find_by_field(ctx.conn, app, code, str(value)), (code, str(value))


def _key_not_found(app: AppInfo, key: tuple[str, str]) -> ErrorReply:
    return ErrorReply(
        400,
        "GAIA_RE20",
        f'No record of app {app.id} has {key[0]} = "{key[1]}". Check the updateKey, or use upsert to add it.',
        params={"field": key[0], "value": key[1]},
    )


@router.route("PUT", "record.json")
def update_record(ctx: RequestContext) -> dict[str, str]:
    app = ctx.app_param("edit")
    record, key = _target(ctx, app, ctx.params.data, "")
    if record is None:
        assert key is not None
        raise _key_not_found(app, key)
    check_record_revision(record, ctx.params.raw("revision"), "revision")
    writer = RecordWriter(ctx.record_context(), app)
    revision = writer.update(record, ctx.params.raw("record"), "record")
    writer.finish()
    return {"revision": str(revision)}


@router.route("PUT", "records.json")
def update_records(ctx: RequestContext) -> dict[str, Any]:
    app = ctx.app_param("edit")
    upsert = ctx.params.get_bool("upsert")
    if upsert:
        ctx.check_permission(app, "add")
    items = _write_list(ctx, "records", "updated")
    writer = RecordWriter(ctx.record_context(), app)
    results: list[dict[str, str]] = []
    seen: set[int] = set()
    for i, item in enumerate(items):
        prefix = f"records[{i}]"
        if not isinstance(item, Mapping):
            raise invalid(prefix, "Specify each item as {id or updateKey, record, revision?}.")
        record, key = _target(ctx, app, item, f"{prefix}.", upsert=upsert)
        if record is None:
            if key is not None and not upsert:
                raise _key_not_found(app, key)
            # Not found: an upsert adds it, keeping the key value it was looked up by (an id is not kept).
            forced = None if key is None else {key[0]: {"value": key[1]}}
            added = writer.add(item.get("record"), f"{prefix}.record", forced=forced)
            if added is not None:
                results.append({"id": str(added[0]), "revision": str(added[1]), "operation": "INSERT"})
            continue
        if record.id in seen:
            raise invalid(f"{prefix}.id", f"Record {record.id} appears more than once in this request.")
        seen.add(record.id)
        check_record_revision(record, item.get("revision"), f"{prefix}.revision")
        revision = writer.update(record, item.get("record"), f"{prefix}.record")
        if revision is not None:
            entry = {"id": str(record.id), "revision": str(revision)}
            if upsert:
                entry["operation"] = "UPDATE"
            results.append(entry)
    writer.finish()
    return {"records": results}


# -- deleting ------------------------------------------------------------------------------------------------------


@router.route("DELETE", "records.json")
def delete_records(ctx: RequestContext) -> dict[str, Any]:
    app = ctx.app_param("delete")
    ids = _ids_to_delete(ctx)
    revisions = ctx.params.get_list("revisions")
    if revisions and len(revisions) != len(ids):
        raise invalid("revisions", "Give one revision per id (or -1 to skip the check), in the same order.")
    files: set[str] = set()
    for i, record_id in enumerate(ids):
        record = load_record(ctx.conn, app.id, record_id)
        if record is None:
            raise record_not_found(app.id, record_id)
        if revisions:
            check_record_revision(record, revisions[i], f"revisions[{i}]")
        recordstore.delete(ctx.conn, app.id, record_id)
        files |= filestore.file_keys(record.data)
    # A deleted record's files go with it (comments go by a trigger).
    filestore.release(ctx.conn, app.id, files, ctx.services.downloads)
    return {}
