"""The cursor API (``records/cursor.json``): create a cursor over a query, read it page by page, delete it.

Facts (docs/kintone-api.md §4.3): ``size`` 1-500 (default 100); the query may filter and sort but must not carry
``limit`` / ``offset``; at most 10 open cursors per domain (one more is GAIA_TM12); a cursor expires about 10
minutes after its last use; the last page removes the cursor; OAuth is refused.

Snapshot semantics: POST captures the ids of the matching records, in query order, so writes made while a cursor is
read neither shift nor repeat records across pages. Each GET reads the current content of the next ``size`` ids;
records deleted since the POST are skipped (that page is then shorter). Cursors live in memory, like Kintone's,
and belong to the user (or API token caller) that created them.

The code for an unknown or expired cursor is not documented; ``CURSOR_NOT_FOUND_*`` below is this sandbox's
choice, kept in one place so that a measurement can correct it.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

from kintone_mcp.sandbox.access.oauthscopes import refuse_oauth
from kintone_mcp.sandbox.endpoints.records import parse_query_param, query_context
from kintone_mcp.sandbox.errors import ErrorReply, invalid
from kintone_mcp.sandbox.http.routing import RequestContext, Router, Services
from kintone_mcp.sandbox.options import SandboxConfig
from kintone_mcp.sandbox.records.read import render_record
from kintone_mcp.sandbox.store import directory, recordstore
from kintone_mcp.sandbox.store.querysql import compile_query

router = Router()

MAX_SIZE = 500
DEFAULT_SIZE = 100
CURSOR_LIMIT_STATUS = 400
CURSOR_LIMIT_CODE = "GAIA_TM12"
CURSOR_NOT_FOUND_STATUS = 404
CURSOR_NOT_FOUND_CODE = "GAIA_CU01"


@dataclass
class Cursor:
    id: str
    app: int
    #: (auth scheme, login) of the creator: another caller cannot read or delete it.
    owner: tuple[str, str]
    fields: frozenset[str] | None
    ids: Sequence[int]
    size: int
    last_used: datetime
    position: int = 0


class CursorRegistry:
    """The open cursors of one sandbox (one Kintone domain). Expired cursors are dropped on every use."""

    def __init__(self, config: SandboxConfig) -> None:
        self._config = config
        self._cursors: dict[str, Cursor] = {}
        self._lock = threading.Lock()

    @property
    def timeout(self) -> timedelta:
        return self._config.cursor_idle_timeout

    def _purge(self, now: datetime) -> None:
        expired = [c.id for c in self._cursors.values() if now - c.last_used > self.timeout]
        for cursor_id in expired:
            del self._cursors[cursor_id]

    def count(self, now: datetime) -> int:
        with self._lock:
            self._purge(now)
            return len(self._cursors)

    def add(self, cursor: Cursor, now: datetime) -> None:
        limit = self._config.cursor_limit
        with self._lock:
            self._purge(now)
            if len(self._cursors) >= limit:
                raise ErrorReply(
                    CURSOR_LIMIT_STATUS,
                    CURSOR_LIMIT_CODE,
                    f"The number of open cursors has reached the limit ({limit}). Read your open cursors to the "
                    f"end or DELETE them, or wait until idle ones expire "
                    f"({int(self.timeout.total_seconds())} seconds after their last use).",
                    params={"limit": limit},
                )
            self._cursors[cursor.id] = cursor

    def take(self, cursor_id: str, owner: tuple[str, str], now: datetime) -> Cursor:
        """The caller's cursor, marked as used now."""
        with self._lock:
            self._purge(now)
            cursor = self._cursors.get(cursor_id)
            if cursor is None or cursor.owner != owner:
                raise _not_found(cursor_id)
            cursor.last_used = now
            return cursor

    def remove(self, cursor_id: str) -> None:
        with self._lock:
            self._cursors.pop(cursor_id, None)


_REGISTRIES: WeakKeyDictionary[Services, CursorRegistry] = WeakKeyDictionary()
_REGISTRIES_LOCK = threading.Lock()


