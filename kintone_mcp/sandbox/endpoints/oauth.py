"""Kintone's OAuth 2.0 endpoints (docs/kintone-api.md §3), outside ``/k/`` and so served as their own Starlette routes.

* ``GET /oauth2/authorization``: a small login-and-consent page. Its form posts back to the same path with the
  request's parameters as hidden fields plus ``username``, ``password`` and ``action`` (``approve`` or ``deny``).
  Approving redirects to the registered ``redirect_uri`` with ``code`` and ``state``; denying with
  ``error=access_denied``.
* ``POST /oauth2/token``: the ``authorization_code`` and ``refresh_token`` grants, client authentication by HTTP
  Basic or by ``client_id``/``client_secret`` form fields, errors as RFC 6749 §5.2 JSON.

As RFC 6749 §4.1.2.1 requires, an unknown client or a redirect URI that does not match the registered one is
answered with an error page and never redirected; every other problem is reported to the client by redirect.
"""

from __future__ import annotations

import base64
import binascii
import html
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from kintone_mcp.sandbox.access import oauthstore
from kintone_mcp.sandbox.access.oauthclients import OAUTH_SCOPES, OAuthConfig
from kintone_mcp.sandbox.access.oauthstore import Client, OAuthGrantError
from kintone_mcp.sandbox.http.routing import Services
from kintone_mcp.sandbox.options import SandboxConfig
from kintone_mcp.sandbox.store import directory
from kintone_mcp.sandbox.store.database import Store

if TYPE_CHECKING:
    import sqlite3

logger = logging.getLogger(__name__)

AUTHORIZATION_PATH = "/oauth2/authorization"
TOKEN_PATH = "/oauth2/token"
#: RFC 7009 token revocation; Kintone documents none [U], so the sandbox offers it only when configured
REVOCATION_PATH = "/oauth2/revoke"
_AUTH_PARAMS = ("client_id", "redirect_uri", "state", "response_type", "scope", "code_challenge",
                "code_challenge_method")
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

T = TypeVar("T")


def routes(services: Services) -> list[Route]:
    endpoints = _OAuthEndpoints(services)
    return [
        Route(AUTHORIZATION_PATH, endpoints.authorization, methods=["GET", "POST"]),
        Route(TOKEN_PATH, endpoints.token, methods=["POST"]),
        Route(REVOCATION_PATH, endpoints.revoke, methods=["POST"]),
    ]


class _Refusal(Exception):
    """The authorization request cannot go on; ``redirect`` says whether the client may be told by redirect."""

    def __init__(self, error: str, description: str, *, redirect: bool) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.redirect = redirect


