"""Import: a CSV (cli-kintone's layout) or JSON Lines file of the download folder, validated whole against the app's
schema before anything is sent, then written in all-or-nothing transactions of up to 2,000 records.

Every row is checked first (the same conversion the write tools use), and every problem is reported with its row
and line, so a file either goes in or is refused untouched. When a file holds more than one transaction and a later
one fails, the earlier ones stay committed: the failure names exactly which rows were committed and which were
not, so that a rerun with the rest is safe.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import anyio

from kintone_mcp.client.errors import KintoneError
from kintone_mcp.client.results import RecordUpdate, UpdateKey, WriteResult
from kintone_mcp.server.errors import ToolInputError, describe_kintone_error
from kintone_mcp.server.fieldinfo import Properties
from kintone_mcp.server.record_input import RecordInputError, nothing_writable, to_kintone_record
from kintone_mcp.server.state import ServerState
from kintone_mcp.server.tools.files._local import open_inside, parts_inside
from kintone_mcp.server.tools.outputs import id_ranges
from kintone_mcp.server.tools.records._writing import MAX_ATOMIC, all_or_nothing, check_key, lookup_rules
from kintone_mcp.server.tools.records.transfer.csv_layout import FileRecord, csv_records, read_layout
from kintone_mcp.server.tools.records.transfer.exporting import Format, Progress

Mode = Literal["add", "update", "upsert"]
#: problems listed in a refusal (the count says how many there were in all)
MAX_SHOWN = 50
_ID_KEYS = ("$id",)


@dataclass
class Imported:
    path: Path
    mode: Mode
    rows: int
    dry_run: bool
    written: int = 0
    ids: str | None = None
    inserted: int | None = None
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0
    skipped_columns: list[str] = field(default_factory=list)
    note: str | None = None


class PartialImportError(ToolInputError):
    """A later transaction failed after earlier ones were committed: ``committed`` rows are in Kintone."""

    def __init__(self, message: str, committed: int) -> None:
        super().__init__(message)
        self.committed = committed


@dataclass
class _Row:
    source: FileRecord
    record: dict[str, Any]
    id: int | None = None
    key: str | None = None


def read_file(state: ServerState, file: str) -> tuple[Path, bytes]:
    """The file's bytes, opened safely inside the download folder and bounded by the size limit."""
    folder = state.options.download_dir
    if folder is None:
        raise ToolInputError("No download folder is configured: ask the user to set KINTONE_DOWNLOAD_DIR.")
    parts = parts_inside(file, folder, verb="imported")
    opened = open_inside(folder, parts, file)
    limit = state.options.download_max_bytes
    try:
        if opened.size > limit:
            raise ToolInputError(
                f"{file!r} is {opened.size:,} bytes, more than the {limit:,} bytes this server reads "
                "(KINTONE_DOWNLOAD_MAX_BYTES); nothing was written. Split the file, or ask the user to raise the limit."
            )
        chunks = []
        while chunk := os.read(opened.fd, 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(opened.fd)
    return folder.joinpath(*parts), b"".join(chunks)


def _format_of(path: Path, fmt: Format | None) -> Format:
    if fmt is not None:
        return fmt
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    raise ToolInputError(f"{path.name!r}: give `format` (csv or jsonl); the name does not say which it is.")


def parse(data: bytes, fmt: Format, properties: Properties) -> tuple[list[FileRecord], list[str]]:
    """The file's records and the FILE columns it holds (attachments are not imported from a file)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ToolInputError(
            f"Line {line} is not UTF-8; nothing was written. Save the file as UTF-8 (cli-kintone: --encoding utf8)."
        ) from None
    if fmt == "jsonl":
        return _jsonl(text), []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ToolInputError("The file is empty: a CSV needs a header line of field codes.") from None
    except csv.Error as exc:
        raise ToolInputError(f"Line 1 is not valid CSV ({exc}); nothing was written.") from None
    layout = read_layout(header, properties)

    def rows() -> Iterator[tuple[int, list[str]]]:
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ToolInputError(
                    f"Line {start} is not valid CSV ({exc}); nothing was written. A cell holding a comma, a quote or "
                    'a line break must be in double quotes, with a quote inside doubled ("").'
                ) from None
            if cells:
                yield start, cells

    files = [c for c in layout.columns if layout.types.get(c) == "FILE"]
    return list(csv_records(rows(), header, layout)), files


def _jsonl(text: str) -> list[FileRecord]:
    out: list[FileRecord] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ToolInputError(f"Line {number} is not JSON ({exc.msg}); nothing was written.") from None
        if not isinstance(value, dict):
            raise ToolInputError(
                f"Line {number} is not a JSON object; each line must hold one record, as get_record shows it."
            )
        out.append(FileRecord(len(out) + 1, number, value))
    return out


def _where(r: FileRecord) -> str:
    return f"row {r.row:,} (line {r.line:,})"


def _identity(value: Any) -> int | None:
    """A record id from ``$id`` or a record number (which may carry the app code, ``APP-12``)."""
    text = str(value if value is not None else "").strip().rpartition("-")[2]
    return int(text) if text.isascii() and text.isdigit() else None


def prepare(
    records: Sequence[FileRecord], properties: Properties, mode: Mode, key: str | None, files: Sequence[str]
) -> tuple[list[_Row], list[str], list[str]]:
    """Every row converted and checked: (rows, problems, skipped columns)."""
    number_field = next((c for c, p in properties.items() if p.get("type") == "RECORD_NUMBER"), None)
    if key is not None and key not in ("$id", number_field):
        check_key(key, properties)
    by_id = mode == "update" and key in (None, "$id", number_field)
    if mode == "upsert" and key in (None, "$id", number_field):
        raise ToolInputError(
            "An upsert matches records by a unique field: give `key`, a SINGLE_LINE_TEXT or NUMBER field with "
            "'prohibit duplicate values' on. To change records by id, use mode update."
        )
    # Attachments are never imported from a file: a CSV holds their names, a JSON line the source's file keys.
    file_fields = {c for c, p in properties.items() if p.get("type") == "FILE"}
    table_files = {
        c: {i for i, q in (p.get("fields") or {}).items() if q.get("type") == "FILE"}
        for c, p in properties.items()
        if p.get("type") == "SUBTABLE"
    }
    present = {c for r in records for c in r.values}
    skipped = sorted({*files, *(file_fields & present)})
    skipped += sorted(
        f"{t}.{i}"
        for t, inner in table_files.items()
        if t in present
        for i in inner
        if any(isinstance(row, dict) and i in row for r in records for row in (r.values.get(t) or []))
    )
    problems: list[str] = []
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    uniques = [c for c, p in properties.items() if p.get("unique")]
    for r in records:
        values = dict(r.values)
        record_id = None
        if by_id:
            given = values.get("$id", values.get(number_field) if number_field else None)
            record_id = _identity(given)
            if record_id is None:
                problems.append(f"{_where(r)}: no record id ($id or {number_field or 'the record number'}) to update")
        for code in ("$id", "$revision", *file_fields):
            values.pop(code, None)
        for table, inner in table_files.items():
            if inner and isinstance(values.get(table), list):
                values[table] = [
                    {k: v for k, v in row.items() if k not in inner} if isinstance(row, dict) else row
                    for row in values[table]
                ]
        if number_field:
            values.pop(number_field, None)
        if mode == "add":
            for table in [c for c, p in properties.items() if p.get("type") == "SUBTABLE" and c in values]:
                # Row ids belong to the records they were exported from: new records get new rows.
                values[table] = [{k: v for k, v in row.items() if k != "$id"} for row in values[table] or []]
        key_value: str | None = None
        if key is not None and not by_id:
            raw_key = values.get(key)
            key_value = str(raw_key).strip() if raw_key not in (None, "") else None
            if key_value is None:
                problems.append(f"{_where(r)}: no value for the key field {key!r}")
        checked = [key] if key is not None and key_value is not None else []
        for code in checked + (uniques if mode == "add" else []):
            value = values.get(code)
            if value in (None, ""):
                continue
            ident = f"{code}={value}"
            if ident in seen:
                problems.append(
                    f"{_where(r)}: {code} {value!r} is also in row {seen[ident]:,}; a unique value may appear once"
                )
            else:
                seen[ident] = r.row
        if by_id and record_id is not None:
            ident = f"$id={record_id}"
            if ident in seen:
                problems.append(f"{_where(r)}: record {record_id} is also in row {seen[ident]:,}")
            seen[ident] = r.row
        body = {k: v for k, v in values.items() if not (key_value is not None and k == key)}
        try:
            converted = to_kintone_record(body, properties, mode="add" if mode == "add" else "update")
        except RecordInputError as exc:
            problems += [f"{_where(r)}, {p.field}: {p.problem} {p.accepted}".rstrip() for p in exc.problems]
            continue
        why = nothing_writable(converted)
        if why is not None and key_value is None and record_id is None:
            problems.append(f"{_where(r)}: {why}")
            continue
        rows.append(_Row(r, converted.record, record_id, key_value))
    return rows, problems, skipped


def _span(rows: Sequence[_Row]) -> str:
    return f"rows {rows[0].source.row:,}–{rows[-1].source.row:,}" if rows else "no rows"


async def count_records(state: ServerState, app_id: int, file: str, fmt: Format | None) -> int:
    """How many records the file holds, read as import_file reads it: what a confirmation of the import counts."""
    path, data = await anyio.to_thread.run_sync(read_file, state, file)
    records, _ = parse(data, _format_of(path, fmt), await state.fields(app_id))
    return len(records)


async def import_file(
    state: ServerState,
    app_id: int,
    file: str,
    *,
    mode: Mode,
    key: str | None = None,
    fmt: Format | None = None,
    dry_run: bool = False,
    progress: Progress,
) -> Imported:
    path, data = await anyio.to_thread.run_sync(read_file, state, file)
    properties = await state.fields(app_id, fresh=True)
    records, files = parse(data, _format_of(path, fmt), properties)
    if not records:
        raise ToolInputError(f"{path.name!r} holds no records (only a header, or nothing); nothing was written.")
    await progress(0, len(records), "validating")
    rows, problems, skipped = prepare(records, properties, mode, key, files)
    result = Imported(path, mode, len(records), dry_run, skipped_columns=skipped)
    if skipped:
        result.note = (
            f"Attachment columns {', '.join(skipped)} were not imported (a file holds file names, not the files): "
            "attach files with upload_file."
        )
    if problems:
        result.problems, result.problem_count = problems[:MAX_SHOWN], len(problems)
        if dry_run:
            return result
        more = f"\n… and {len(problems) - MAX_SHOWN:,} more" if len(problems) > MAX_SHOWN else ""
        raise ToolInputError(
            f"{len(problems):,} problem(s) in {path.name!r}; nothing was written (every row is checked before "
            "anything is sent):\n- "
            + "\n- ".join(problems[:MAX_SHOWN])
            + more
            + "\nFix those rows and import again (dry_run checks without writing)."
        )
    await progress(len(records), len(records), "validated")
    if dry_run:
        return result
    return await _write(state, app_id, rows, mode, key, result, progress)


async def _write(
    state: ServerState, app_id: int, rows: list[_Row], mode: Mode, key: str | None, result: Imported, progress: Progress
) -> Imported:
    atomic = all_or_nothing(state)
    properties = await state.fields(app_id)
    done: list[_Row] = []
    ids: list[int] = []
    inserted = 0
    notes: set[str] = set()
    for start in range(0, len(rows), MAX_ATOMIC):
        batch = rows[start : start + MAX_ATOMIC]
        try:
            with lookup_rules(state.policy, properties, [r.source.values for r in batch]):
                outcome = await _send(state, app_id, batch, mode, key, atomic)
        except (KintoneError, ToolInputError) as exc:
            said = describe_kintone_error(exc) if isinstance(exc, KintoneError) else str(exc)
            rest = rows[start:]
            if not done:
                raise ToolInputError(
                    f"Kintone refused the transaction of {_span(batch)}; nothing was written.\n{said}"
                ) from exc
            raise PartialImportError(
                f"Kintone refused the transaction of {_span(batch)}. Committed: {_span(done)} ({len(done):,} "
                f"records, ids {id_ranges(ids)}); not written: {_span(rest)}. Fix the cause, then import "
                f"a file holding only rows {rest[0].source.row:,} onwards (rerunning the whole file would repeat "
                f"the committed rows).\n{said}",
                len(done),
            ) from exc
        done += batch
        ids += [w.id for w in outcome.records]
        inserted += sum(1 for w in outcome.records if w.operation == "INSERT")
        if outcome.atomicity_note:
            notes.add(outcome.atomicity_note)
        await progress(len(done), len(rows), "writing")
    result.written = len(done)
    result.ids = id_ranges(ids) or None
    result.inserted = inserted if mode == "upsert" else None
    if len(rows) > MAX_ATOMIC and atomic:
        notes.add(
            f"Written in {-(-len(rows) // MAX_ATOMIC)} transactions of up to {MAX_ATOMIC:,} records, each all or "
            "nothing."
        )
    result.note = " ".join(n for n in (result.note, *sorted(notes)) if n) or None
    return result


async def _send(
    state: ServerState, app_id: int, batch: list[_Row], mode: Mode, key: str | None, atomic: bool
) -> WriteResult:
    if mode == "add":
        return await state.client.add_records(app_id, [r.record for r in batch], all_or_nothing=atomic)
    updates = [
        RecordUpdate(record=r.record, id=r.id)
        if r.id is not None
        else RecordUpdate(record=r.record, update_key=UpdateKey(str(key), str(r.key)))
        for r in batch
    ]
    if mode == "upsert":
        return await state.client.upsert_records(app_id, updates, all_or_nothing=atomic)
    return await state.client.update_records(app_id, updates, all_or_nothing=atomic)
