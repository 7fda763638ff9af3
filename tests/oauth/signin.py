"""Signing a client in through the real flow: ``oauth_login.login`` with the test playing the browser."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx2

from kintone_mcp.auth import Credentials
from kintone_mcp.auth.oauth import OAuthAuth, OAuthClientConfig, OAuthSession
from kintone_mcp.auth.oauth_login import login
from kintone_mcp.auth.oauth_tokens import OAuthTokens
from kintone_mcp.auth.token_store import FileTokenStore
from kintone_mcp.client import KintoneClient
from kintone_mcp.sandbox import Sandbox
from kintone_mcp.sandbox.access.oauthclients import OAuthClientSpec
from tests.oauth.browser import BASE, Clock, demo_client, form_fields

ALL = (
    "k:app_record:read", "k:app_record:write", "k:app_settings:read", "k:app_settings:write", "k:file:read",
    "k:file:write",
)
#: Canary values: the tests assert they never show up in output, logs, errors or reprs.
CANARY_SECRET = "CANARY-client-secret-7f3a9d"


@dataclass
class SignedIn:
    sb: Sandbox
    clock: Clock
    store: FileTokenStore
    session: OAuthSession
    tokens: OAuthTokens
    transport: httpx2.AsyncBaseTransport
    base_url: str
    connection: str | None

    def auth(self, **kwargs: object) -> OAuthAuth:
        """A fresh strategy over the stored tokens, on the test's clock (as another process would start)."""
        return OAuthAuth(self.session, self.store, self.connection, clock=self.clock.epoch, **kwargs)  # type: ignore[arg-type]

    def client(self, auth: OAuthAuth | None = None) -> KintoneClient:
        return KintoneClient(self.base_url, credentials=Credentials(rest=auth or self.auth()), transport=self.transport)


class EpochClock(Clock):
    def epoch(self) -> float:
        return self.now.timestamp()


async def play_browser(http: httpx2.AsyncClient, url: str, *, login_name: str = "sato", password: str = "sandbox",
                       action: str = "approve") -> str:
    """GET the consent page, POST its form; returns the Location Kintone redirects the browser to."""
    page = await http.get(url)
    assert page.status_code == 200, page.text
    fields = form_fields(page.text)
    fields.update(username=login_name, password=password, action=action)
    target = re.search(r"<form method='post' action='([^']+)'", page.text)
    assert target is not None
    answer = await http.post(str(page.url.join(target.group(1))), data=fields)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def register_canary_client(sb: Sandbox, redirect_uri: str = "http://127.0.0.1:8789/callback") -> OAuthClientSpec:
    spec = OAuthClientSpec("canary-client", CANARY_SECRET, redirect_uri)
    from kintone_mcp.sandbox.access.oauthstore import register_client

    with sb.store.transaction() as conn:
        register_client(conn, spec)
    return spec


async def sign_in(
    sb: Sandbox,
    clock: EpochClock,
    tmp_path: Path,
    *,
    scopes: tuple[str, ...] = ALL,
    transport: httpx2.AsyncBaseTransport | None = None,
    base_url: str = BASE,
    connection: str | None = None,
    login_name: str = "sato",
    spec: OAuthClientSpec | None = None,
    out: Callable[[str], None] = lambda _: None,
) -> SignedIn:
    """The --no-browser flow: print the URL, the test's browser approves, the redirected URL is pasted back."""
    spec = spec or demo_client(sb)
    transport = transport or httpx2.ASGITransport(app=sb.asgi_app)
    config = OAuthClientConfig(base_url, spec.client_id, spec.client_secret, spec.redirect_uri, scopes)
    lent = transport
    session = OAuthSession(config, transport_factory=lambda url: (lent, False))
    store = FileTokenStore(tmp_path / "tokens")
    printed: list[str] = []

    def capture(text: str) -> None:
        printed.append(text)
        out(text)

    async def paste() -> str:
        url = next(line.strip() for text in printed for line in text.splitlines() if "/oauth2/authorization?" in line)
        async with httpx2.AsyncClient(transport=transport, base_url=base_url) as browser:
            return await play_browser(browser, url, login_name=login_name)

    tokens = await login(session, store, connection or "default", out=capture, read_line=paste, open_browser=None,
                         clock=clock.epoch)
    return SignedIn(sb, clock, store, session, tokens, transport, base_url, connection)
