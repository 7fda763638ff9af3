"""Per request, per user: the narrowing headers, and the state a tool call of that user runs with.

Every request to the MCP endpoint has passed the bearer check by the time it gets here (``scope["user"]`` holds
the verified token). This layer builds that request's :class:`~kintone_mcp.server.state.ServerState`: a Kintone
client signed with *that user's* Kintone token (so Kintone enforces that user's permissions), the user's own
schema cache (keyed by the sign-in, never shared), and the server's policy narrowed by the request's headers:

* ``X-MCP-Readonly: true`` offers no tool that writes;
* ``X-MCP-Toolsets: core,records`` offers only those toolsets (each must be on in the server);
* ``X-MCP-Apps: 2,deals`` lets calls reach only those apps (each must be allowed by the server).

A header can only narrow: one that names a toolset the server does not offer, or an app its lists do not allow,
is refused with 400 naming it, rather than quietly ignored (the user asked for something the server will not do).
"""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import anyio
import httpx2
from starlette.types import ASGIApp, Receive, Scope, Send

from kintone_mcp.auth.oauth_errors import OAuthUnavailable
from kintone_mcp.server.policy import Policy, PolicyConfigError
from kintone_mcp.server.state import REQUEST_STATE, SchemaCache, ServerOptions, ServerState
from kintone_mcp.server.toolsets import UnknownToolsetError, resolve_toolsets

logger = logging.getLogger(__name__)

#: sign-ins whose caches a replica keeps (least recently used beyond it are dropped; they are only caches)
MAX_USERS = 1000
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class NarrowingError(ValueError):
    """A narrowing header is malformed or would widen the server's policy; the text names it."""


def narrow(policy: Policy, headers: dict[str, str]) -> Policy:
    """The policy for a request with these (lower-cased) headers."""
    out = policy
    readonly = headers.get("x-mcp-readonly")
    if readonly is not None:
        value = readonly.strip().lower()
        if value not in _TRUE | _FALSE:
            raise NarrowingError(f"X-MCP-Readonly must be true or false, got {readonly[:40]!r}")
        if value in _FALSE and policy.read_only:
            raise NarrowingError("X-MCP-Readonly: false cannot lift this server's read-only setting")
        out = replace(out, read_only=policy.read_only or value in _TRUE)
    toolsets = headers.get("x-mcp-toolsets")
    if toolsets is not None:
        names = [t.strip() for t in toolsets.split(",") if t.strip()]
        try:
            chosen = resolve_toolsets(names)
        except UnknownToolsetError as exc:
            raise NarrowingError(f"X-MCP-Toolsets: {exc}") from None
        wider = sorted(chosen - policy.toolsets)
        if wider:
            raise NarrowingError(
                f"X-MCP-Toolsets names {', '.join(wider)}, which this server does not offer "
                f"(on: {', '.join(sorted(policy.toolsets))}); a header can only narrow"
            )
        out = replace(out, toolsets=frozenset(chosen))
    apps = headers.get("x-mcp-apps")
    if apps is not None:
        wanted = [a.strip() for a in apps.split(",") if a.strip()]
        try:
            ids = Policy.build(allow_apps=wanted, aliases=dict(policy.aliases)).allow_apps or frozenset()
        except PolicyConfigError as exc:
            raise NarrowingError(f"X-MCP-Apps: {exc}") from None
        refused = sorted(i for i in ids if not policy.app_allowed(i))
        if refused:
            raise NarrowingError(
                f"X-MCP-Apps names app(s) {', '.join(map(str, refused))}, which this server does not allow; "
                "a header can only narrow"
            )
        current = policy.allow_apps
        out = replace(out, allow_apps=ids if current is None else ids & current)
    return out


@dataclass
class UserCaches:
    """Each sign-in's own caches, bounded in number: nothing one user's call learns is seen by another's."""

    limit: int = MAX_USERS
    _entries: OrderedDict[str, tuple[SchemaCache, set[int]]] = field(default_factory=OrderedDict)

    def of(self, subject: str) -> tuple[SchemaCache, set[int]]:
        entry = self._entries.get(subject)
        if entry is None:
            entry = (SchemaCache(), set())
            self._entries[subject] = entry
            while len(self._entries) > self.limit:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(subject)
        return entry


class RemoteBearerAuth(httpx2.Auth):
    """Signs Kintone requests with one user's Kintone access token, within the replica's concurrency budget.

    The token came out of the user's sealed access token; when Kintone refuses it (expired, revoked), the call
    says to sign in again — the MCP client refreshes or signs in, never this server on its own."""

    uses_authorization_header = True
    refuses_cursor_and_bulk = True

    def __init__(self, token: str, limiter: anyio.CapacityLimiter) -> None:
        self._token = token
        self._limiter = limiter

    def secret_values(self) -> list[str]:
        return [self._token]

    def describe(self) -> str:
        return "the signed-in user's Kintone OAuth token"

    def __repr__(self) -> str:
        return "RemoteBearerAuth(token='***')"

    async def async_auth_flow(self, request: httpx2.Request) -> Any:
        request.headers["Authorization"] = f"Bearer {self._token}"
        async with self._limiter:
            response = yield request
        if response.status_code == 401:
            raise OAuthUnavailable(
                "Kintone no longer accepts this sign-in (it expired, was revoked, or the user signed out).",
                connection=None,
                fix="Sign in again: reconnect the Kintone connector in the assistant.",
            )


class SharedTransport(httpx2.AsyncBaseTransport):
    """One replica's connection pool to Kintone, lent to every request's client: a client closing it at the end
    of its request must not close it for the others (connections carry no user's credentials; each request's
    ``Authorization`` header does). Closed with the app (``close``)."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        pass  # a request's client ends; the pool stays

    async def close(self) -> None:
        await self.inner.aclose()


class UserRequestMiddleware:
    """Wraps the MCP endpoint (inside the bearer check): narrows the policy and binds the user's state."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        policy: Policy,
        options: ServerOptions,
        client_for: Callable[[httpx2.Auth], Any],
        limiter: anyio.CapacityLimiter,
        caches: UserCaches | None = None,
    ) -> None:
        self.app = app
        self.policy = policy
        self.options = options
        self.client_for = client_for
        self.limiter = limiter
        self.caches = caches or UserCaches()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        user = scope.get("user")
        access = getattr(user, "access_token", None)
        kintone_token = getattr(access, "kintone_access", None)
        subject = getattr(access, "subject", None)
        if not kintone_token or not subject:  # the bearer check lets nothing else through; refuse if it did
            await _refuse(send, 401, "sign in first")
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        try:
            policy = narrow(self.policy, headers)
        except NarrowingError as exc:
            logger.info("request refused: %s", exc)
            await _refuse(send, 400, str(exc))
            return
        schemas, created = self.caches.of(subject)
        policy = replace(policy, created_apps=created)
        auth = RemoteBearerAuth(kintone_token, self.limiter)
        state = ServerState(client_factory=lambda: self.client_for(auth), policy=policy, options=self.options,
                            schemas=schemas)
        bound = REQUEST_STATE.set(state)
        started = time.monotonic()
        try:
            await self.app(scope, receive, send)
        finally:
            REQUEST_STATE.reset(bound)
            await state.aclose()
            logger.debug("request served in %.3f s", time.monotonic() - started)


async def _refuse(send: Send, status: int, reason: str) -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": reason}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
