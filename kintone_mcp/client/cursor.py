"""Iterating every record that matches a query with the cursor API (``records/cursor.json``).

Kintone allows only 10 open cursors per domain, and an abandoned one lingers for about 10 minutes, so a cursor
this client opened is deleted whenever iteration ends before Kintone says it is exhausted: on an error, on
cancellation, or when the caller stops early. The iterators are async generators: leave them with ``break``
inside ``async with contextlib.aclosing(...)``, or call ``aclose()``, so the clean-up runs at once rather than
when the generator is garbage-collected.

Reading a page is not idempotent: each GET moves the cursor on, so a page whose answer is lost is lost for good on
that cursor, and sending the GET again would silently skip it. When the client has a retry policy and the query is
ordered by ``$id`` (or not at all: the cursor is then opened with Kintone's default order, ``$id desc``, written
out), a lost page is recovered by opening a new cursor for the records after the last one received
(``$id < last``), so nothing is skipped or repeated. Any other order cannot be resumed that way, and the iteration
fails with the cause. Opening and deleting a cursor are safe to repeat (an extra cursor only expires).

A client built with ``max_open_cursors`` keeps at most that many of its cursors open at once: a further iteration
waits for one to finish rather than being refused by Kintone (GAIA_TM12, 10 per domain). It is off by default,
because a caller holding several iterations open in one task would wait on itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

import anyio

from kintone_mcp.client import oauth_fallback
from kintone_mcp.client.connection import Connection
from kintone_mcp.client.errors import KintoneError, OutcomeUnknownError
from kintone_mcp.client.keyset import after_id, fields_with_id, id_ordered, last_id_of
from kintone_mcp.client.models.record import Record
from kintone_mcp.client.retry import Delivery, Failure
from kintone_mcp.query import Query, parse, to_text
from kintone_mcp.query.errors import QuerySyntaxError

logger = logging.getLogger("kintone_mcp.client")

#: Kintone's largest cursor page
MAX_CURSOR_PAGE = 500
#: how long deleting an abandoned cursor may take before it is left to expire
CURSOR_DELETE_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class CursorPage:
    """One page of a cursor; ``total_count`` is the number of matches when the cursor was opened."""

    records: list[Record]
    total_count: int


@dataclass(frozen=True)
class _Resumable:
    """A cursor query ordered by ``$id``, and how to continue it after a given record."""

    query: Query
    fields: list[str] | None
    #: ``$id`` was added to the fields only to know where to resume: drop it from what is yielded
    drop_id: bool

    @classmethod
    def of(cls, query: str, fields: Sequence[str] | None) -> _Resumable | None:
        try:
            parsed = parse(query) if query.strip() else Query()
        except QuerySyntaxError:
            return None  # Kintone will say what is wrong with it
        ordered = id_ordered(parsed)
        if ordered is None:
            return None
        return cls(ordered, *fields_with_id(fields))

    def text(self, after: int | None) -> str:
        return to_text(after_id(self.query, after))


class CursorMixin:
    """Part of :class:`~kintone_mcp.client.KintoneClient`."""

    _conn: Connection

    async def iter_record_pages(
        self,
        app: int,
        *,
        query: str = "",
        fields: Sequence[str] | None = None,
        page_size: int = MAX_CURSOR_PAGE,
    ) -> AsyncGenerator[CursorPage, None]:
        """Every record matching ``query`` (conditions and ``order by``; no ``limit``/``offset``), page by page."""
        if not 1 <= page_size <= MAX_CURSOR_PAGE:
            raise ValueError(f"page_size must be between 1 and {MAX_CURSOR_PAGE}")
        if oauth_fallback.refuses_cursor_and_bulk(self._conn):
            # Kintone refuses the cursor to OAuth callers: page records.json by $id instead.
            keyset = oauth_fallback.keyset_pages(self._conn, app, query=query, fields=fields, page_size=page_size)
            async with aclosing(keyset):
                async for records, total in keyset:
                    yield CursorPage(records, total)
            return
        # Kintone allows 10 open cursors per domain and refuses the 11th (GAIA_TM12); a client configured with a
        # cursor limit waits for one of its own to finish instead.
        slots = self._conn.cursor_slots
        token = object()
        if slots is not None:
            await slots.acquire_on_behalf_of(token)
        try:
            pages = self._cursor_pages(app, query, fields, page_size)
            async with aclosing(pages):
                async for page in pages:
                    yield page
        finally:
            if slots is not None:
                slots.release_on_behalf_of(token)

    async def _cursor_pages(
        self, app: int, query: str, fields: Sequence[str] | None, page_size: int
    ) -> AsyncGenerator[CursorPage, None]:
        resumable = _Resumable.of(query, fields)
        if resumable is not None:
            query, fields = resumable.text(None), resumable.fields
        cursor_id: str | None
        cursor_id, total = await self._open_cursor(app, query, fields, page_size)
        exhausted = False
        last_id: int | None = None
        lost = 0
        started = time.monotonic()
        try:
            while not exhausted:
                assert cursor_id is not None
                try:
                    page = await self._conn.call(
                        "GET", "rest", "records/cursor", params={"id": cursor_id}, apps=(app,), idempotent=False
                    )
                except OutcomeUnknownError as exc:
                    # The cursor may have moved past a page we never got.
                    lost += 1
                    failure = Failure(exc.cause, Delivery.UNKNOWN, transient=True)
                    delay = self._conn.retry_policy.delay_before_retry(lost, time.monotonic() - started, failure)
                    if resumable is None or delay is None:
                        if resumable is None and delay is not None:
                            exc.cause.args = (
                                f"{exc.cause} A page of records may have been lost with that answer, and this read "
                                "cannot resume after it because its query is not ordered by $id: read again.",
                            )
                        raise exc.cause from None
                    logger.info("a cursor page of app %s was lost (%s); resuming after record %s", app, exc, last_id)
                    await self._delete_cursor(app, cursor_id)
                    cursor_id = None
                    await anyio.sleep(delay)
                    cursor_id, _ = await self._open_cursor(app, resumable.text(last_id), fields, page_size)
                    continue
                # Kintone drops the cursor itself once it has sent the last page.
                exhausted = not page.get("next")
                raw: list[dict[str, Any]] = page["records"]
                if resumable is not None:
                    last_id = last_id_of(raw, resumable.drop_id) or last_id
                yield CursorPage([Record(r) for r in raw], total)
        finally:
            if not exhausted and cursor_id is not None:
                await self._delete_cursor(app, cursor_id)

    async def _open_cursor(self, app: int, query: str, fields: Sequence[str] | None, page_size: int) -> tuple[str, int]:
        body: dict[str, object] = {"app": app, "size": page_size}
        if query:
            body["query"] = query
        if fields:
            body["fields"] = list(fields)
        # Safe to repeat: a second cursor from a lost answer changes no data and expires unused.
        created = await self._conn.call("POST", "rest", "records/cursor", body=body, apps=(app,), idempotent=True)
        return str(created["id"]), int(created.get("totalCount") or 0)

    async def iter_records(
        self,
        app: int,
        *,
        query: str = "",
        fields: Sequence[str] | None = None,
        page_size: int = MAX_CURSOR_PAGE,
    ) -> AsyncGenerator[Record, None]:
        """Every record matching ``query``, one at a time (see :meth:`iter_record_pages`)."""
        pages = self.iter_record_pages(app, query=query, fields=fields, page_size=page_size)
        async with aclosing(pages):
            async for page in pages:
                for record in page.records:
                    yield record

    async def delete_cursor(self, app: int, cursor_id: str) -> None:
        """Deletes a cursor (for cursors opened elsewhere; the iterators clean up their own)."""
        await self._conn.call("DELETE", "rest", "records/cursor", body={"id": cursor_id}, apps=(app,), idempotent=True)

    async def _delete_cursor(self, app: int, cursor_id: str) -> None:
        # Shielded: this runs while the iteration is being cancelled, and must still reach Kintone.
        with anyio.CancelScope(shield=True), anyio.move_on_after(CURSOR_DELETE_TIMEOUT):
            try:
                await self.delete_cursor(app, cursor_id)
            except KintoneError as exc:
                # Never mask the error that ended the iteration; the cursor expires on its own eventually.
                logger.warning("could not delete Kintone cursor for app %s: %s", app, exc)
