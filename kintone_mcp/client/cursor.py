"""Iterating every record that matches a query with the cursor API (``records/cursor.json``).

Kintone allows only 10 open cursors per domain, and an abandoned one lingers for about 10 minutes, so a cursor
this client opened is deleted whenever iteration ends before Kintone says it is exhausted: on an error, on
cancellation, or when the caller stops early. The iterators are async generators: leave them with ``break``
inside ``async with contextlib.aclosing(...)``, or call ``aclose()``, so the clean-up runs at once rather than
when the generator is garbage-collected.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from dataclasses import dataclass

import anyio

from kintone_mcp.client import oauth_fallback
from kintone_mcp.client.connection import Connection
from kintone_mcp.client.errors import KintoneError
from kintone_mcp.client.models.record import Record

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
        body: dict[str, object] = {"app": app, "size": page_size}
        if query:
            body["query"] = query
        if fields:
            body["fields"] = list(fields)
        created = await self._conn.call("POST", "rest", "records/cursor", body=body, apps=(app,))
        cursor_id = str(created["id"])
        total = int(created.get("totalCount") or 0)
        exhausted = False
        try:
            while not exhausted:
                page = await self._conn.call("GET", "rest", "records/cursor", params={"id": cursor_id}, apps=(app,))
                # Kintone drops the cursor itself once it has sent the last page.
                exhausted = not page.get("next")
                yield CursorPage([Record(r) for r in page["records"]], total)
        finally:
            if not exhausted:
                await self._delete_cursor(app, cursor_id)

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
        await self._conn.call("DELETE", "rest", "records/cursor", body={"id": cursor_id}, apps=(app,))

    async def _delete_cursor(self, app: int, cursor_id: str) -> None:
        # Shielded: this runs while the iteration is being cancelled, and must still reach Kintone.
        with anyio.CancelScope(shield=True), anyio.move_on_after(CURSOR_DELETE_TIMEOUT):
            try:
                await self.delete_cursor(app, cursor_id)
            except KintoneError as exc:
                # Never mask the error that ended the iteration; the cursor expires on its own eventually.
                logger.warning("could not delete Kintone cursor for app %s: %s", app, exc)
