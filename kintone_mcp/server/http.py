"""Streamable HTTP transport: loopback by default, DNS-rebinding protection always on, a bearer token required
before the server will listen anywhere else.

A server that holds Kintone credentials and listens on a network address without authentication hands those
credentials to anyone who can reach the port, so binding a non-loopback address without a token is refused at
start-up rather than warned about. The token is compared in constant time and wraps the whole ASGI app (every path).

Sessions are stateful with SSE answers (the SDK default) because progress notifications during long reads are
dropped on a stateless JSON-only connection (mcp-sdk-v2.md §1.3).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

logger = logging.getLogger(__name__)

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class TransportConfigError(ValueError):
    """The HTTP transport settings are unsafe or inconsistent; raised before anything listens."""


def is_loopback(host: str) -> bool:
    name = host.strip().strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


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
) -> ASGIApp:
    """The ASGI app serving ``server`` at ``path``. Raises TransportConfigError for an unsafe configuration."""
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
    app: ASGIApp = server.streamable_http_app(streamable_http_path=path, transport_security=security, host=host)
    if bearer_token:
        app = BearerTokenMiddleware(app, bearer_token)
    return app


async def serve_http(app: ASGIApp, *, host: str, port: int) -> None:
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    logger.info("kintone-mcp listening on http://%s:%d/mcp", host if ":" not in host else f"[{host}]", port)
    await uvicorn.Server(config).serve()
