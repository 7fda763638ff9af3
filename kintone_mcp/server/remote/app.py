"""The remote multi-user HTTP app: the SDK's OAuth building blocks around the MCP endpoint, run stateless.

Routes (``P`` is the public URL): ``P/.well-known/oauth-protected-resource/mcp`` (RFC 9728),
``P/.well-known/oauth-authorization-server`` (RFC 8414, with ``client_id_metadata_document_supported``),
``/authorize``, ``/token``, ``/register``, ``/revoke`` (the SDK's handlers over :mod:`.provider`),
``/oauth/callback`` (Kintone's redirect), and ``/mcp``, where a request without a valid token for this resource
is answered 401 with ``WWW-Authenticate: Bearer ... resource_metadata="..."``.

The Streamable HTTP transport runs stateless with SSE answers: no session lives in a replica, so any replica
serves any request, and progress notifications still reach the client on the answer's stream.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import anyio
import httpx2
from mcp.server.auth.handlers.metadata import MetadataHandler
from mcp.server.auth.middleware.auth_context import AuthContextMiddleware
from mcp.server.auth.middleware.bearer_auth import BearerAuthBackend, RequireAuthMiddleware
from mcp.server.auth.provider import ProviderTokenVerifier
from mcp.server.auth.routes import (
    build_metadata,
    build_resource_metadata_url,
    cors_middleware,
    create_auth_routes,
    create_protected_resource_routes,
)
from mcp.server.auth.settings import ClientRegistrationOptions, RevocationOptions
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import AnyHttpUrl, ConfigDict, TypeAdapter
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kintone_mcp.server.http import BodySizeLimitMiddleware
from kintone_mcp.server.policy import Policy
from kintone_mcp.server.remote.provider import CALLBACK_PATH, KintoneOAuthProvider
from kintone_mcp.server.remote.requests import UserRequestMiddleware
from kintone_mcp.server.remote.sealing import SealError
from kintone_mcp.server.state import ServerOptions

if TYPE_CHECKING:
    from kintone_mcp.server.app import KintoneMCPServer

logger = logging.getLogger(__name__)
_URL = TypeAdapter(AnyHttpUrl, config=ConfigDict(url_preserve_empty_path=True))


class TokenResourceCheck:
    """RFC 8707 at the token endpoint: a token request naming another ``resource`` than this server is refused
    with ``invalid_target`` (the SDK's token handler does not show the provider the request's ``resource``). The
    body is read once here, within the body limit already applied outside, and handed on unchanged."""

    def __init__(self, app: ASGIApp, resource: str) -> None:
        self.app = app
        self.resource = resource

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") != "/token" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        named = parse_qs(body.decode("latin-1")).get("resource", [])
        if any(r.rstrip("/") != self.resource for r in named):
            answer = JSONResponse(
                {"error": "invalid_target", "error_description": f"this server issues tokens only for {self.resource}"},
                status_code=400,
                headers={"Cache-Control": "no-store"},
            )
            await answer(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


@asynccontextmanager
async def _lifespan(
    manager: StreamableHTTPSessionManager, on_close: Sequence[Callable[[], Awaitable[None]]]
) -> AsyncIterator[None]:
    try:
        async with manager.run():
            yield
    finally:
        for close in on_close:
            await close()


def build_remote_app(
    server: KintoneMCPServer,
    provider: KintoneOAuthProvider,
    *,
    policy: Policy,
    options: ServerOptions,
    client_for: Callable[[httpx2.Auth], Any],
    max_concurrency: int,
    max_body: int,
    allowed_hosts: list[str] | None = None,
    on_close: Sequence[Callable[[], Awaitable[None]]] = (),
) -> ASGIApp:
    settings = provider.settings
    # Issuer comparison is exact (RFC 8414 §3.3): keep the origin as configured, without a trailing slash.
    issuer = _URL.validate_python(settings.public_url)
    resource = _URL.validate_python(settings.resource)
    scopes = list(provider.scopes)
    registration = ClientRegistrationOptions(enabled=True, valid_scopes=scopes, default_scopes=scopes)
    revocation = RevocationOptions(enabled=True)
    routes = create_auth_routes(provider, issuer, None, registration, revocation)
    # The SDK's metadata leaves client_id_metadata_document_supported unset; this server supports both ways.
    metadata = build_metadata(issuer, None, registration, revocation)
    metadata.client_id_metadata_document_supported = True
    routes = [r for r in routes if r.path != "/.well-known/oauth-authorization-server"]
    routes.append(
        Route(
            "/.well-known/oauth-authorization-server",
            endpoint=cors_middleware(MetadataHandler(metadata).handle, ["GET", "OPTIONS"]),
            methods=["GET", "OPTIONS"],
        )
    )
    routes += create_protected_resource_routes(resource, [issuer], scopes_supported=scopes,
                                               resource_name="Kintone (kintone-mcp)")

    async def callback(request: Request) -> Response:
        try:
            target = provider.callback_redirect(dict(request.query_params))
        except SealError as exc:
            logger.info("sign-in callback refused: %s", exc)
            return HTMLResponse(
                "<!doctype html><title>Sign-in failed</title><p>This sign-in is not valid here or took too long "
                f"({exc}). Start it again from your assistant.</p>",
                status_code=400,
                headers={"Cache-Control": "no-store"},
            )
        return RedirectResponse(target, status_code=302, headers={"Cache-Control": "no-store"})

    routes.append(Route(CALLBACK_PATH, callback, methods=["GET"]))

    parts = httpx2.URL(settings.public_url)
    public_host = parts.host if parts.port is None else f"{parts.host}:{parts.port}"
    hosts = [public_host, *(allowed_hosts or [])]
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=hosts,
        allowed_origins=[f"https://{h}" for h in hosts] + [f"http://{h}" for h in hosts],
    )
    manager = StreamableHTTPSessionManager(
        app=server._lowlevel_server,
        stateless=True,
        json_response=False,
        security_settings=security,
        max_request_body_size=max_body,
    )
    endpoint: ASGIApp = StreamableHTTPASGIApp(manager)
    endpoint = UserRequestMiddleware(
        endpoint,
        policy=policy,
        options=options,
        client_for=client_for,
        limiter=anyio.CapacityLimiter(max_concurrency),
    )
    endpoint = RequireAuthMiddleware(endpoint, [], build_resource_metadata_url(resource))
    routes.append(Route("/mcp", endpoint=endpoint))
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(
                AuthenticationMiddleware,
                backend=BearerAuthBackend(ProviderTokenVerifier(provider), resource_server_url=resource),  # type: ignore[arg-type]
            ),
            Middleware(AuthContextMiddleware),
        ],
        lifespan=lambda _app: _lifespan(manager, on_close),
    )
    return BodySizeLimitMiddleware(TokenResourceCheck(app, settings.resource), max_body)
