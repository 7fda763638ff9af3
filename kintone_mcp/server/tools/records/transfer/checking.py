"""Checking an import before anything is written: each row converted against the app's schema (the conversion the
write tools use), unique values compared across the whole file, then each batch of rows compared with the records
already in the app (a unique value taken, an id or key that matches nothing, a record changed since its
``$revision``). Problems are counted in full and listed up to ``MAX_SHOWN``, each with its row and line.

Only what spans the whole file is kept between batches: the unique values seen so far (to name the row a value
repeats), the attachment columns met, and the problem list, so memory stays flat in the rows themselves.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from kintone_mcp.query.ast import Condition, FieldRef, NumberLit, Op, Query, StringLit, Value
from kintone_mcp.query.printer import to_text
from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.fieldinfo import Properties, walk_fields
from kintone_mcp.server.policy import Policy
from kintone_mcp.server.record_input import (
    RecordInputError,
    lookup_copy_fields,
    nothing_writable,
    to_kintone_record,
)
from kintone_mcp.server.state import ServerState
from kintone_mcp.server.tools.records._writing import check_key
from kintone_mcp.server.tools.records.transfer.csv_layout import FileRecord

Mode = Literal["add", "update", "upsert"]
#: problems listed in a refusal (the count says how many there were in all)
MAX_SHOWN = 50
_WHOLE = re.compile(r"-?[0-9]{1,18}")
#: values per query when rows are compared with the app's records (a query's page)
_PER_QUERY = 500


@dataclass
class Row:
    """One row converted to Kintone's write form, with what names its record (update, upsert)."""

    source: FileRecord
    record: dict[str, Any]
    id: int | None = None
    key: str | None = None
    #: the file's ``$revision``: the update is refused (GAIA_CO02) if the record has changed since
    revision: int | None = None


def where(r: FileRecord) -> str:
    return f"row {r.row:,} (line {r.line:,})"


def _identity(value: Any) -> int | None:
    """A record id from ``$id`` or a record number (which may carry the app code, ``APP-12``)."""
    text = str(value if value is not None else "").strip().rpartition("-")[2]
    return int(text) if text.isascii() and text.isdigit() else None


@dataclass
class Problems:
    shown: list[str] = field(default_factory=list)
    count: int = 0

    def add(self, text: str) -> None:
        self.count += 1
        if len(self.shown) < MAX_SHOWN:
            self.shown.append(text)


