"""From the launch settings to the OAuth pieces: client configuration, connection name, token store, strategy.

Shared by ``build_client`` (the server and ``check``) and ``kintone-mcp auth``, so that both read and write the
same store entry for a connection.
"""

from __future__ import annotations

import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from kintone_mcp.auth.oauth import (
    DEFAULT_REDIRECT_URI,
    OAuthAuth,
    OAuthClientConfig,
    OAuthSession,
    TransportFactory,
)
from kintone_mcp.auth.oauth_scopes import DEFAULT_SCOPES
from kintone_mcp.auth.token_store import TokenStore, open_token_store

if TYPE_CHECKING:
    from kintone_mcp.config import Settings


def oauth_client_config(settings: Settings) -> OAuthClientConfig:
    secret = settings.oauth_client_secret.get_secret_value() if settings.oauth_client_secret is not None else ""
    return OAuthClientConfig(
        base_url=settings.base_url,
        client_id=settings.oauth_client_id or "",
        client_secret=secret,
        redirect_uri=settings.oauth_redirect_uri or DEFAULT_REDIRECT_URI,
        scopes=settings.oauth_scopes or DEFAULT_SCOPES,
    )


def connection_name(settings: Settings) -> str | None:
    """The connection's name: KINTONE_CONNECTION, else the one the connections file chose (``default_connection``
    or its only connection), else None (the unnamed connection of the environment)."""
    if settings.connection:
        return settings.connection
    if settings.config is None:
        return None
    try:
        document = tomllib.loads(Path(settings.config).expanduser().read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    chosen = document.get("default_connection")
    connections = document.get("connections")
    if chosen is None and isinstance(connections, dict) and len(connections) == 1:
        chosen = next(iter(connections))
    return str(chosen) if chosen else None


def token_store_for(settings: Settings) -> TokenStore:
    from kintone_mcp.config import user_config_dir

    return open_token_store(settings.oauth_token_store, user_config_dir() / "oauth")


def transport_factory_for(settings: Settings, transport: httpx.AsyncBaseTransport | None) -> TransportFactory:
    """Transports for token calls: the given one (tests; lent, never closed), else one built per call with the
    same CA bundle, client certificate and proxy as the API calls."""
    if transport is not None:
        lent = transport
        return lambda url: (lent, False)

    def build(url: str) -> tuple[httpx.AsyncBaseTransport, bool]:
        from kintone_mcp.auth.tls import build_transport

        def secret(value: object) -> str | None:
            getter = getattr(value, "get_secret_value", None)
            return str(getter()) if getter is not None else None

        direct, mounts = build_transport(
            ca_bundle=settings.ca_bundle,
            pfx_path=settings.pfx_file_path,
            pfx_password=secret(settings.pfx_file_password) or None,
            https_proxy=secret(settings.https_proxy) or None,
        )
        # The proxy mount serves https:// only, as for the API calls. The transport not chosen has opened nothing
        # (httpx connects lazily), so it is simply dropped.
        chosen = mounts.get("https://") if url.startswith("https://") else None
        return chosen or direct, True

    return build


def oauth_session_for(settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> OAuthSession:
    return OAuthSession(oauth_client_config(settings), transport_factory=transport_factory_for(settings, transport))


def oauth_auth_for(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    store: TokenStore | None = None,
    clock: Callable[[], float] | None = None,
) -> OAuthAuth:
    """The OAuth strategy of the configured connection, reading the tokens ``kintone-mcp auth login`` stored."""
    session = oauth_session_for(settings, transport=transport)
    return OAuthAuth(
        session, store or token_store_for(settings), connection_name(settings), clock=clock or time.time
    )
