"""What every tool call shares: the one client, the policy, server options, and a short-lived cache of app schemas.

The lifespan builds this once and tools reach it through their ``Context``. The client itself is built on first
use, not in the lifespan: the lifespan runs before ``initialize`` is answered, and importing the client (its
pydantic models) and building its TLS context would make every host wait for tools it may never call.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from kintone_mcp.redaction import LogRedaction, redact_logs
from kintone_mcp.server.fieldinfo import Properties
from kintone_mcp.server.policy import Policy

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context

    from kintone_mcp.client import KintoneClient

#: How long an app's field list is trusted. Long enough that a conversation's read-then-write pair costs one
#: fields.json call, short enough that a form change made meanwhile is seen within a minute.
SCHEMA_TTL_SECONDS = 60.0
#: Largest attachment download_file saves by default: far above office documents, far below a full disk.
DEFAULT_DOWNLOAD_MAX_BYTES = 100 * 1024 * 1024


@dataclass(frozen=True)
class ServerOptions:
    auth_type: str = "password"
    base_url: str = ""
    #: download_file writes here; None disables saving (small text files are still returned inline).
    download_dir: Path | None = None
    #: download_file refuses attachments larger than this (announced or streamed), in bytes
    download_max_bytes: int = DEFAULT_DOWNLOAD_MAX_BYTES
    #: the connection has a credential the cybozu.com User API accepts (password or User API token)
    user_api: bool = False
    #: an HTTPS proxy resolves names, so a local DNS failure means nothing
    proxy: bool = False
    #: which calls ask the person first (KINTONE_CONFIRM; server/confirm.py): destructive, writes or never
    confirm: Literal["destructive", "writes", "never"] = "destructive"
    #: bulk writes of more records than this count as destructive (KINTONE_CONFIRM_BULK)
    confirm_bulk: int = 100


@dataclass
class SchemaCache:
    ttl: float = SCHEMA_TTL_SECONDS
    _entries: dict[int, tuple[float, dict[str, Any]]] = field(default_factory=dict)

    def get(self, app: int) -> dict[str, Any] | None:
        hit = self._entries.get(app)
        if hit is None or time.monotonic() - hit[0] > self.ttl:
            return None
        return hit[1]

    def put(self, app: int, properties: dict[str, Any]) -> None:
        self._entries[app] = (time.monotonic(), properties)

    def forget(self, app: int) -> None:
        """Drop an app's fields, so that the next record tool reads them again (after a deploy changed them)."""
        self._entries.pop(app, None)


@dataclass
class LookupCache:
    """Lists the completions and prompts read from Kintone (apps, views, states, users), per connection: a host
    asks for completions at every keystroke, and a list a minute old is as good as a fresh one for a menu."""

    ttl: float = SCHEMA_TTL_SECONDS
    _entries: dict[tuple[Any, ...], tuple[float, Any]] = field(default_factory=dict)

    def get(self, key: tuple[Any, ...]) -> Any | None:
        hit = self._entries.get(key)
        return None if hit is None or time.monotonic() - hit[0] > self.ttl else hit[1]

    def put(self, key: tuple[Any, ...], value: Any) -> None:
        self._entries[key] = (time.monotonic(), value)


@dataclass
class ServerState:
    #: builds the client on first use; does no I/O (the client connects when it first sends)
    client_factory: Callable[[], KintoneClient]
    policy: Policy
    options: ServerOptions
    schemas: SchemaCache = field(default_factory=SchemaCache)
    lookups: LookupCache = field(default_factory=LookupCache)
    _client: KintoneClient | None = field(default=None, init=False, repr=False)
    _redaction: LogRedaction | None = field(default=None, init=False, repr=False)
    _closed: bool = field(default=False, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def client(self) -> KintoneClient:
        """The one client of this lifespan, built on first use; every caller gets the same one.

        Built synchronously: on the event loop, two first calls cannot interleave between the check and the
        assignment, and the lock covers callers on worker threads. A factory that fails (a client certificate
        that cannot be opened) raises to this call, and the next call tries again.
        """
        client = self._client
        if client is not None:
            return client
        with self._lock:
            if self._client is None:
                if self._closed:
                    raise RuntimeError("the Kintone client was asked for after the server closed it")
                built = self.client_factory()
                # Whatever is logged from now on (a library's debug output, a crash's traceback) has the
                # connection's secrets masked, whichever handler writes it. Nothing was sent before this point.
                self._redaction = redact_logs(built.redactor)
                self._client = built
            return self._client

    async def aclose(self) -> None:
        """Closes the client if one was built, and stops masking its secrets in the logs."""
        with self._lock:
            self._closed = True
            client, self._client = self._client, None
            redaction, self._redaction = self._redaction, None
        try:
            if client is not None:
                await client.aclose()
        finally:
            if redaction is not None:
                redaction.close()

    async def fields(self, app: int, *, fresh: bool = False) -> Properties:
        """The app's field properties in Kintone's JSON form, from the cache when recent."""
        cached = None if fresh else self.schemas.get(app)
        if cached is not None:
            return cached
        props = dict((await self.client.get_fields(app)).raw())
        self.schemas.put(app, props)
        return props


#: The state of the request being served, when it is not the lifespan's: the remote multi-user mode builds one per
#: request, with that user's client, that user's schema cache and the request's narrowed policy (server/remote/).
REQUEST_STATE: ContextVar[ServerState | None] = ContextVar("kintone_mcp_request_state", default=None)


def state_of(ctx: Context[Any, Any]) -> ServerState:
    request = REQUEST_STATE.get()
    if request is not None:
        return request
    state = ctx.request_context.lifespan_context
    assert isinstance(state, ServerState)
    return state
