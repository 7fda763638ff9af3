"""From the launch settings to a working connection: the client, its credentials and transport, and the OAuth
pieces (client configuration, token store, token-call transports) that the server, ``check`` and
``kintone-mcp auth`` share, so that they read and write the same stored sign-in for a connection.

Above both :mod:`kintone_mcp.settings` and :mod:`kintone_mcp.auth`, so that neither imports the other.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import httpx2
from pydantic import SecretStr

from kintone_mcp.auth import (
    ApiToken,
    ApiTokenAuth,
    BasicGateAuth,
    Credentials,
    PasswordAuth,
    TlsConfigurationError,
    UserApiTokenAuth,
    build_transport,
)
from kintone_mcp.auth.token_store import TokenStore, open_token_store
from kintone_mcp.client import BackoffRetry, KintoneClient
from kintone_mcp.settings import ConfigurationError, Settings, user_config_dir

if TYPE_CHECKING:
    from kintone_mcp.auth.oauth import OAuthAuth, OAuthClientConfig, OAuthSession, TransportFactory


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


def _transports(settings: Settings) -> tuple[httpx2.AsyncBaseTransport, dict[str, httpx2.AsyncBaseTransport]]:
    """The direct transport and the proxy mounts, with the configured CA bundle, client certificate and proxy."""
    return build_transport(
        ca_bundle=settings.ca_bundle,
        pfx_path=settings.pfx_file_path,
        pfx_password=_secret(settings.pfx_file_password) or None,
        https_proxy=_secret(settings.https_proxy) or None,
    )


def shared_transports(
    settings: Settings,
) -> tuple[httpx2.AsyncBaseTransport, dict[str, httpx2.AsyncBaseTransport]]:
    """The transports of a connection, built once for many clients (the remote mode builds a client per request,
    and building the TLS context is most of a client's cost). Raises ConfigurationError."""
    try:
        return _transports(settings)
    except TlsConfigurationError as exc:
        raise ConfigurationError([str(exc)]) from None


def connection_secrets(settings: Settings) -> tuple[str, ...]:
    """The secrets of the connection besides the credentials, in the forms they are sent in: the client
    certificate's password, and a proxy URL's password as written (percent-encoded), decoded, and as the
    ``Proxy-Authorization: Basic`` value httpx2 builds from ``user:password``."""
    out = [_secret(settings.pfx_file_password)]
    proxy = _secret(settings.https_proxy)
    if proxy:
        try:
            parts = urlsplit(proxy)
            user, password = parts.username, parts.password
        except ValueError:
            user, password = None, None
        if password:
            plain_user, plain = unquote(user or ""), unquote(password)
            out += [password, plain, base64.b64encode(f"{plain_user}:{plain}".encode()).decode()]
    return tuple(s for s in out if s)


def build_client(
    settings: Settings,
    *,
    transport: httpx2.AsyncBaseTransport | None = None,
    oauth: httpx2.Auth | None = None,
    mounts: dict[str, httpx2.AsyncBaseTransport] | None = None,
) -> KintoneClient:
    """A client for the configured connection.

    ``transport`` replaces the network (tests), or with ``mounts`` is the connection's own, shared
    (:func:`shared_transports`). ``oauth`` is the OAuth strategy (from the token store of
    ``kintone-mcp auth login``), required when ``auth_type`` is ``oauth``.
    """
    rest: httpx2.Auth | None = None
    if settings.auth_type == "password":
        rest = PasswordAuth(settings.username or "", _secret(settings.password))
    elif settings.auth_type == "api_token":
        rest = ApiTokenAuth(ApiToken(t.token.get_secret_value(), t.app) for t in settings.api_token)
    elif settings.auth_type == "oauth":
        # The sign-in stored by `kintone-mcp auth login`; without one, every call says to run it.
        rest = oauth if oauth is not None else oauth_auth_for(settings, transport=transport)
    if rest is not None and settings.basic_auth_username and settings.basic_auth_password:
        rest = BasicGateAuth(rest, settings.basic_auth_username, _secret(settings.basic_auth_password))

    user_api: httpx2.Auth | None = None
    if settings.user_api_token is not None:
        user_api = UserApiTokenAuth(_secret(settings.user_api_token))
    elif settings.auth_type == "password":
        user_api = rest

    if transport is None:
        try:
            transport, mounts = _transports(settings)
        except TlsConfigurationError as exc:
            raise ConfigurationError([str(exc)]) from None
    return KintoneClient(
        settings.base_url,
        credentials=Credentials(rest=rest, user_api=user_api, other_secrets=connection_secrets(settings)),
        guest_space_id=settings.guest_space_id,
        transport=transport,
        mounts=mounts,
        timeout=httpx2.Timeout(settings.timeout, connect=settings.connect_timeout),
        retry_policy=BackoffRetry(retries=settings.retries, total_timeout=settings.total_timeout),
        max_concurrency=settings.max_concurrency,
        # Half of Kintone's 10 per domain: other integrations and browsers' exports need some too.
        max_open_cursors=5,
    )


# --- OAuth ------------------------------------------------------------------------------------------------------
# kintone_mcp.auth.oauth loads authlib, which only OAuth connections need: it is imported by the functions below.


def oauth_client_config(settings: Settings) -> OAuthClientConfig:
    from kintone_mcp.auth.oauth import DEFAULT_REDIRECT_URI, OAuthClientConfig
    from kintone_mcp.auth.oauth_scopes import DEFAULT_SCOPES

    return OAuthClientConfig(
        base_url=settings.base_url,
        client_id=settings.oauth_client_id or "",
        client_secret=_secret(settings.oauth_client_secret),
        redirect_uri=settings.oauth_redirect_uri or DEFAULT_REDIRECT_URI,
        scopes=settings.oauth_scopes or DEFAULT_SCOPES,
    )


def token_store_for(settings: Settings) -> TokenStore:
    return open_token_store(settings.oauth_token_store, user_config_dir() / "oauth")


def transport_factory_for(settings: Settings, transport: httpx2.AsyncBaseTransport | None) -> TransportFactory:
    """Transports for token calls: the given one (tests; lent, never closed), else one built per call with the
    same CA bundle, client certificate and proxy as the API calls."""
    if transport is not None:
        lent = transport
        return lambda url: (lent, False)

    def build(url: str) -> tuple[httpx2.AsyncBaseTransport, bool]:
        direct, mounts = _transports(settings)
        # The proxy mount serves https:// only, as for the API calls. The transport not chosen has opened nothing
        # (httpx2 connects lazily), so it is simply dropped.
        chosen = mounts.get("https://") if url.startswith("https://") else None
        return chosen or direct, True

    return build


def oauth_session_for(settings: Settings, *, transport: httpx2.AsyncBaseTransport | None = None) -> OAuthSession:
    from kintone_mcp.auth.oauth import OAuthSession

    return OAuthSession(oauth_client_config(settings), transport_factory=transport_factory_for(settings, transport))


def oauth_auth_for(
    settings: Settings,
    *,
    transport: httpx2.AsyncBaseTransport | None = None,
    store: TokenStore | None = None,
    clock: Callable[[], float] | None = None,
) -> OAuthAuth:
    """The OAuth strategy of the configured connection, reading the tokens ``kintone-mcp auth login`` stored
    under the connection's name (None: the unnamed connection of the environment)."""
    from kintone_mcp.auth.oauth import OAuthAuth

    session = oauth_session_for(settings, transport=transport)
    return OAuthAuth(session, store or token_store_for(settings), settings.connection, clock=clock or time.time)