class _OAuthEndpoints:
    def __init__(self, services: Services) -> None:
        self.services = services

    @property
    def config(self) -> OAuthConfig:
        return self.services.config.oauth

    async def _read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def run() -> T:
            with self.services.store.reading() as conn:
                return work(conn)

        return await anyio.to_thread.run_sync(run)

    async def _write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def run() -> T:
            with self.services.store.transaction() as conn:
                return work(conn)

        return await anyio.to_thread.run_sync(run)

    # -- authorization endpoint --------------------------------------------------------------------------------------

    async def authorization(self, request: Request) -> Response:
        if request.method == "GET":
            params: dict[str, str] = dict(request.query_params)
        else:
            form = await request.form()
            params = {k: v for k, v in form.items() if isinstance(v, str)}
        client = await self._read(lambda conn: oauthstore.find_client(conn, params.get("client_id", "")))
        try:
            scopes = self._validate(params, client)
        except _Refusal as refusal:
            if refusal.redirect and client is not None:
                return _redirect(client.redirect_uri, {"error": refusal.error,
                                                       "error_description": refusal.description,
                                                       "state": params.get("state")})
            return _page("Sign-in request rejected", f"<p class='error'>{html.escape(refusal.description)}</p>", 400)
        assert client is not None  # _validate refuses unknown clients
        if request.method == "GET":
            return _consent_page(client, params, scopes)
        action = params.get("action", "")
        if action == "deny":
            return _redirect(client.redirect_uri, {"error": "access_denied",
                                                   "error_description": "The user denied the request.",
                                                   "state": params.get("state")})
        if action != "approve":
            return _consent_page(client, params, scopes, error="Choose Allow or Deny.", status=400)
        login = params.get("username", "")
        password = params.get("password", "")
        now = self.services.now()

        def approve(conn: sqlite3.Connection) -> str | None:
            if not directory.check_password(conn, login, password):
                return None
            return oauthstore.issue_code(
                conn,
                client_id=client.client_id,
                login=login,
                scopes=scopes,
                redirect_uri=params["redirect_uri"],
                code_challenge=params.get("code_challenge") or None,
                challenge_method=params.get("code_challenge_method") or None,
                now=now,
                config=self.config,
            )

        code = await self._write(approve)
        if code is None:
            return _consent_page(client, params, scopes, error="The login name or password is incorrect.",
                                 status=401)
        return _redirect(client.redirect_uri, {"code": code, "state": params.get("state")})

    def _validate(self, params: Mapping[str, str], client: Client | None) -> tuple[str, ...]:
        if client is None:
            raise _Refusal("invalid_request", "Unknown client_id: register the OAuth client first (sandbox: "
                           "--oauth-client ID:SECRET:REDIRECT_URI).", redirect=False)
        if params.get("redirect_uri") != client.redirect_uri:
            raise _Refusal("invalid_request", "redirect_uri is missing or does not match the redirect endpoint "
                           "registered for this client.", redirect=False)
        if params.get("response_type") != "code":
            raise _Refusal("unsupported_response_type", "Only response_type=code (the authorization code grant) is "
                           "supported.", redirect=True)
        if not params.get("state"):
            raise _Refusal("invalid_request", "state is required.", redirect=True)
        scopes = tuple(dict.fromkeys(params.get("scope", "").split()))
        unknown = [s for s in scopes if s not in OAUTH_SCOPES]
        if unknown or not scopes:
            raise _Refusal("invalid_scope", f"scope must be a space-separated list of {', '.join(OAUTH_SCOPES)}"
                           + (f"; unknown: {', '.join(unknown)}" if unknown else "; none was given") + ".",
                           redirect=True)
        method = params.get("code_challenge_method")
        if method and method not in ("S256", "plain"):
            raise _Refusal("invalid_request", "code_challenge_method must be S256 or plain.", redirect=True)
        return scopes

    # -- token endpoint ----------------------------------------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            return _grant_error(OAuthGrantError(
                "invalid_request", "Send the token request as application/x-www-form-urlencoded."))
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        try:
            client_id, client_secret = _client_credentials(request.headers.get("authorization"), fields)
            grant_type = fields.get("grant_type", "")
            now = self.services.now()
            config = self.config

            def exchange(conn: sqlite3.Connection) -> oauthstore.IssuedTokens:
                client = oauthstore.authenticate_client(conn, client_id, client_secret)
                if grant_type == "authorization_code":
                    grant = oauthstore.redeem_code(
                        conn,
                        code=fields.get("code", ""),
                        client_id=client.client_id,
                        redirect_uri=fields.get("redirect_uri"),
                        code_verifier=fields.get("code_verifier"),
                        now=now,
                        config=config,
                    )
                    return oauthstore.issue_tokens(conn, grant, now=now, config=config)
                if grant_type == "refresh_token":
                    return oauthstore.refresh(
                        conn,
                        refresh_token=fields.get("refresh_token", ""),
                        client_id=client.client_id,
                        scope=fields.get("scope"),
                        now=now,
                        config=config,
                    )
                raise OAuthGrantError("unsupported_grant_type",
                                      "grant_type must be authorization_code or refresh_token.")

            issued = await self._write_keeping_spent_codes(exchange)
        except OAuthGrantError as exc:
            return _grant_error(exc)
        body: dict[str, Any] = {
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "scope": " ".join(issued.scopes),
        }
        if issued.refresh_token is not None:
            body["refresh_token"] = issued.refresh_token
        return JSONResponse(body, headers=_NO_STORE)

    async def revoke(self, request: Request) -> Response:
        """RFC 7009: revoking an access or refresh token revokes its whole grant; an unknown token is 200 too."""
        if not self.config.revocation_endpoint:
            return JSONResponse({"error": "not_found"}, 404)
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        try:
            client_id, client_secret = _client_credentials(request.headers.get("authorization"), fields)

            def work(conn: sqlite3.Connection) -> None:
                client = oauthstore.authenticate_client(conn, client_id, client_secret)
                oauthstore.revoke_token(conn, fields.get("token", ""), client_id=client.client_id)

            await self._write(work)
        except OAuthGrantError as exc:
            return _grant_error(exc)
        return Response(status_code=200, headers=_NO_STORE)

    async def _write_keeping_spent_codes(
        self, work: Callable[[sqlite3.Connection], oauthstore.IssuedTokens]
    ) -> oauthstore.IssuedTokens:
        """Like ``_write``, but a refused grant still commits what the check changed (a code marked used, a grant
        revoked for a replayed code): those must stick even though the request fails."""

        def run() -> oauthstore.IssuedTokens | OAuthGrantError:
            with self.services.store.transaction() as conn:
                try:
                    return work(conn)
                except OAuthGrantError as exc:
                    return exc

        outcome = await anyio.to_thread.run_sync(run)
        if isinstance(outcome, OAuthGrantError):
            raise outcome
        return outcome


