"""What every tool call shares: the one client, the policy, server options, and a short-lived cache of app schemas.

The lifespan builds this once (no network: the client connects on first use), and tools reach it through their
``Context``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kintone_mcp.server.fieldinfo import Properties
from kintone_mcp.server.policy import Policy

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context

    from kintone_mcp.client import KintoneClient

#: How long an app's field list is trusted. Long enough that a conversation's read-then-write pair costs one
#: fields.json call, short enough that a form change made meanwhile is seen within a minute.
SCHEMA_TTL_SECONDS = 60.0


@dataclass(frozen=True)
class ServerOptions:
    auth_type: str = "password"
    base_url: str = ""
    #: download_file writes here; None disables saving (small text files are still returned inline).
    download_dir: Path | None = None
    #: the connection has a credential the cybozu.com User API accepts (password or User API token)
    user_api: bool = False
    #: an HTTPS proxy resolves names, so a local DNS failure means nothing
    proxy: bool = False


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
        self._entries.pop(app, None)


@dataclass
class ServerState:
    client: KintoneClient
    policy: Policy
    options: ServerOptions
    schemas: SchemaCache = field(default_factory=SchemaCache)

    async def fields(self, app: int, *, fresh: bool = False) -> Properties:
        """The app's field properties in Kintone's JSON form, from the cache when recent."""
        cached = None if fresh else self.schemas.get(app)
        if cached is not None:
            return cached
        props = dict((await self.client.get_fields(app)).raw())
        self.schemas.put(app, props)
        return props


def state_of(ctx: Context[Any, Any]) -> ServerState:
    state = ctx.request_context.lifespan_context
    assert isinstance(state, ServerState)
    return state
