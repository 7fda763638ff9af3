"""cybozu.com User API tokens (docs/kintone-api.md §2.1b): issuing, minting the demo one, and checking a Bearer value.

A User API token authenticates the User API (``/v1/...``) only, sent as ``Authorization: Bearer <token>``. Real
tokens look like ``cy.s.api1.<header>.<payload>.<signature>`` (three base64url parts of a JWT-like string); the
sandbox looks tokens up by their exact text, so any string registered with ``--user-api-token`` works.

Scopes, narrowest first (USER_API_SCOPES): ``read`` (every GET), ``read_write`` (also the writes, except anything
touching members of the Administrators group and group memberships), ``dangerous`` (everything).

Codes the sandbox chooses where Kintone's are unconfirmed [U]: an unknown, revoked or expired token is
401 ``CB_AU01``; a scope that does not cover the call is 403 ``CB_NO02``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
import uuid
from datetime import UTC, date, datetime, time, timedelta

from kintone_mcp.sandbox.errors import ErrorReply

#: The scopes of a cybozu.com User API token (docs/kintone-api.md §2.1b), narrowest first.
USER_API_SCOPES: tuple[str, ...] = ("read", "read_write", "dangerous")
TOKEN_PREFIX = "cy.s.api1."


def looks_like_user_api_token(value: str) -> bool:
    return value.startswith(TOKEN_PREFIX)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def demo_token(seed: int) -> str:
    """A realistic-looking read-scope token, the same for the same seed (scripts and docs can rely on it)."""
    digest = hashlib.sha256(f"kintone-mcp-sandbox-user-api-token:{seed}".encode()).digest()
    header = {"kid": "v1", "typ": "JWT", "alg": "HS256"}
    payload = {"rand": str(uuid.UUID(bytes=digest[:16])), "iss": "kintone-mcp-sandbox"}
    parts = [_b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, payload)]
    signature = _b64url(hashlib.sha256(b"signature:" + digest).digest())
    return TOKEN_PREFIX + ".".join([*parts, signature])


def parse_expiry(text: str) -> datetime:
    """``2026-12-31`` (valid through that UTC day) or an ISO date-time (naive means UTC) -> an aware UTC instant."""
    value = text.strip()
    try:
        if "T" not in value and " " not in value:
            day = date.fromisoformat(value)
            return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{text!r} is not an ISO date (2026-12-31) or date-time (2026-12-31T18:00:00+09:00)"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _stamp(moment: datetime) -> str:
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def add(
    conn: sqlite3.Connection, token: str, scope: str, expires: datetime | None = None, *, demo: bool = False
) -> None:
    """Register (or re-issue, un-revoking) a token."""
    if scope not in USER_API_SCOPES:
        raise ValueError(f"unknown User API token scope {scope!r}; use one of {', '.join(USER_API_SCOPES)}")
    if not token or any(c.isspace() for c in token):
        raise ValueError("a User API token must be non-empty and contain no whitespace")
    conn.execute(
        "INSERT INTO user_api_tokens(token, scope, expires_at, revoked, demo) VALUES (?, ?, ?, 0, ?)"
        " ON CONFLICT(token) DO UPDATE SET scope = excluded.scope, expires_at = excluded.expires_at, revoked = 0",
        (token, scope, None if expires is None else _stamp(expires), int(demo)),
    )


def revoke(conn: sqlite3.Connection, token: str) -> bool:
    """Revoke a token (it then answers 401); False when no such token was registered."""
    return conn.execute("UPDATE user_api_tokens SET revoked = 1 WHERE token = ?", (token,)).rowcount > 0


def demo(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT token FROM user_api_tokens WHERE demo = 1 ORDER BY rowid LIMIT 1").fetchone()
    return None if row is None else str(row["token"])


def check(conn: sqlite3.Connection, token: str, now: datetime) -> str:
    """The scope of a usable token; 401 CB_AU01 for unknown, revoked or expired ones (never echoing the token)."""
    row = conn.execute(
        "SELECT scope, expires_at, revoked FROM user_api_tokens WHERE token = ?", (token,)
    ).fetchone()
    if row is None or row["revoked"]:
        raise ErrorReply(
            401,
            "CB_AU01",
            "The User API token does not match any active token: it may be mistyped, revoked or deleted. "
            "Send 'Authorization: Bearer <token>' with a token issued under Integrations > API tokens "
            "(sandbox: --user-api-token), or use password authentication. OAuth access tokens and app API "
            "tokens are not accepted by the User API.",
        )
    expires_at = row["expires_at"]
    if expires_at is not None and now >= datetime.fromisoformat(expires_at.replace("Z", "+00:00")):
        raise ErrorReply(
            401,
            "CB_AU01",
            f"The User API token expired at {expires_at}: issue a new token (or extend its validity period).",
        )
    return str(row["scope"])
