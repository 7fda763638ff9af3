"""Writes over many records: one request up to 100, bulkRequest transactions of up to 20 x 100 beyond.

Kintone takes at most 100 records per write call and at most 20 calls per ``bulkRequest.json``, which runs as one
transaction. A write of N records is therefore cut into chunks of 100 and the chunks into transactions of 20,
sent one after the other. What is atomic is exactly one transaction; see
:class:`~kintone_mcp.client.results.WriteResult`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from kintone_mcp.client.connection import Connection
from kintone_mcp.client.errors import ApiError, BulkWriteError, WriteOutcomeUnknownError
from kintone_mcp.client.oauth_fallback import refuses_cursor_and_bulk, sequential_note
from kintone_mcp.client.results import Transaction, WriteResult, WrittenRecord
from kintone_mcp.client.spaces import Space

#: records per write request (Kintone's limit)
CHUNK_SIZE = 100
#: requests per bulkRequest (Kintone's limit)
REQUESTS_PER_BULK = 20
#: records per transaction
TRANSACTION_SIZE = CHUNK_SIZE * REQUESTS_PER_BULK

T = TypeVar("T")
PayloadOf = Callable[[Sequence[T]], dict[str, Any]]
ResultsOf = Callable[[Any, Sequence[T]], list[WrittenRecord]]

_RECORD_INDEX = re.compile(r"^records\[(\d+)\]")


def plan(total: int, transaction_size: int = TRANSACTION_SIZE) -> list[Transaction]:
    """The transactions a write of ``total`` records is cut into (one, with no bulkRequest, up to 100)."""
    if total <= CHUNK_SIZE:
        return [Transaction(0, 0, total)] if total else []
    return [
        Transaction(i, start, min(start + transaction_size, total))
        for i, start in enumerate(range(0, total, transaction_size))
    ]


def _shift_record_indexes(error: ApiError, offset: int) -> tuple[ApiError, int | None]:
    """The error with ``records[k]`` keys moved to the caller's numbering, and the first record index named."""
    first: int | None = None
    shifted: dict[str, list[str]] = {}
    for key, messages in error.field_errors.items():
        match = _RECORD_INDEX.match(key)
        if match:
            index = int(match.group(1)) + offset
            first = index if first is None else min(first, index)
            key = f"records[{index}]{key[match.end() :]}"
        shifted[key] = messages
    if offset == 0 or first is None:
        return error, first
    moved = type(error)(
        status=error.status,
        code=error.code,
        message=error.message,
        field_errors=shifted,
        request_id=error.request_id,
        method=error.method,
        path=error.path,
        hint=error.hint,
    )
    moved.bulk_index = error.bulk_index
    moved.retryable = error.retryable
    return moved, first


async def write_many(
    conn: Connection,
    *,
    method: str,
    endpoint: str,
    items: Sequence[T],
    payload_of: PayloadOf[T],
    results_of: ResultsOf[T],
    apps: Sequence[int],
    all_or_nothing: bool = False,
    idempotent: bool = False,
) -> WriteResult:
    """Writes ``items`` and returns what was written; raises :class:`ApiError` when nothing was committed and
    :class:`BulkWriteError` when earlier transactions were committed before one failed. A transaction whose
    outcome is unknown raises :class:`WriteOutcomeUnknownError` (with ``result`` saying what was committed before
    it when that is anything).

    ``all_or_nothing=True`` refuses (before sending anything) a write that cannot be one transaction (> 2,000).
    ``idempotent=True`` (every item revision-guarded) lets a transaction be sent again after a lost answer.
    """
    # OAuth callers cannot use bulkRequest: every call of 100 is then a transaction of its own.
    sequential = refuses_cursor_and_bulk(conn)
    size = CHUNK_SIZE if sequential else TRANSACTION_SIZE
    transactions = plan(len(items), size)
    note = sequential_note(len(items), CHUNK_SIZE) if sequential else None
    result = WriteResult(total=len(items), atomicity_note=note)
    if all_or_nothing and len(transactions) > 1:
        raise ValueError(
            f"{len(items)} records cannot be written atomically: one transaction holds at most {size}"
            + (" (OAuth cannot use bulkRequest)." if sequential else ".")
        )
    for position, tx in enumerate(transactions):
        batch = items[tx.start : tx.stop]
        try:
            if len(items) <= CHUNK_SIZE or sequential:
                written = results_of(
                    await conn.call(method, "rest", endpoint, body=payload_of(batch), apps=apps, idempotent=idempotent),
                    batch,
                )
            else:
                written = await _bulk(conn, method, endpoint, batch, payload_of, results_of, apps, idempotent)
        except WriteOutcomeUnknownError as exc:
            if not result.committed and position == len(transactions) - 1:
                raise
            result.not_attempted = transactions[position + 1 :]
            unknown = WriteOutcomeUnknownError(
                method=exc.method,
                path=exc.path,
                cause=exc.cause,
                attempts=exc.attempts,
                operation=exc.operation,
                check=exc.check,
                reason=(
                    f"records #{tx.start}-#{tx.stop - 1} of the input (transaction {tx.index}) got no definite answer "
                    f"({exc.cause}); {result.committed_count} records before them were committed and stay written, "
                    f"{result.not_attempted_count} after them were not sent"
                ),
            )
            unknown.result = result
            raise unknown from None
        except ApiError as exc:
            offset = tx.start + CHUNK_SIZE * (exc.bulk_index or 0)
            error, index = _shift_record_indexes(exc, offset)
            if not result.committed:
                raise error from None
            result.failed = tx
            result.not_attempted = transactions[position + 1 :]
            raise BulkWriteError(result, error, index) from None
        result.committed.append(tx)
        result.records.extend(written)
    return result


async def _bulk(
    conn: Connection,
    method: str,
    endpoint: str,
    batch: Sequence[T],
    payload_of: PayloadOf[T],
    results_of: ResultsOf[T],
    apps: Sequence[int],
    idempotent: bool,
) -> list[WrittenRecord]:
    chunks = [batch[i : i + CHUNK_SIZE] for i in range(0, len(batch), CHUNK_SIZE)]

    def body(space: Space) -> dict[str, Any]:
        api = conn.rest_path(endpoint, space=space)
        return {"requests": [{"method": method, "api": api, "payload": payload_of(chunk)} for chunk in chunks]}

    # The body names each request's path: on the wrong one for the app (refused, so nothing was committed), the
    # body is written again for the path Kintone's refusal led to.
    used = conn.space_for(apps)
    try:
        data = await conn.call("POST", "rest", "bulkRequest", body=body(used), apps=apps, idempotent=idempotent,
                               space=used)  # fmt: skip
    except ApiError as exc:
        if not await conn.relearn_space(apps[0], exc, used):
            raise
        space = conn.space_for(apps)
        data = await conn.call("POST", "rest", "bulkRequest", body=body(space), apps=apps, idempotent=idempotent,
                               space=space)  # fmt: skip
    written: list[WrittenRecord] = []
    for chunk, answer in zip(chunks, data["results"], strict=True):
        written.extend(results_of(answer, chunk))
    return written
