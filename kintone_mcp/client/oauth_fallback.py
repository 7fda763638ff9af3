"""What the client does instead of the cursor and bulkRequest APIs, which Kintone refuses to OAuth callers.

* Reading every match: ``records.json`` pages keyed on ``$id`` (``$id < last order by $id desc limit N``). Unlike
  offset paging this has no 10,000-record ceiling and never skips or repeats a record when others are added or
  deleted meanwhile. A query ordered by anything but ``$id`` cannot be keyed that way; it is paged by offset,
  which Kintone stops at offset 10,000, and past that the iteration fails with a message saying what to change.
* Writing more than 100 records: sequential calls of 100, each its own transaction. What a bulkRequest of up to
  2,000 records would have made all-or-nothing is no longer so; :data:`sequential_note` says that in the result.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator, Sequence
from typing import Any

from kintone_mcp.client.connection import Connection
from kintone_mcp.client.keyset import after_id, fields_with_id, id_ordered, last_id_of
from kintone_mcp.client.models.record import Record
from kintone_mcp.query import Query, parse, to_text
from kintone_mcp.query.check import MAX_LIMIT as MAX_PAGE  # Kintone's largest records.json page
from kintone_mcp.query.check import MAX_OFFSET  # Kintone refuses offsets beyond this


def refuses_cursor_and_bulk(conn: Connection) -> bool:
    """True when the connection authenticates REST calls with OAuth, which the cursor and bulk APIs refuse."""
    return bool(getattr(conn.credentials.rest, "refuses_cursor_and_bulk", False))


def sequential_note(total: int, chunk: int) -> str | None:
    """What a write of ``total`` records in sequential calls of ``chunk`` gives up, or None when it is one call."""
    if total <= chunk:
        return None
    calls = -(-total // chunk)
    return (
        f"OAuth cannot use bulkRequest, so these {total} records were written in {calls} separate calls of up to "
        f"{chunk}: each call is all-or-nothing, the write as a whole is not (a failure leaves earlier calls written)."
    )


async def keyset_pages(
    conn: Connection,
    app: int,
    *,
    query: str,
    fields: Sequence[str] | None,
    page_size: int,
) -> AsyncGenerator[tuple[list[Record], int], None]:
    """Pages of every record matching ``query`` (conditions and ``order by``, no ``limit``/``offset``), each with
    the number of matches counted on the first page."""
    parsed = parse(query) if query.strip() else Query()
    if parsed.limit is not None or parsed.offset is not None:
        raise ValueError("a query read page by page cannot have limit or offset: remove them")
    size = max(1, min(page_size, MAX_PAGE))
    wanted, drop_id = fields_with_id(fields)
    by_id = id_ordered(parsed)
    last: int | None = None
    offset = 0
    total = 0
    while True:
        first = offset == 0
        if by_id is not None:
            text = to_text(dataclasses.replace(after_id(by_id, last), limit=size))
        else:
            if offset > MAX_OFFSET:
                raise ValueError(
                    f"Without the cursor API (refused to OAuth) a query ordered by "
                    f"{', '.join(k.field.code for k in parsed.order_by)} can be read only up to {MAX_OFFSET + size} "
                    f"records, and it matches {total}. Drop the order by (records then come in $id order, with no "
                    "limit) or narrow the conditions."
                )
            text = to_text(dataclasses.replace(parsed, limit=size, offset=offset or None))
        params: dict[str, Any] = {"app": app, "query": text, "fields": wanted}
        if first:
            params["totalCount"] = True
        data = await conn.call("GET", "rest", "records", params=params, apps=(app,))
        raw: list[dict[str, Any]] = data["records"]
        if first:
            total = int(data.get("totalCount") or 0)
        last = last_id_of(raw, drop_id)
        offset += len(raw)
        yield [Record(r) for r in raw], total
        if len(raw) < size:
            return
