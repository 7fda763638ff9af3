"""What the sandbox's OAuth 2.0 authorization server is set up with (docs/kintone-api.md §3).

Kintone leaves several things undocumented [U]: refresh-token rotation and lifetime, PKCE, the insufficient-scope
answer. Each is a setting here, so tests can pin the client's tolerance against every plausible behaviour.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal
from urllib.parse import urlsplit

#: Kintone's OAuth scopes, in the order of its documentation.
OAUTH_SCOPES: tuple[str, ...] = (
    "k:app_record:read",
    "k:app_record:write",
    "k:app_settings:read",
    "k:app_settings:write",
    "k:file:read",
    "k:file:write",
)

#: The redirect URI kintone-mcp uses by default (its loopback listener); the demo client is registered with it, so
#: ``kintone-mcp auth login`` against ``kintone-mcp sandbox`` needs no extra setting.
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8789/callback"
DEMO_CLIENT_ID = "kintone-mcp-demo"

#: ``reuse``: a refresh answers with the same refresh token; ``rotate``: with a new one, and the old one dies;
#: ``omit``: the answer has no ``refresh_token`` and the old one stays valid (one client library reports this).
RefreshRotation = Literal["reuse", "rotate", "omit"]
#: ``verify``: a ``code_challenge`` sent to the authorization endpoint must be matched by the ``code_verifier`` at
#: the token endpoint; ``ignore``: PKCE parameters are accepted and not checked (what Kintone may well do).
PkceMode = Literal["verify", "ignore"]


@dataclass(frozen=True)
class OAuthClientSpec:
    """A registered OAuth client (in Kintone: User & System Administration → OAuth)."""

    client_id: str
    client_secret: str
    redirect_uri: str
    name: str = "OAuth client"

    def __repr__(self) -> str:
        return f"OAuthClientSpec(client_id={self.client_id!r}, client_secret='***', redirect_uri={self.redirect_uri!r})"


def parse_client_spec(text: str) -> OAuthClientSpec:
    """``ID:SECRET:REDIRECT_URI`` (the URI keeps its own colons); raises ValueError saying what is wrong."""
    client_id, sep1, rest = text.partition(":")
    secret, sep2, redirect_uri = rest.partition(":")
    if not (sep1 and sep2 and client_id and secret and redirect_uri):
        raise ValueError("expected ID:SECRET:REDIRECT_URI, e.g. my-client:s3cret:http://127.0.0.1:8789/callback")
    parts = urlsplit(redirect_uri)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"the redirect URI must be an absolute http(s) URL, got {redirect_uri!r}")
    if parts.fragment:
        raise ValueError("the redirect URI must not have a #fragment")
    return OAuthClientSpec(client_id=client_id, client_secret=secret, redirect_uri=redirect_uri)


def demo_client(seed: int) -> OAuthClientSpec:
    """The client registered with demo data: the same secret for the same seed, so scripts can rely on it."""
    secret = hashlib.sha256(f"kintone-mcp-sandbox-oauth-client:{seed}".encode()).hexdigest()[:32]
    return OAuthClientSpec(DEMO_CLIENT_ID, secret, DEFAULT_REDIRECT_URI, name="kintone-mcp (sandbox demo)")


@dataclass
class OAuthConfig:
    clients: list[OAuthClientSpec] = field(default_factory=list)
    #: ``expires_in`` of access tokens (Kintone: 3600 s in every implementation seen).
    access_token_lifetime: timedelta = timedelta(hours=1)
    #: None: refresh tokens live until revoked (Kintone's lifetime is undocumented).
    refresh_token_lifetime: timedelta | None = None
    refresh_rotation: RefreshRotation = "reuse"
    #: Authorization codes are single-use and die after this long (RFC 6749 advises at most 10 minutes).
    code_lifetime: timedelta = timedelta(minutes=10)
    pkce: PkceMode = "verify"
    #: Serve RFC 7009 revocation at /oauth2/revoke. Kintone documents no revocation endpoint [U]: off by default.
    revocation_endpoint: bool = False
    #: With demo data and no clients given, register :func:`demo_client`.
    demo_client: bool = True
    #: The answer to a call whose access token lacks the endpoint's scope [U]; the default is Kintone's generic
    #: "No privilege to proceed." refusal.
    scope_error_status: int = 403
    scope_error_code: str = "CB_NO02"
    #: Whether that answer carries ``WWW-Authenticate: Bearer error="insufficient_scope", scope="..."`` (RFC 6750).
    scope_error_challenge: bool = True
