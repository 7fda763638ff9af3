"""From launch settings to a running server: policy and options out of ``Settings``, the client factory, and the
transports. Kept apart from the CLI so that tests and embedders can start a server the same way."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from kintone_mcp.server.http import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_SESSIONS,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_SESSION_IDLE_TIMEOUT,
)
from kintone_mcp.server.policy import Policy
from kintone_mcp.server.state import ServerOptions

if TYPE_CHECKING:
    import httpx2

    from kintone_mcp.client import KintoneClient
    from kintone_mcp.server.app import KintoneMCPServer
    from kintone_mcp.settings import Settings

logger = logging.getLogger(__name__)


def http_token(settings: Settings, flag_token: str | None) -> str | None:
    """The bearer token of the HTTP transport: --http-token-file wins over KINTONE_MCP_HTTP_TOKEN(_FILE)."""
    if flag_token is not None:
        return flag_token
    return settings.mcp_http_token.get_secret_value() if settings.mcp_http_token is not None else None


def policy_from_settings(settings: Settings) -> Policy:
    return Policy.build(
        read_only=settings.read_only,
        allow_apps=settings.allow_apps,
        deny_apps=settings.deny_apps,
        tools=settings.tools,
        disabled_tools=settings.disable_tools,
        toolsets=settings.toolsets,
        aliases=dict(settings.app_aliases),
        default_app=settings.app_id,
    )


def options_from_settings(settings: Settings, *, download_dir: Path | None = None) -> ServerOptions:
    """``download_dir`` (the --download-dir flag) wins over KINTONE_DOWNLOAD_DIR."""
    folder = download_dir or settings.download_dir
    return ServerOptions(
        auth_type=settings.auth_type or "none",
        base_url=settings.base_url,
        download_dir=folder.expanduser().resolve() if folder else None,
        download_max_bytes=settings.download_max_bytes,
        user_api=settings.has_user_api_credentials,
        proxy=settings.https_proxy is not None,
        confirm=settings.confirm,
        confirm_bulk=settings.confirm_bulk,
    )


def server_from_settings(
    settings: Settings,
    *,
    download_dir: Path | None = None,
    transport: httpx2.AsyncBaseTransport | None = None,
) -> KintoneMCPServer:
    """The server for a configuration. The client is built at the first tool call, not here: importing it and
    building its TLS context would delay every start (docs/mcp-sdk.md §6.4). A client certificate or CA bundle
    that cannot be used is therefore reported to that call, and by test_connection, as a configuration problem;
    everything ``load_settings`` checks has failed before this point."""
    # Imported here, not at the top: the export / import commands use this module's policy and options and must not
    # load the MCP SDK that the server object brings (tests/commands/test_transfer_imports.py).
    from kintone_mcp.server.app import build_server

    def client_factory() -> KintoneClient:
        from kintone_mcp.connect import build_client

        return build_client(settings, transport=transport)

    return build_server(
        policy=policy_from_settings(settings),
        options=options_from_settings(settings, download_dir=download_dir),
        client_factory=client_factory,
    )


Transport = Literal["stdio", "http"]


@dataclass(frozen=True)
class HttpLimits:
    """The Streamable HTTP transport's bounds (KINTONE_MCP_HTTP_MAX_CONNECTIONS, _READ_TIMEOUT, _MAX_SESSIONS,
    _SESSION_IDLE_TIMEOUT); the defaults are the settings' defaults."""

    max_connections: int = DEFAULT_MAX_CONNECTIONS
    read_timeout: float = DEFAULT_READ_TIMEOUT
    max_sessions: int = DEFAULT_MAX_SESSIONS
    session_idle_timeout: float = DEFAULT_SESSION_IDLE_TIMEOUT

    @classmethod
    def of(cls, settings: Settings) -> HttpLimits:
        return cls(
            max_connections=settings.mcp_http_max_connections,
            read_timeout=settings.mcp_http_read_timeout,
            max_sessions=settings.mcp_http_max_sessions,
            session_idle_timeout=settings.mcp_http_session_idle_timeout,
        )


async def serve(
    server: KintoneMCPServer,
    *,
    transport: Transport = "stdio",
    host: str = "127.0.0.1",
    port: int = 8000,
    bearer_token: str | None = None,
    allowed_hosts: Sequence[str] = (),
    on_listen: Callable[[str], object] | None = None,
    max_body: int | None = None,
    limits: HttpLimits | None = None,
) -> None:
    if transport == "stdio":
        await server.run_stdio_async()
        return
    from kintone_mcp.server.http import DEFAULT_MAX_BODY, build_http_app, serve_http

    bounds = limits or HttpLimits()
    app = build_http_app(
        server,
        host=host,
        bearer_token=bearer_token,
        allowed_hosts=allowed_hosts,
        max_body=max_body or DEFAULT_MAX_BODY,
        max_sessions=bounds.max_sessions,
        session_idle_timeout=bounds.session_idle_timeout,
    )
    if on_listen is not None:
        on_listen(f"http://{host if ':' not in host else f'[{host}]'}:{port}/mcp")
    await serve_http(
        app, host=host, port=port, max_connections=bounds.max_connections, read_timeout=bounds.read_timeout
    )