class RowChecker:
    """Converts and checks the rows of one file, one at a time, in file order."""

    def __init__(
        self, properties: Properties, mode: Mode, key: str | None, policy: Policy, file_columns: Sequence[str]
    ) -> None:
        self.properties, self.mode, self.policy = properties, mode, policy
        self.number_field = next((c for c, p in properties.items() if p.get("type") == "RECORD_NUMBER"), None)
        if key is not None and key not in ("$id", self.number_field):
            check_key(key, properties)
        self.by_id = mode == "update" and key in (None, "$id", self.number_field)
        if mode == "upsert" and key in (None, "$id", self.number_field):
            raise ToolInputError(
                "An upsert matches records by a unique field: give `key`, a SINGLE_LINE_TEXT or NUMBER field with "
                "'prohibit duplicate values' on. To change records by id, use mode update."
            )
        self.key = None if self.by_id else key
        self.copies = lookup_copy_fields(properties)
        # Attachments are never imported from a file: a CSV holds their names, a JSON line the source's file keys.
        self.file_fields = {c for c, p in properties.items() if p.get("type") == "FILE"}
        self.table_files = {
            c: {i for i, q in (p.get("fields") or {}).items() if q.get("type") == "FILE"}
            for c, p in properties.items()
            if p.get("type") == "SUBTABLE"
        }
        self.tables = [c for c, p in properties.items() if p.get("type") == "SUBTABLE"]
        self.uniques = [c for c, p in properties.items() if p.get("unique")]
        # The policy's lookup check walks every cell; it is only needed when some lookup's source is blocked.
        self.blocked_lookups = any(
            "lookup" in p and policy.blocked_source(p) is not None for _, p, _ in walk_fields(properties)
        )
        self.skipped: set[str] = set(file_columns)
        self.problems = Problems()
        self.seen: dict[str, dict[str, int]] = {}
        self.revisions = False

    def check(self, r: FileRecord) -> Row | None:
        """The row converted, or None when it has problems (recorded)."""
        values = dict(r.values)
        before = self.problems.count
        record_id = None
        if self.by_id:
            given = values.get("$id", values.get(self.number_field) if self.number_field else None)
            record_id = _identity(given)
            if record_id is None:
                self.problems.add(
                    f"{where(r)}: no record id ($id or {self.number_field or 'the record number'}) to update"
                )
        revision = self._revision(r, values.pop("$revision", None))
        values.pop("$id", None)
        for code in self.file_fields & values.keys():
            values.pop(code)
            self.skipped.add(code)
        for table, inner in self.table_files.items():
            if inner and isinstance(values.get(table), list):
                values[table] = [self._drop_files(table, inner, row) for row in values[table]]
        if self.number_field:
            values.pop(self.number_field, None)
        if self.mode == "add":
            for table in self.tables:
                if isinstance(values.get(table), list):
                    # Row ids belong to the records they were exported from: new records get new rows.
                    values[table] = [
                        {k: v for k, v in row.items() if k != "$id"} if isinstance(row, dict) else row
                        for row in values[table]
                    ]
        key_value: str | None = None
        if self.key is not None:
            raw_key = values.get(self.key)
            key_value = str(raw_key).strip() if raw_key not in (None, "") else None
            if key_value is None:
                self.problems.add(f"{where(r)}: no value for the key field {self.key!r}")
        checked = [self.key] if self.key is not None and key_value is not None else []
        for code in checked + (self.uniques if self.mode == "add" else []):
            value = values.get(code)
            if value in (None, "") or isinstance(value, list | dict):
                continue
            seen = self.seen.setdefault(code, {})
            text = str(value).strip()
            if text in seen:
                self.problems.add(
                    f"{where(r)}: {code} {text!r} is also in row {seen[text]:,}; a unique value may appear once"
                )
            else:
                seen[text] = r.row
        if record_id is not None:
            seen = self.seen.setdefault("$id", {})
            if str(record_id) in seen:
                self.problems.add(f"{where(r)}: record {record_id} is also in row {seen[str(record_id)]:,}")
            seen[str(record_id)] = r.row
        if self.blocked_lookups:
            self.policy.check_record_links([values], self.properties)
        body = {k: v for k, v in values.items() if not (key_value is not None and k == self.key)}
        try:
            converted = to_kintone_record(
                body, self.properties, mode="add" if self.mode == "add" else "update", copies=self.copies
            )
        except RecordInputError as exc:
            for p in exc.problems:
                self.problems.add(f"{where(r)}, {p.field}: {p.problem} {p.accepted}".rstrip())
            return None
        why = nothing_writable(converted)
        if why is not None and key_value is None and record_id is None:
            self.problems.add(f"{where(r)}: {why}")
            return None
        if self.problems.count != before:
            return None
        return Row(r, converted.record, record_id, key_value, revision)

    def _drop_files(self, table: str, inner: set[str], row: Any) -> Any:
        if not isinstance(row, dict):
            return row
        for code in inner & row.keys():
            self.skipped.add(f"{table}.{code}")
        return {k: v for k, v in row.items() if k not in inner}

    def _revision(self, r: FileRecord, given: Any) -> int | None:
        if given in (None, ""):
            return None
        text = str(given).strip()
        number = int(text) if _WHOLE.fullmatch(text) else None
        if number is None or number < -1 or number == 0:
            self.problems.add(
                f"{where(r)}, $revision: {given!r} is not a revision; the record's revision as exported (a whole "
                "number), -1 or empty to write without the check"
            )
            return None
        if self.mode == "add":
            return None  # a new record has no revision to compare: the column is read and ignored
        self.revisions = True
        return None if number == -1 else number


