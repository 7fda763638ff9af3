"""The sandbox's OAuth 2.0 state: clients, authorization codes, access and refresh tokens (tables in ``store``).

Codes and tokens are kept as SHA-256 digests, never as issued, so a database file or a log of its queries never
holds a usable credential. Client secrets are kept as given: the sandbox prints them at start-up on purpose.

Expiry is measured on the sandbox clock (``SandboxConfig.clock``), so tests move time instead of sleeping.
A grant is one approval of one client by one user; every code, access and refresh token belongs to a grant, which
is how redeeming a code twice can revoke everything issued from it (RFC 6749 §4.1.2), and how a user's revocation
reaches every token of a client.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from kintone_mcp.sandbox.access.oauthclients import OAuthClientSpec, OAuthConfig, demo_client
from kintone_mcp.sandbox.errors import ErrorReply

#: What Kintone answers for a Bearer value it does not accept. The code is undocumented [U]; CB_AU01 ("Please
#: login.") is Kintone's generic 401. The WWW-Authenticate header follows RFC 6750 so clients can tell an expired
#: token (refresh and retry) from one that is simply wrong.
INVALID_TOKEN_CODE = "CB_AU01"


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: str
    redirect_uri: str
    name: str


@dataclass(frozen=True)
class CodeGrant:
    """What redeeming an authorization code yields (before tokens are issued)."""

    grant_id: str
    client_id: str
    login: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    expires_in: int
    scopes: tuple[str, ...]
    #: None when the refresh answer leaves it out (``refresh_rotation = "omit"``).
    refresh_token: str | None


class OAuthGrantError(Exception):
    """An RFC 6749 §5.2 error of the token endpoint: ``error`` is the code, the text says how to fix it."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


# -- clients ---------------------------------------------------------------------------------------------------------


def register_client(conn: sqlite3.Connection, spec: OAuthClientSpec, *, demo: bool = False) -> None:
    conn.execute(
        "INSERT INTO oauth_clients(client_id, client_secret, redirect_uri, name, demo) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT(client_id) DO UPDATE SET client_secret = excluded.client_secret,"
        " redirect_uri = excluded.redirect_uri, name = excluded.name",
        (spec.client_id, spec.client_secret, spec.redirect_uri, spec.name, int(demo)),
    )


def register_configured(conn: sqlite3.Connection, config: OAuthConfig, *, seed_demo: bool, seed: int) -> None:
    """Start-up: the clients of the configuration, and the demo client when demo data is being seeded."""
    if seed_demo and config.demo_client:
        register_client(conn, demo_client(seed), demo=True)
    for spec in config.clients:
        register_client(conn, spec)


def find_client(conn: sqlite3.Connection, client_id: str) -> Client | None:
    row = conn.execute(
        "SELECT client_id, client_secret, redirect_uri, name FROM oauth_clients WHERE client_id = ?", (client_id,)
    ).fetchone()
    if row is None:
        return None
    return Client(row["client_id"], row["client_secret"], row["redirect_uri"], row["name"])


