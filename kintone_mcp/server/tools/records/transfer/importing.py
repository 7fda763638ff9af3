"""Import: a CSV (cli-kintone's layout) or JSON Lines file of the download folder, checked whole before anything is
sent, then written in all-or-nothing transactions of up to 2,000 records.

The file is read as a stream, so memory stays flat whatever its size. The check reads every row (``checking``: the
schema, unique values across the file, and the app's records: a taken unique value, an id or key that matches
nothing, a record changed since its ``$revision``), and every problem is reported with its row and line, so a file
either goes in or is refused untouched. The converted rows wait in a temporary file (``spool``) meanwhile; then
they are read back and written, one transaction after the other, so the committed rows are always the rows before
the failed transaction. When a later transaction fails, the earlier ones stay committed, and the failure names
exactly which rows were committed and which were not, so that a rerun with the rest is safe.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import anyio

from kintone_mcp.client.errors import ConflictError, KintoneError
from kintone_mcp.client.results import RecordUpdate, UpdateKey, WriteResult
from kintone_mcp.server.errors import ToolInputError, describe_kintone_error
from kintone_mcp.server.fieldinfo import Properties
from kintone_mcp.server.state import ServerState
from kintone_mcp.server.tools.outputs import id_ranges
from kintone_mcp.server.tools.records._writing import MAX_ATOMIC, all_or_nothing, lookup_rules
from kintone_mcp.server.tools.records.transfer.checking import (
    MAX_SHOWN,
    Mode,
    Row,
    RowChecker,
    check_against_app,
    conflicts,
)
from kintone_mcp.server.tools.records.transfer.csv_layout import FileRecord
from kintone_mcp.server.tools.records.transfer.exporting import Progress
from kintone_mcp.server.tools.records.transfer.reading import Encoding, Format, ImportFile, open_file, read
from kintone_mcp.server.tools.records.transfer.spool import Spool

__all__ = ["Imported", "Mode", "PartialImportError", "import_file"]


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
class _Batch:
    """Up to one transaction of converted rows, and how many of the file's records they came from."""

    rows: list[Row]
    read: int


def _take(records: Iterator[FileRecord], checker: RowChecker) -> _Batch:
    """The next transaction's worth of rows, checked (run in a worker thread: it is the CPU-heavy part)."""
    rows: list[Row] = []
    read = 0
    for record in records:
        read += 1
        row = checker.check(record)
        if row is not None:
            rows.append(row)
        if read == MAX_ATOMIC:
            break
    return _Batch(rows, read)


def _span(rows: list[Row]) -> str:
    return f"rows {rows[0].source.row:,}–{rows[-1].source.row:,}" if rows else "no rows"


async def count_records(
    state: ServerState, app_id: int, file: str, fmt: Format | None, encoding: Encoding = "utf-8"
) -> int:
    """How many records the file holds, read as import_file reads it (streamed, so memory stays flat): what a
    confirmation of the import counts."""
    properties = await state.fields(app_id)

    def counted() -> int:
        source = open_file(state, file, fmt, encoding)
        try:
            return sum(1 for _ in read(source, properties).records)
        finally:
            source.close()

    return await anyio.to_thread.run_sync(counted)


async def import_file(
    state: ServerState,
    app_id: int,
    file: str,
    *,
    mode: Mode,
    key: str | None = None,
    fmt: Format | None = None,
    encoding: Encoding = "utf-8",
    dry_run: bool = False,
    progress: Progress,
) -> Imported:
    source = await anyio.to_thread.run_sync(open_file, state, file, fmt, encoding)
    spool = None if dry_run else Spool()
    try:
        properties = await state.fields(app_id, fresh=True)
        checker, count = await _check(state, app_id, source, properties, mode, key, spool, progress)
        result = Imported(source.path, mode, count, dry_run, skipped_columns=sorted(checker.skipped))
        if checker.skipped:
            result.note = (
                f"Attachment columns {', '.join(result.skipped_columns)} were not imported (a file holds file "
                "names, not the files): attach files with upload_file."
            )
        problems = checker.problems
        if problems.count:
            result.problems, result.problem_count = problems.shown, problems.count
            if dry_run:
                return result
            more = f"\n… and {problems.count - MAX_SHOWN:,} more" if problems.count > MAX_SHOWN else ""
            raise ToolInputError(
                f"{problems.count:,} problem(s) in {source.path.name!r}; nothing was written (every row is checked "
                "before anything is sent):\n- " + "\n- ".join(problems.shown) + more
                + "\nFix those rows and import again (dry_run checks without writing)."
            )  # fmt: skip
        await progress(count, count, "validated")
        if spool is None:
            return result
        return await _write(state, app_id, spool, properties, mode, key, result, progress)
    finally:
        source.close()
        if spool is not None:
            spool.close()


