"""Streamable HTTP transport: loopback by default, DNS-rebinding protection always on, a bearer token required
before the server will listen anywhere else.

A server that holds Kintone credentials and listens on a network address without authentication hands those
credentials to anyone who can reach the port, so binding a non-loopback address without a token is refused at
start-up rather than warned about. The token is compared in constant time and wraps the whole ASGI app (every path).
Request bodies are bounded (``KINTONE_MCP_HTTP_MAX_BODY``, 1 MiB by default: far more than any tool call a model
writes) and refused with 413 before the MCP layer would buffer them. A request must arrive whole within
``KINTONE_MCP_HTTP_READ_TIMEOUT`` and at most ``KINTONE_MCP_HTTP_MAX_CONNECTIONS`` connections are held
(``http_limits``); sessions are capped (``KINTONE_MCP_HTTP_MAX_SESSIONS``) and closed when unused for
``KINTONE_MCP_HTTP_SESSION_IDLE_TIMEOUT`` seconds.

Sessions are stateful with SSE answers (the SDK default) because progress notifications during long reads are
dropped on a stateless JSON-only connection (docs/mcp-sdk.md §1.3).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kintone_mcp.loopback import is_loopback

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

logger = logging.getLogger(__name__)

#: largest request body accepted by default, in bytes
DEFAULT_MAX_BODY = 1024 * 1024
#: Streamable HTTP sessions open at once by default, and how long one may stay unused (KINTONE_MCP_HTTP_*)
DEFAULT_MAX_SESSIONS = 100
DEFAULT_SESSION_IDLE_TIMEOUT = 1800.0
#: connections held at once, and seconds a request may take to arrive (see http_limits)
DEFAULT_MAX_CONNECTIONS = 200
DEFAULT_READ_TIMEOUT = 20.0


class TransportConfigError(ValueError):
    """The HTTP transport settings are unsafe or inconsistent; raised before anything listens."""


class BearerTokenMiddleware:
    """Refuses every HTTP request whose ``Authorization`` header is not ``Bearer <token>`` (401)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = b""
            for key, value in scope.get("headers", []):
                if key == b"authorization":
                    given = value
                    break
            if not hmac.compare_digest(given, self._expected):
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"www-authenticate", b'Bearer error="invalid_token"'),
                            (b"content-type", b"text/plain; charset=utf-8"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": b"missing or wrong bearer token\n"})
                return
        await self.app(scope, receive, send)


class BodySizeLimitMiddleware:
    """Answers 413 to a request whose body is larger than ``max_bytes``.

    A declared ``Content-Length`` over the limit is refused without reading anything; a body sent without one
    (chunked) is read up to the limit and refused as soon as it goes past it. A body within the limit is handed on
    unchanged, so the app never holds more than ``max_bytes`` of one request.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        if max_bytes < 1:
            raise ValueError(f"max_bytes must be positive, got {max_bytes}")
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = None
        for key, value in scope.get("headers", []):
            if key == b"content-length":
                declared = value
                break
        if declared is not None:
            if not (declared.strip().isascii() and declared.strip().isdigit()):
                await self._refuse(send, 400, "the Content-Length header is not a number")
                return
            if int(declared) > self.max_bytes:
                await self._refuse(send, 413, f"the request body is larger than {self.max_bytes} bytes")
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before finishing its request
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send, 413, f"the request body is larger than {self.max_bytes} bytes")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(send: Send, status: int, reason: str) -> None:
        # A JSON-RPC error, so an MCP client shows the reason rather than a bare status.
        body = json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": reason}}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _host_patterns(host: str) -> list[str]:
    bracketed = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return [bracketed, f"{bracketed}:*"]


def build_http_app(
    server: MCPServer[Any],
    *,
    host: str,
    bearer_token: str | None,
    allowed_hosts: Sequence[str] = (),
    path: str = "/mcp",
    max_body: int = DEFAULT_MAX_BODY,
    max_sessions: int = DEFAULT_MAX_SESSIONS,
    session_idle_timeout: float = DEFAULT_SESSION_IDLE_TIMEOUT,
) -> ASGIApp:
    """The ASGI app serving ``server`` at ``path``. Raises TransportConfigError for an unsafe configuration.

    Layers, outermost first: the bearer token (so that nothing of an unauthenticated request is read), the body
    size limit, then the SDK's transport with its DNS-rebinding guard (Host and Origin checks)."""
    from mcp.server.transport_security import TransportSecuritySettings

    loopback = is_loopback(host)
    if not loopback and not bearer_token:
        raise TransportConfigError(
            f"refusing to listen on {host}, which is not a loopback address, without authentication: anyone who "
            "can reach the port would act with your Kintone credentials. Set a bearer token "
            "(KINTONE_MCP_HTTP_TOKEN or --http-token-file), or bind 127.0.0.1."
        )
    hosts = ["127.0.0.1", "127.0.0.1:*", "localhost", "localhost:*", "[::1]", "[::1]:*"]
    if not loopback and host not in ("0.0.0.0", "::"):
        hosts += _host_patterns(host)
    for extra in allowed_hosts:
        hosts += _host_patterns(extra)
    origins: list[str] = []
    for h in hosts:
        origins += [f"http://{h}", f"https://{h}"]
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )
    # The SDK holds up to 10,000 sessions for 30 minutes each by default: a local server serves a handful of
    # hosts, and every session holds memory until it ends (see benchmarks/bench_http_sessions.py).
    app: ASGIApp = server.streamable_http_app(
        streamable_http_path=path,
        transport_security=security,
        host=host,
        max_sessions=max_sessions,
        session_idle_timeout=session_idle_timeout,
    )
    app = BodySizeLimitMiddleware(app, max_body)
    if bearer_token:
        app = BearerTokenMiddleware(app, bearer_token)
    return app


async def serve_http(
    app: ASGIApp,
    *,
    host: str,
    port: int,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
) -> None:
    """Serves ``app`` with uvicorn, each request bounded in the time it takes to arrive and the connections
    bounded in number (:mod:`kintone_mcp.server.http_limits`); over TLS when given a certificate and key."""
    import uvicorn

    from kintone_mcp.server.http_limits import guarded_protocol

    protocol = guarded_protocol(max_connections=max_connections, read_timeout=read_timeout)
    tls: dict[str, Any] = {}
    if tls_cert is not None and tls_key is not None:
        tls = {"ssl_certfile": str(tls_cert), "ssl_keyfile": str(tls_key)}
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", access_log=False, http=protocol, **tls
    )
    scheme = "https" if tls else "http"
    logger.info("kintone-mcp listening on %s://%s:%d/mcp", scheme, host if ":" not in host else f"[{host}]", port)
    await uvicorn.Server(config).serve()
