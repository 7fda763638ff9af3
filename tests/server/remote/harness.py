"""A remote server on a loopback port with the sandbox as Kintone, and MCP clients that sign in through the SDK's
own OAuth support while the test plays the browser (Kintone's consent page included)."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx2
import uvicorn
from mcp import Client
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from pydantic import AnyUrl

from kintone_mcp.sandbox import Sandbox, SandboxConfig, serve_in_thread
from kintone_mcp.sandbox.access.oauthclients import OAuthClientSpec, OAuthConfig
from kintone_mcp.sandbox.access.oauthstore import register_client
from kintone_mcp.server.remote.launch import remote_app_from_settings
from kintone_mcp.server.remote.sealing import new_key_text
from kintone_mcp.settings import Settings
from kintone_mcp.settings.remote import load_remote_settings
from tests.oauth.browser import form_fields

KINTONE_CLIENT_ID = "team-mcp"
#: canaries: none of these may appear in a log, an error or another user's answer
KINTONE_SECRET = "CANARY-kintone-client-secret-51c0e2"
REDIRECT = "http://127.0.0.1:33418/callback"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_app(app: Any, port: int) -> Iterator[str]:
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class Remote:
    sandbox: Sandbox
    kintone_url: str
    url: str
    keys: str
    provider: Any


def make_sandbox(records: int = 20, **oauth: Any) -> Sandbox:
    return Sandbox(SandboxConfig(demo=True, demo_records=records, oauth=OAuthConfig(**oauth)))


@contextmanager
def remote_server(sandbox: Sandbox | None = None, *, keys: str | None = None, remote: dict[str, Any] | None = None,
                  port: int | None = None, **app_options: Any) -> Iterator[Remote]:
    sb = sandbox or make_sandbox()
    port = port or free_port()
    public = f"http://127.0.0.1:{port}"
    keys = keys or new_key_text("k1")
    with serve_in_thread(sb) as kintone_url:
        with sb.store.transaction() as conn:
            register_client(conn, OAuthClientSpec(KINTONE_CLIENT_ID, KINTONE_SECRET, public + "/oauth/callback"))
        settings = Settings(base_url=kintone_url, auth_type="oauth", oauth_client_id=KINTONE_CLIENT_ID,
                            oauth_client_secret=KINTONE_SECRET)
        extra = dict(remote or {})
        if extra.pop("kintone_revocation", False):
            extra["kintone_revocation_url"] = kintone_url + "/oauth2/revoke"
        remote_settings = load_remote_settings({"public_url": public, "remote_keys": keys, **extra}, env={})
        app, _server, provider = remote_app_from_settings(settings, remote_settings, **app_options)
        with serve_app(app, port) as url:
            yield Remote(sb, kintone_url, url, keys, provider)


class MemoryStorage(TokenStorage):
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


async def play_kintone_consent(browser: httpx2.AsyncClient, url: str, login: str, password: str = "sandbox",
                               action: str = "approve") -> str:
    """GET Kintone's page, POST its form as the person would; the Location Kintone sends the browser to."""
    page = await browser.get(url)
    assert page.status_code == 200, page.text
    fields = form_fields(page.text)
    fields.update(username=login, password=password, action=action)
    target = re.search(r"<form method='post' action='([^']+)'", page.text)
    assert target is not None
    answer = await browser.post(str(page.url.join(target.group(1))), data=fields)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


@dataclass
class User:
    """One person's MCP client: the SDK's OAuth provider, its token storage, and the browser steps it saw."""

    login: str
    storage: MemoryStorage = field(default_factory=MemoryStorage)
    sign_ins: int = 0
    client_metadata_url: str | None = None
    #: httpx2 event hooks for the browser's requests (the replica test follows every request's route)
    browser_hooks: dict[str, list[Any]] = field(default_factory=dict)

    def auth(self, server_url: str) -> OAuthClientProvider:
        pending: dict[str, str] = {}

        async def redirect_handler(authorization_url: str) -> None:
            pending["url"] = authorization_url

        async def callback_handler() -> AuthorizationCodeResult:
            self.sign_ins += 1
            async with httpx2.AsyncClient(timeout=30, event_hooks=self.browser_hooks) as browser:
                first = await browser.get(pending["url"])  # our /authorize: to Kintone's consent page
                assert first.status_code == 302, first.text
                back = await play_kintone_consent(browser, first.headers["location"], self.login)
                final = await browser.get(back)  # our /oauth/callback: to the client's redirect URI
                assert final.status_code == 302, final.text
                location = final.headers["location"]
            assert location.startswith(REDIRECT), location
            query = dict(httpx2.URL(location).params)
            return AuthorizationCodeResult(code=query["code"], state=query.get("state"))

        return OAuthClientProvider(
            server_url=server_url + "/mcp",
            client_metadata=OAuthClientMetadata(
                client_name=f"test client of {self.login}",
                redirect_uris=[AnyUrl(REDIRECT)],
                grant_types=["authorization_code", "refresh_token"],
                response_types=["code"],
                token_endpoint_auth_method="none",
            ),
            storage=self.storage,
            redirect_handler=redirect_handler,
            callback_handler=callback_handler,
            client_metadata_url=self.client_metadata_url,
        )


@asynccontextmanager
async def connect(remote_url: str, user: User, *, headers: dict[str, str] | None = None) -> AsyncIterator[Client]:
    http = httpx2.AsyncClient(auth=user.auth(remote_url), headers=headers or {}, timeout=30)
    async with http, Client(streamable_http_client(remote_url + "/mcp", http_client=http)) as client:
        yield client

