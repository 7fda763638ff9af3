"""From settings to the remote multi-user app (``serve --transport http --auth kintone-oauth``)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from kintone_mcp.server.app import KintoneMCPServer, build_server
from kintone_mcp.server.remote.app import build_remote_app
from kintone_mcp.server.remote.cimd import MetadataFetcher
from kintone_mcp.server.remote.provider import CALLBACK_PATH, KintoneOAuthProvider
from kintone_mcp.server.remote.sealing import Sealer, parse_keys
from kintone_mcp.settings import ConfigurationError

if TYPE_CHECKING:
    import httpx2
    from starlette.types import ASGIApp

    from kintone_mcp.client import KintoneClient
    from kintone_mcp.settings import Settings
    from kintone_mcp.settings.remote import RemoteSettings


class SharedCredentialRefused(RuntimeError):
    pass


def _no_shared_client() -> KintoneClient:
    # In this mode there is no shared Kintone credential: every call runs with its user's own token.
    raise SharedCredentialRefused("this server has no shared Kintone credential; every call needs a signed-in user")


def check_kintone_side(settings: Settings, remote: RemoteSettings) -> None:
    problems = []
    if settings.auth_type != "oauth" or not settings.oauth_client_id:
        problems.append(
            "--auth kintone-oauth signs people in with the Kintone domain's OAuth client: set KINTONE_AUTH_TYPE=oauth, "
            "KINTONE_OAUTH_CLIENT_ID and KINTONE_OAUTH_CLIENT_SECRET (the client a cybozu.com administrator registers)"
        )
    callback = remote.public_url + CALLBACK_PATH
    if settings.oauth_redirect_uri and settings.oauth_redirect_uri != callback:
        problems.append(
            f"KINTONE_OAUTH_REDIRECT_URI is {settings.oauth_redirect_uri!r}, but this server receives Kintone's "
            f"redirect at {callback!r}: register that in the Kintone OAuth client and set it (or leave it unset)"
        )
    if problems:
        raise ConfigurationError(problems)


def remote_app_from_settings(
    settings: Settings,
    remote: RemoteSettings,
    *,
    transport: httpx2.AsyncBaseTransport | None = None,
    fetcher: MetadataFetcher | None = None,
    revocation_url: str | None = None,
    allowed_hosts: list[str] | None = None,
) -> tuple[ASGIApp, KintoneMCPServer, KintoneOAuthProvider]:
    """The app for these settings. ``transport`` replaces the network to Kintone (tests); ``fetcher`` the Client
    ID Metadata Document fetcher; ``revocation_url`` is Kintone's token revocation endpoint, when it has one."""
    from kintone_mcp.connect import build_client, oauth_client_config, shared_transports, transport_factory_for
    from kintone_mcp.server.launch import options_from_settings, policy_from_settings
    from kintone_mcp.server.remote.requests import SharedTransport

    check_kintone_side(settings, remote)
    from kintone_mcp.auth.oauth import OAuthSession

    config = replace(oauth_client_config(settings), redirect_uri=remote.public_url + CALLBACK_PATH)
    kintone = OAuthSession(config, transport_factory=transport_factory_for(settings, transport))
    provider = KintoneOAuthProvider(
        remote,
        Sealer(parse_keys(remote.keys_text)),
        kintone,
        scopes=config.scopes,
        fetcher=fetcher,
        revocation_url=revocation_url or remote.kintone_revocation_url,
        kintone_transport=transport,
    )
    policy = policy_from_settings(settings)
    options = replace(options_from_settings(settings), auth_type="oauth", user_api=False)
    server = build_server(policy=policy, options=options, client_factory=_no_shared_client)

    # Built once: a client per request is cheap, its TLS context is not (a few hundred ms with a CA bundle).
    if transport is not None:
        pool: list[SharedTransport] = [SharedTransport(transport)]
        mounts: dict[str, SharedTransport] = {}
    else:
        direct, proxies = shared_transports(settings)
        mounts = {scheme: SharedTransport(t) for scheme, t in proxies.items()}
        pool = [SharedTransport(direct), *mounts.values()]

    def client_for(auth: httpx2.Auth) -> KintoneClient:
        return build_client(settings, transport=pool[0], oauth=auth, mounts=dict(mounts) or None)

    app = build_remote_app(
        server,
        provider,
        policy=policy,
        options=options,
        client_for=client_for,
        max_concurrency=settings.max_concurrency,
        max_body=settings.mcp_http_max_body,
        allowed_hosts=allowed_hosts,
        on_close=[t.close for t in pool],
    )
    return app, server, provider