async def check_against_app(
    state: ServerState, app_id: int, rows: Sequence[Row], checker: RowChecker, problems: Problems
) -> None:
    """Compares one batch of checked rows with the app's records: in add mode a unique value already taken; in
    update mode an id or key that matches no record; with ``$revision`` a record changed since. Each is a problem
    of its row; nothing is written either way."""
    if not rows:
        return
    if checker.mode == "add":
        for code in checker.uniques:
            wanted = {_text(r.record.get(code)): r for r in rows}
            wanted.pop("", None)
            if not wanted:
                continue
            found = await _existing(state, app_id, code, [StringLit(v) for v in wanted])
            for value, record in found.items():
                problems.add(
                    f"{where(wanted[value].source)}: {code} {value!r} is already in record {record['$id']} of the "
                    f"app; a unique value may appear once (mode upsert with key {code} updates that record)"
                )
        return
    if checker.by_id:
        by_id = {str(r.id): r for r in rows if r.id is not None}
        found = await _existing(state, app_id, "$id", [NumberLit(v) for v in by_id])
        _compare(checker.mode, by_id, found, problems, lambda v: f"no record {v} in the app (deleted?)")
        return
    key = checker.key
    if key is None or (checker.mode == "upsert" and not checker.revisions):
        return  # an upsert adds what matches nothing: only a revision can be stale
    by_key = {str(r.key): r for r in rows if r.key is not None}
    found = await _existing(state, app_id, key, [StringLit(v) for v in by_key])
    _compare(checker.mode, by_key, found, problems, lambda v: f"no record has {key} {v!r}")


def _text(cell: Any) -> str:
    value = cell.get("value") if isinstance(cell, dict) else None
    return str(value).strip() if isinstance(value, str | int) else ""


def _compare(
    mode: Mode, rows: dict[str, Row], found: dict[str, dict[str, Any]], problems: Problems, missing: Any
) -> None:
    for value, row in rows.items():
        record = found.get(value)
        if record is None:
            if mode == "update":
                problems.add(f"{where(row.source)}: {missing(value)}; nothing to update")
            continue
        now = int(str(record.get("$revision") or 0))
        if row.revision is not None and row.revision != now:
            problems.add(
                f"{where(row.source)}: record {record['$id']} has changed since the file's $revision "
                f"{row.revision} (it is {now} now). Export it again and redo the change, or leave $revision empty "
                "to overwrite it"
            )


async def _existing(state: ServerState, app_id: int, code: str, values: Sequence[Value]) -> dict[str, dict[str, Any]]:
    """The app's records whose ``code`` is one of ``values``: value -> {"$id", "$revision"}."""
    found: dict[str, dict[str, Any]] = {}
    fields = list(dict.fromkeys(["$id", "$revision", code]))
    for start in range(0, len(values), _PER_QUERY):
        chunk = values[start : start + _PER_QUERY]
        try:
            text = to_text(Query(Condition(FieldRef(code), Op.IN, tuple(chunk)), limit=_PER_QUERY))
        except ValueError:
            continue  # a value no query can carry (a control character): Kintone judges it on writing
        page = await state.client.get_records(app_id, query=text, fields=fields)
        for record in page.records:
            raw = record.raw
            value = (raw.get(code) or {}).get("value")
            found[str(value).strip()] = {
                "$id": (raw.get("$id") or {}).get("value"),
                "$revision": (raw.get("$revision") or {}).get("value"),
            }
    return found


async def conflicts(state: ServerState, app_id: int, rows: Sequence[Row], checker: RowChecker) -> list[str]:
    """After Kintone refused a transaction as stale (GAIA_CO02): the rows whose record changed since their
    ``$revision``, read again from the app."""
    problems = Problems()
    dated = [r for r in rows if r.revision is not None]
    if checker.by_id:
        by_id = {str(r.id): r for r in dated if r.id is not None}
        found = await _existing(state, app_id, "$id", [NumberLit(v) for v in by_id])
    else:
        by_id = {str(r.key): r for r in dated if r.key is not None}
        found = await _existing(state, app_id, str(checker.key), [StringLit(v) for v in by_id])
    _compare("upsert", by_id, found, problems, str)
    return problems.shown