def _client_credentials(authorization: str | None, fields: Mapping[str, str]) -> tuple[str, str]:
    if authorization and authorization.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        raw_id, sep, raw_secret = decoded.partition(":")
        if not sep:
            raise OAuthGrantError("invalid_client", "The Basic client credentials are malformed: send "
                                  "base64(client_id:client_secret).", 401)
        # RFC 6749 §2.3.1 form-encodes both before base64; plain values are unchanged by unquoting.
        client_id, client_secret = unquote(raw_id.replace("+", " ")), unquote(raw_secret.replace("+", " "))
        if fields.get("client_id") not in (None, client_id):
            raise OAuthGrantError("invalid_request", "client_id in the form differs from the Basic credentials.")
        return client_id, client_secret
    client_id = fields.get("client_id", "")
    if not client_id or "client_secret" not in fields:
        raise OAuthGrantError("invalid_client", "Client authentication is missing: send HTTP Basic "
                              "'client_id:client_secret', or client_id and client_secret form fields.", 401)
    return client_id, fields["client_secret"]


def _grant_error(exc: OAuthGrantError) -> Response:
    headers = dict(_NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="oauth2"'
    return JSONResponse({"error": exc.error, "error_description": exc.description}, exc.status, headers=headers)


def _redirect(redirect_uri: str, params: Mapping[str, str | None]) -> Response:
    parts = urlsplit(redirect_uri)
    added = urlencode({k: v for k, v in params.items() if v is not None})
    query = f"{parts.query}&{added}" if parts.query else added
    return RedirectResponse(urlunsplit(parts._replace(query=query)), status_code=302, headers=_NO_STORE)


_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#222}"
    "h1{font-size:1.3rem}.error{color:#b00020}label{display:block;margin:.6rem 0}"
    "input[type=text],input[type=password]{width:100%;padding:.4rem}button{margin:.8rem .6rem 0 0;padding:.4rem 1rem}"
    "code{background:#eee;padding:0 .2rem}"
)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    document = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(document, status, headers=_NO_STORE)


def _consent_page(
    client: Client, params: Mapping[str, str], scopes: tuple[str, ...], *, error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    hidden = "".join(
        f"<input type='hidden' name='{name}' value='{html.escape(params[name], quote=True)}'>"
        for name in _AUTH_PARAMS
        if params.get(name)
    )
    scope_items = "".join(f"<li><code>{html.escape(s)}</code></li>" for s in scopes)
    username = html.escape(params.get("username", ""), quote=True)
    body = (
        (f"<p class='error'>{html.escape(error)}</p>" if error else "")
        + f"<p><strong>{html.escape(client.name)}</strong> asks to use Kintone as you, with these scopes:</p>"
        + f"<ul>{scope_items}</ul>"
        + f"<form method='post' action='{AUTHORIZATION_PATH}'>{hidden}"
        + f"<label>Login name <input type='text' name='username' value='{username}' autocomplete='username'>"
        + "</label><label>Password <input type='password' name='password' autocomplete='current-password'></label>"
        + "<button type='submit' name='action' value='approve'>Allow</button>"
        + "<button type='submit' name='action' value='deny'>Deny</button></form>"
    )
    return _page("Kintone sandbox: sign in to authorize", body, status)


def banner_lines(store: Store, base_url: str, config: SandboxConfig) -> list[str]:
    """The OAuth part of ``kintone-mcp sandbox``'s start-up text: endpoints and every registered client."""
    with store.reading() as conn:
        demo = oauthstore.demo_client_spec(conn)
    clients = ([demo] if demo is not None else []) + list(config.oauth.clients)
    if not clients:
        return []
    lifetime = int(config.oauth.access_token_lifetime.total_seconds())
    lines = [
        f"OAuth 2.0 (authorization code grant; access tokens last {lifetime} s, refresh: "
        f"{config.oauth.refresh_rotation}):",
        f"  authorization endpoint: {base_url}{AUTHORIZATION_PATH}",
        f"  token endpoint: {base_url}{TOKEN_PATH}",
        f"  scopes: {' '.join(OAUTH_SCOPES)}",
    ]
    for spec in clients:
        tag = "  (demo)" if spec is demo else ""
        lines.append(f"  client {spec.client_id}  secret {spec.client_secret}  redirect {spec.redirect_uri}{tag}")
    if demo is not None:
        lines.append(
            f"  Try: KINTONE_BASE_URL={base_url} KINTONE_OAUTH_CLIENT_ID={demo.client_id} "
            f"KINTONE_OAUTH_CLIENT_SECRET={demo.client_secret} kintone-mcp auth login"
        )
    return lines