def demo_client_spec(conn: sqlite3.Connection) -> OAuthClientSpec | None:
    row = conn.execute(
        "SELECT client_id, client_secret, redirect_uri, name FROM oauth_clients WHERE demo = 1 LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    return OAuthClientSpec(row["client_id"], row["client_secret"], row["redirect_uri"], row["name"])


def authenticate_client(conn: sqlite3.Connection, client_id: str, client_secret: str) -> Client:
    client = find_client(conn, client_id)
    # compare_digest on both paths so an unknown id and a wrong secret take the same time.
    expected = client.client_secret if client is not None else secrets.token_hex(16)
    if not hmac.compare_digest(expected.encode(), client_secret.encode()) or client is None:
        raise OAuthGrantError(
            "invalid_client",
            "Client authentication failed: check the client ID and secret (sent as HTTP Basic "
            "'client_id:client_secret', or as client_id and client_secret form fields).",
            401,
        )
    return client


# -- codes -----------------------------------------------------------------------------------------------------------


def issue_code(
    conn: sqlite3.Connection,
    *,
    client_id: str,
    login: str,
    scopes: tuple[str, ...],
    redirect_uri: str,
    code_challenge: str | None,
    challenge_method: str | None,
    now: datetime,
    config: OAuthConfig,
) -> str:
    code = secrets.token_urlsafe(32)
    grant_id = secrets.token_hex(16)
    conn.execute(
        "INSERT INTO oauth_codes(code_hash, grant_id, client_id, login, scope, redirect_uri, code_challenge,"
        " challenge_method, expires_at, used) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
        (
            digest(code),
            grant_id,
            client_id,
            login,
            " ".join(scopes),
            redirect_uri,
            code_challenge,
            challenge_method,
            _epoch(now + config.code_lifetime),
        ),
    )
    return code


def _pkce_matches(challenge: str, method: str | None, verifier: str) -> bool:
    if (method or "plain") == "plain":
        return hmac.compare_digest(challenge, verifier)
    computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()
    return hmac.compare_digest(challenge, computed)


def redeem_code(
    conn: sqlite3.Connection,
    *,
    code: str,
    client_id: str,
    redirect_uri: str | None,
    code_verifier: str | None,
    now: datetime,
    config: OAuthConfig,
) -> CodeGrant:
    """Checks and spends an authorization code; a second use revokes what the first one issued."""
    row = conn.execute("SELECT * FROM oauth_codes WHERE code_hash = ?", (digest(code),)).fetchone()
    if row is None or row["client_id"] != client_id:
        raise OAuthGrantError(
            "invalid_grant", "The authorization code is not valid for this client: start the sign-in again."
        )
    if row["used"]:
        revoke_grant(conn, row["grant_id"])
        raise OAuthGrantError(
            "invalid_grant",
            "The authorization code was already used; codes are single-use, so the tokens issued for it have been "
            "revoked as well. Start the sign-in again.",
        )
    conn.execute("UPDATE oauth_codes SET used = 1 WHERE code_hash = ?", (row["code_hash"],))
    if row["expires_at"] <= _epoch(now):
        raise OAuthGrantError(
            "invalid_grant",
            "The authorization code expired (codes are valid for "
            f"{int(config.code_lifetime.total_seconds())} s): start the sign-in again.",
        )
    if redirect_uri != row["redirect_uri"]:
        raise OAuthGrantError(
            "invalid_grant",
            "redirect_uri does not match the one the code was issued for: send the same redirect_uri as in the "
            "authorization request.",
        )
    if row["code_challenge"] and config.pkce == "verify":
        if not code_verifier:
            raise OAuthGrantError(
                "invalid_grant", "The authorization request used PKCE: send the code_verifier with the code."
            )
        if not _pkce_matches(row["code_challenge"], row["challenge_method"], code_verifier):
            raise OAuthGrantError("invalid_grant", "code_verifier does not match the code_challenge.")
    scopes = tuple(s for s in str(row["scope"]).split() if s)
    return CodeGrant(grant_id=row["grant_id"], client_id=client_id, login=row["login"], scopes=scopes)


# -- tokens ----------------------------------------------------------------------------------------------------------


#: (grant id, client id, user login, scopes): whose a token is and what it may do
_Owner = tuple[str, str, str, tuple[str, ...]]


def _refresh_expiry(now: datetime, config: OAuthConfig) -> float | None:
    return None if config.refresh_token_lifetime is None else _epoch(now + config.refresh_token_lifetime)


def _insert_token(conn: sqlite3.Connection, kind: str, owner: _Owner, expires_at: float | None) -> str:
    grant_id, client_id, login, scopes = owner
    token = secrets.token_urlsafe(32)
    conn.execute(
        "INSERT INTO oauth_tokens(token_hash, kind, grant_id, client_id, login, scope, expires_at, revoked)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
        (digest(token), kind, grant_id, client_id, login, " ".join(scopes), expires_at),
    )
    return token


def issue_tokens(
    conn: sqlite3.Connection, grant: CodeGrant, *, now: datetime, config: OAuthConfig
) -> IssuedTokens:
    lifetime = int(config.access_token_lifetime.total_seconds())
    owner = (grant.grant_id, grant.client_id, grant.login, grant.scopes)
    access = _insert_token(conn, "access", owner, _epoch(now) + lifetime)
    refresh = _insert_token(conn, "refresh", owner, _refresh_expiry(now, config))
    return IssuedTokens(access_token=access, expires_in=lifetime, scopes=grant.scopes, refresh_token=refresh)


def refresh(
    conn: sqlite3.Connection,
    *,
    refresh_token: str,
    client_id: str,
    scope: str | None,
    now: datetime,
    config: OAuthConfig,
) -> IssuedTokens:
    row = conn.execute(
        "SELECT * FROM oauth_tokens WHERE token_hash = ? AND kind = 'refresh'", (digest(refresh_token),)
    ).fetchone()
    if row is None or row["client_id"] != client_id:
        raise OAuthGrantError(
            "invalid_grant", "The refresh token is not valid for this client: sign in again to get a new one."
        )
    if row["revoked"]:
        raise OAuthGrantError(
            "invalid_grant", "The refresh token has been revoked (or replaced by a newer one): sign in again."
        )
    if row["expires_at"] is not None and row["expires_at"] <= _epoch(now):
        raise OAuthGrantError("invalid_grant", "The refresh token expired: sign in again.")
    granted = tuple(s for s in str(row["scope"]).split() if s)
    scopes = granted
    if scope is not None and scope.strip():
        asked = tuple(scope.split())
        wider = [s for s in asked if s not in granted]
        if wider:
            raise OAuthGrantError(
                "invalid_scope",
                f"A refresh cannot widen the grant ({', '.join(wider)} was not granted): sign in again asking for "
                "those scopes.",
            )
        scopes = asked
    lifetime = int(config.access_token_lifetime.total_seconds())
    owner = (str(row["grant_id"]), client_id, str(row["login"]), scopes)
    access = _insert_token(conn, "access", owner, _epoch(now) + lifetime)
    new_refresh: str | None = refresh_token
    if config.refresh_rotation == "rotate":
        conn.execute("UPDATE oauth_tokens SET revoked = 1 WHERE token_hash = ?", (row["token_hash"],))
        new_refresh = _insert_token(conn, "refresh", owner, _refresh_expiry(now, config))
    elif config.refresh_rotation == "omit":
        new_refresh = None
    return IssuedTokens(access_token=access, expires_in=lifetime, scopes=scopes, refresh_token=new_refresh)


@dataclass(frozen=True)
class AccessGrant:
    login: str
    scopes: frozenset[str]
    client_id: str


def check_access_token(conn: sqlite3.Connection, token: str, now: datetime) -> AccessGrant:
    """The user and scopes behind a Bearer access token; raises 401 ErrorReply when it is not usable."""
    row = conn.execute(
        "SELECT login, scope, client_id, expires_at, revoked FROM oauth_tokens WHERE token_hash = ?"
        " AND kind = 'access'",
        (digest(token),),
    ).fetchone()
    if row is None or row["revoked"]:
        raise ErrorReply(
            401,
            INVALID_TOKEN_CODE,
            "The OAuth access token is not valid (unknown or revoked): sign in again to get a new one. For "
            "password or API-token authentication send X-Cybozu-Authorization or X-Cybozu-API-Token instead.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token", error_description="unknown or revoked"'},
        )
    if row["expires_at"] <= _epoch(now):
        raise ErrorReply(
            401,
            INVALID_TOKEN_CODE,
            "The OAuth access token expired: get a new one with the refresh token (POST /oauth2/token, "
            "grant_type=refresh_token).",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token", error_description="expired"'},
        )
    return AccessGrant(
        login=row["login"], scopes=frozenset(str(row["scope"]).split()), client_id=row["client_id"]
    )


# -- revocation ------------------------------------------------------------------------------------------------------


def revoke_grant(conn: sqlite3.Connection, grant_id: str) -> None:
    conn.execute("UPDATE oauth_tokens SET revoked = 1 WHERE grant_id = ?", (grant_id,))


def revoke_token(conn: sqlite3.Connection, token: str, *, client_id: str) -> None:
    """Revoke the grant a token of this client belongs to (RFC 7009 §2.1: revoking one revokes the grant)."""
    row = conn.execute(
        "SELECT grant_id FROM oauth_tokens WHERE token_hash = ? AND client_id = ?", (digest(token), client_id)
    ).fetchone()
    if row is not None:
        revoke_grant(conn, row["grant_id"])


def revoke(conn: sqlite3.Connection, *, login: str | None = None, client_id: str | None = None) -> int:
    """Revoke every token of a user and/or a client (what a user or administrator does in Kintone's settings).

    Returns the number of tokens revoked."""
    clauses, params = ["revoked = 0"], []
    if login is not None:
        clauses.append("login = ?")
        params.append(login)
    if client_id is not None:
        clauses.append("client_id = ?")
        params.append(client_id)
    cursor = conn.execute(f"UPDATE oauth_tokens SET revoked = 1 WHERE {' AND '.join(clauses)}", params)
    return cursor.rowcount
