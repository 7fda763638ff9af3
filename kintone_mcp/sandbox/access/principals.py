"""Who is calling: the Basic gate, then password, API-token or OAuth authentication.

Order of checks, following docs/kintone-api.md §2:

1. The optional Basic gate (``Authorization: Basic``) guards the whole domain, in addition to everything else.
2. ``X-Cybozu-Authorization`` (password) wins when present, even if API tokens are also sent.
3. ``X-Cybozu-API-Token`` (one or more app tokens, comma-separated or repeated, at most 9).
4. ``Authorization: Bearer``: an OAuth access token (``oauthstore``; ``oauthscopes`` checks scopes per endpoint).
   On the User API (``/v1/``) a Bearer value is a User API token instead (``userapitokens``); on ``/k/`` a
   ``cy.s.api1.`` token is refused, since User API tokens authenticate the User API only. App API tokens are
   refused on ``/v1/``.
5. Nothing: 401 CB_AU01.

Secrets never reach an error message: errors name the scheme that failed, never the value sent.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from starlette.datastructures import Headers

from kintone_mcp.sandbox.access import oauthstore, userapitokens
from kintone_mcp.sandbox.access.apitokens import TOKEN_PERMISSIONS
from kintone_mcp.sandbox.errors import ErrorReply
from kintone_mcp.sandbox.store import directory
from kintone_mcp.sandbox.store.directory import ADMIN_LOGIN

MAX_TOKENS_PER_REQUEST = 9

Scheme = Literal["password", "token", "oauth", "user_api_token"]


@dataclass(frozen=True)
class Principal:
    """An authenticated caller.

    ``login`` is the user the request acts as (Administrator for API tokens, as Kintone attributes token writes).
    ``token_apps`` maps app id to the permissions of the token sent for it (empty unless ``scheme == "token"``).
    """

    scheme: Scheme
    login: str
    token_apps: Mapping[int, frozenset[str]] = field(default_factory=dict)
    #: The scope of a User API token (``scheme == "user_api_token"``), else None.
    user_api_scope: str | None = None
    #: The scopes granted to an OAuth access token (``scheme == "oauth"``); ``oauthscopes`` checks them per endpoint.
    oauth_scopes: frozenset[str] = frozenset()

    @property
    def uses_token(self) -> bool:
        return self.scheme == "token"


def check_basic_gate(headers: Headers, expected: tuple[str, str] | None) -> None:
    """The Basic gate of a domain that turned it on: checked before, and in addition to, Kintone auth."""
    if expected is None:
        return
    header = headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    ok = False
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        user, sep, password = decoded.partition(":")
        ok = bool(sep) and hmac.compare_digest(user, expected[0]) and hmac.compare_digest(password, expected[1])
    if not ok:
        bearer = scheme.lower() == "bearer"
        raise ErrorReply(
            401,
            "CB_AU01",
            "This domain requires Basic authentication: send 'Authorization: Basic base64(user:password)' "
            "with the Basic credentials in addition to your Kintone credentials."
            + (
                " A Bearer token (OAuth or User API token) cannot be used here: it needs the same Authorization "
                "header as the Basic gate. Use a password or an app API token."
                if bearer
                else ""
            ),
            headers={"WWW-Authenticate": 'Basic realm="kintone sandbox"'},
        )


def authenticate(
    conn: sqlite3.Connection,
    headers: Headers,
    *,
    basic_gate: bool,
    user_api: bool = False,
    now: datetime | None = None,
) -> Principal:
    """Dispatch on the credentials present; see the module docstring for the order.

    ``user_api``: the request is for the cybozu.com User API (``/v1/``); ``now`` is the sandbox clock (token expiry).
    """
    password_header = headers.get("x-cybozu-authorization")
    if password_header is not None:
        return _password(conn, password_header)
    token_headers = headers.getlist("x-cybozu-api-token")
    if token_headers:
        if user_api:
            raise ErrorReply(
                403,
                "GAIA_NO01",
                "Using this API token, you cannot run the specified API: app API tokens cannot call the User API "
                "(/v1/). Use password authentication (X-Cybozu-Authorization) or a User API token "
                "(Authorization: Bearer cy.s.api1...).",
            )
        return _tokens(conn, token_headers)
    authorization = headers.get("authorization", "")
    # With the Basic gate on, the Authorization header carries the gate's credentials, not OAuth.
    if not basic_gate and authorization.lower().startswith("bearer "):
        bearer = authorization[7:].strip()
        if user_api:
            scope = userapitokens.check(conn, bearer, now or datetime.now(UTC))
            return Principal(scheme="user_api_token", login=ADMIN_LOGIN, user_api_scope=scope)
        if userapitokens.looks_like_user_api_token(bearer):
            raise ErrorReply(
                401,
                "CB_AU01",
                "User API tokens (cy.s.api1...) authenticate only the cybozu.com User API (/v1/...). For /k/ "
                "endpoints send a password (X-Cybozu-Authorization), an app API token (X-Cybozu-API-Token) or "
                "an OAuth access token.",
            )
        return _oauth(conn, bearer, now or datetime.now(UTC))
    raise ErrorReply(
        401,
        "CB_AU01",
        "Please login. Send X-Cybozu-Authorization (base64 of login:password) or "
        + ("a User API token (Authorization: Bearer ...)." if user_api else "X-Cybozu-API-Token."),
    )


def _password(conn: sqlite3.Connection, header: str) -> Principal:
    try:
        decoded = base64.b64decode(header.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    login, sep, password = decoded.partition(":")
    if not sep or not directory.check_password(conn, login, password):
        raise ErrorReply(
            401,
            "CB_WA01",
            "Password authentication failed: check the login name and password "
            "(X-Cybozu-Authorization is base64 of 'login:password').",
        )
    return Principal(scheme="password", login=login)


def _tokens(conn: sqlite3.Connection, header_values: list[str]) -> Principal:
    tokens = [t.strip() for value in header_values for t in value.split(",") if t.strip()]
    if not tokens:
        raise ErrorReply(400, "GAIA_IA02", "The API token is empty: send a token in X-Cybozu-API-Token.")
    if len(tokens) > MAX_TOKENS_PER_REQUEST:
        raise ErrorReply(
            400,
            "CB_VA01",
            f"Too many API tokens: at most {MAX_TOKENS_PER_REQUEST} may be sent in one request, "
            f"{len(tokens)} were sent.",
        )
    placeholders = ",".join("?" * len(tokens))
    rows = {
        r["token"]: r
        for r in conn.execute(f"SELECT token, app, permissions FROM api_tokens WHERE token IN ({placeholders})", tokens)
    }
    apps: dict[int, frozenset[str]] = {}
    for position, token in enumerate(tokens, start=1):
        row = rows.get(token)
        if row is None:
            raise ErrorReply(
                400,
                "GAIA_IA02",
                f"API token number {position} in the request does not match any token: check that it was "
                "copied whole and that the app settings were updated after generating it.",
            )
        app = int(row["app"])
        if app in apps:
            raise ErrorReply(
                400,
                "GAIA_DA03",
                f"Two API tokens for the same app (app {app}) were sent: send one token per app.",
                params={"app": app},
            )
        apps[app] = frozenset(p for p in row["permissions"].split(",") if p in TOKEN_PERMISSIONS)
    return Principal(scheme="token", login=ADMIN_LOGIN, token_apps=apps)


def _oauth(conn: sqlite3.Connection, access_token: str, now: datetime) -> Principal:
    grant = oauthstore.check_access_token(conn, access_token, now)
    return Principal(scheme="oauth", login=grant.login, oauth_scopes=grant.scopes)