async def _check(
    state: ServerState,
    app_id: int,
    source: ImportFile,
    properties: Properties,
    mode: Mode,
    key: str | None,
    spool: Spool | None,
    progress: Progress,
) -> tuple[RowChecker, int]:
    """Every row checked, batch by batch, the converted rows kept in ``spool`` while no problem has been found;
    (the checker holding the problems, the record count)."""
    reading = await anyio.to_thread.run_sync(read, source, properties)
    checker = RowChecker(properties, mode, key, state.policy, reading.file_columns)
    count = 0
    await progress(0, None, "validating")
    while batch := await anyio.to_thread.run_sync(_take, reading.records, checker):
        if not batch.read:
            break
        count += batch.read
        await check_against_app(state, app_id, batch.rows, checker, checker.problems)
        if spool is not None and not checker.problems.count:
            await anyio.to_thread.run_sync(spool.add, batch.rows)
        await progress(count, None, "validating")
    if not count:
        raise ToolInputError(f"{source.path.name!r} holds no records (only a header, or nothing); nothing was written.")
    return checker, count


async def _write(
    state: ServerState,
    app_id: int,
    spool: Spool,
    properties: Properties,
    mode: Mode,
    key: str | None,
    result: Imported,
    progress: Progress,
) -> Imported:
    """The rows the check converted, read back from the spool and sent, one transaction after the other."""
    atomic = all_or_nothing(state)
    checker = RowChecker(properties, mode, key, state.policy, [])
    done = _Done()
    ids: list[int] = []  # ints, not rows: the rows sent are dropped
    inserted = 0
    notes: set[str] = set()
    for batch in spool.batches():
        try:
            with lookup_rules(state.policy, properties, [r.record for r in batch], precheck=False):
                outcome = await _send(state, app_id, batch, mode, key, atomic)
        except (KintoneError, ToolInputError) as exc:
            raise await _refused(state, app_id, exc, done, ids, batch, checker, result.rows) from exc
        done.add(batch)
        ids += [w.id for w in outcome.records]
        inserted += sum(1 for w in outcome.records if w.operation == "INSERT")
        if outcome.atomicity_note:
            notes.add(outcome.atomicity_note)
        await progress(done.count, result.rows, "writing")
    result.written = done.count
    result.ids = id_ranges(ids) or None
    result.inserted = inserted if mode == "upsert" else None
    if done.count > MAX_ATOMIC and atomic:
        notes.add(
            f"Written in {-(-done.count // MAX_ATOMIC)} transactions of up to {MAX_ATOMIC:,} records, each all or "
            "nothing."
        )
    result.note = " ".join(n for n in (result.note, *sorted(notes)) if n) or None
    return result


@dataclass
class _Done:
    """The rows committed so far: always the file's first ``count`` rows."""

    first: int = 0
    last: int = 0
    count: int = 0

    def add(self, batch: list[Row]) -> None:
        if batch:
            self.first = self.first or batch[0].source.row
            self.last = batch[-1].source.row
            self.count += len(batch)


def _committed(done: _Done) -> str:
    return f"Committed: rows {done.first:,}–{done.last:,} ({done.count:,} records)" if done.count else ""


async def _refused(
    state: ServerState,
    app_id: int,
    exc: Exception,
    done: _Done,
    ids: list[int],
    batch: list[Row],
    checker: RowChecker,
    total: int,
) -> BaseException:
    said = describe_kintone_error(exc) if isinstance(exc, KintoneError) else str(exc)
    if isinstance(exc, ConflictError):
        stale = await conflicts(state, app_id, batch, checker)
        if stale:
            said += "\nRows whose record changed since the file's $revision:\n- " + "\n- ".join(stale)
    if not done.count:
        return ToolInputError(f"Kintone refused the transaction of {_span(batch)}; nothing was written.\n{said}")
    first = batch[0].source.row
    return PartialImportError(
        f"Kintone refused the transaction of {_span(batch)}. {_committed(done)}, ids {id_ranges(ids)}; not "
        f"written: rows {first:,}–{total:,}. Fix the cause, then import a file holding only rows {first:,} onwards "
        f"(rerunning the whole file would repeat the committed rows).\n{said}",
        done.count,
    )


async def _send(
    state: ServerState, app_id: int, batch: list[Row], mode: Mode, key: str | None, atomic: bool
) -> WriteResult:
    if mode == "add":
        return await state.client.add_records(app_id, [r.record for r in batch], all_or_nothing=atomic)
    updates = [
        RecordUpdate(record=r.record, id=r.id, revision=r.revision)
        if r.id is not None
        else RecordUpdate(record=r.record, update_key=UpdateKey(str(key), str(r.key)), revision=r.revision)
        for r in batch
    ]
    if mode == "upsert":
        return await state.client.upsert_records(app_id, updates, all_or_nothing=atomic)
    return await state.client.update_records(app_id, updates, all_or_nothing=atomic)