def registry_of(services: Services) -> CursorRegistry:
    # Kept beside the sandbox's services rather than in them: cursors are this module's business, and a weak key lets
    # a closed sandbox's cursors go with it.
    with _REGISTRIES_LOCK:
        registry = _REGISTRIES.get(services)
        if registry is None:
            registry = _REGISTRIES[services] = CursorRegistry(services.config)
        return registry


def open_cursor_count(services: Services) -> int:
    """Cursors open now (expired ones not counted), for tests that check clients clean up after themselves."""
    return registry_of(services).count(services.now())


def _not_found(cursor_id: str) -> ErrorReply:
    shown = cursor_id if len(cursor_id) <= 64 else cursor_id[:64] + "…"
    return ErrorReply(
        CURSOR_NOT_FOUND_STATUS,
        CURSOR_NOT_FOUND_CODE,
        f"The cursor {shown!r} does not exist: it was read to the end, deleted, expired after "
        "being idle, or created by another user. Create a new cursor with POST records/cursor.json.",
    )


def _owner(ctx: RequestContext) -> tuple[str, str]:
    return (ctx.principal.scheme, ctx.login)


@router.route("POST", "records/cursor.json", writes=False)
def create_cursor(ctx: RequestContext) -> dict[str, str]:
    refuse_oauth(ctx.principal, "The cursor API (records/cursor.json)")
    p = ctx.params
    app = ctx.app_param("view")
    size = p.get_int("size", required=False, minimum=1, maximum=MAX_SIZE, default=DEFAULT_SIZE)
    assert size is not None
    query = parse_query_param(p.get_str("query") or "")
    if query.limit is not None or query.offset is not None:
        raise invalid(
            "query",
            "limit and offset cannot be used in a cursor query: remove them and choose the page size with "
            f"'size' (1-{MAX_SIZE}); the cursor returns every matching record.",
        )
    compiled = compile_query(query, app.properties, query_context(ctx, app))
    ids = recordstore.ids_where(ctx.conn, app.id, compiled.where or "1", compiled.params, compiled.order_by)
    # As records.json: an empty or absent ``fields`` means every field.
    fields = frozenset(str(f) for f in p.get_list("fields")) or None
    cursor = Cursor(
        id=str(uuid.uuid4()),
        app=app.id,
        owner=_owner(ctx),
        fields=fields,
        ids=tuple(ids),
        size=size,
        last_used=ctx.now,
    )
    registry_of(ctx.services).add(cursor, ctx.now)
    return {"id": cursor.id, "totalCount": str(len(cursor.ids))}


@router.route("GET", "records/cursor.json")
def read_cursor(ctx: RequestContext) -> dict[str, Any]:
    refuse_oauth(ctx.principal, "The cursor API (records/cursor.json)")
    cursor_id = ctx.params.get_str("id", required=True)
    assert cursor_id is not None
    registry = registry_of(ctx.services)
    cursor = registry.take(cursor_id, _owner(ctx), ctx.now)
    # Checked on every page, as for records.json: the app may have moved, or the token lost its permission.
    app = ctx.app(cursor.app, "view")
    page = list(cursor.ids[cursor.position : cursor.position + cursor.size])
    records: list[dict[str, Any]] = []
    if page:
        by_id = recordstore.load_many(ctx.conn, app.id, page)
        names = directory.load_names(ctx.conn)
        records = [render_record(app, by_id[i], names, cursor.fields) for i in page if i in by_id]
    cursor.position += len(page)
    more = cursor.position < len(cursor.ids)
    if not more:
        registry.remove(cursor.id)
    return {"records": records, "next": more}


@router.route("DELETE", "records/cursor.json", writes=False)
def delete_cursor(ctx: RequestContext) -> dict[str, Any]:
    refuse_oauth(ctx.principal, "The cursor API (records/cursor.json)")
    cursor_id = ctx.params.get_str("id", required=True)
    assert cursor_id is not None
    registry = registry_of(ctx.services)
    cursor = registry.take(cursor_id, _owner(ctx), ctx.now)
    ctx.app(cursor.app, "view")
    registry.remove(cursor.id)
    return {}
