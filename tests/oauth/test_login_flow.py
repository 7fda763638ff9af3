"""Pieces of `auth login` that the end-to-end tests do not reach: the listener's manners, a redirect URI it cannot
listen on, and a port already taken."""

from __future__ import annotations

import socket
from pathlib import Path

import anyio
import httpx2
import pytest

from kintone_mcp.auth.oauth import OAuthClientConfig, OAuthSession
from kintone_mcp.auth.oauth_login import LoginError, LoopbackReceiver, is_loopback_http, login
from kintone_mcp.auth.token_store import FileTokenStore
from kintone_mcp.sandbox.access.oauthclients import OAuthClientSpec
from tests.oauth.browser import BASE, make_sandbox
from tests.oauth.signin import play_browser

pytestmark = pytest.mark.anyio


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("uri", "listens"),
    [("http://127.0.0.1:8789/callback", True), ("http://localhost:9000/cb", True), ("http://[::1]:9000/", True),
     ("https://127.0.0.1:8789/callback", False), ("http://127.0.0.1/callback", False),
     ("https://app.example.com/oauth", False), ("http://192.168.1.5:8789/cb", False)],
)
def test_which_redirect_uris_get_a_listener(uri: str, listens: bool) -> None:
    assert is_loopback_http(uri) is listens


async def test_the_listener_ignores_other_requests_and_answers_the_callback() -> None:
    port = free_port()
    async with LoopbackReceiver(f"http://127.0.0.1:{port}/callback") as receiver, anyio.create_task_group() as group:
        got: list[str] = []

        async def wait() -> None:
            got.append(await receiver.wait(10))

        group.start_soon(wait)
        async with httpx2.AsyncClient() as browser:
            assert (await browser.get(f"http://127.0.0.1:{port}/favicon.ico")).status_code == 404
            assert (await browser.get(f"http://127.0.0.1:{port}/callback")).status_code == 404  # no query
            page = await browser.get(f"http://127.0.0.1:{port}/callback?code=abc&state=xyz")
    assert page.status_code == 200 and "close this tab" in page.text
    assert got == [f"http://127.0.0.1:{port}/callback?code=abc&state=xyz"]


async def test_a_taken_port_says_what_to_do() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(LoginError, match="--no-browser"):
            async with LoopbackReceiver(f"http://127.0.0.1:{port}/callback"):
                pass


async def test_the_listener_gives_up_after_the_timeout() -> None:
    async with LoopbackReceiver(f"http://127.0.0.1:{free_port()}/callback") as receiver:
        with pytest.raises(LoginError, match="No redirect arrived"):
            await receiver.wait(0.2)


async def test_a_redirect_uri_it_cannot_listen_on_falls_back_to_pasting(tmp_path: Path) -> None:
    spec = OAuthClientSpec("web", "web-secret", "https://app.example.com/oauth/callback")
    sb = make_sandbox(clients=[spec])
    transport = httpx2.ASGITransport(app=sb.asgi_app)
    session = OAuthSession(OAuthClientConfig(BASE, spec.client_id, spec.client_secret, spec.redirect_uri,
                                             ("k:app_record:read",)),
                           transport_factory=lambda url: (transport, False))
    printed: list[str] = []

    def never(url: str) -> bool:
        raise AssertionError("no browser should be started for a redirect nobody here can receive")

    async def paste() -> str:
        url = next(line.strip() for text in printed for line in text.splitlines() if "/oauth2/authorization?" in line)
        async with httpx2.AsyncClient(transport=transport, base_url=BASE) as browser:
            return await play_browser(browser, url)

    tokens = await login(session, FileTokenStore(tmp_path), "web", out=printed.append, read_line=paste,
                         open_browser=never)
    assert tokens.scopes == ("k:app_record:read",)
    assert any("not a loopback" in text for text in printed)


async def test_nothing_pasted_in_time_fails_clearly(tmp_path: Path) -> None:
    sb = make_sandbox()
    transport = httpx2.ASGITransport(app=sb.asgi_app)
    session = OAuthSession(
        OAuthClientConfig(BASE, "kintone-mcp-demo", "x"), transport_factory=lambda url: (transport, False)
    )

    async def silent() -> str:
        await anyio.sleep(5)
        return ""

    with pytest.raises(LoginError, match="Nothing was pasted"):
        await login(session, FileTokenStore(tmp_path), "default", out=lambda _: None, read_line=silent,
                    open_browser=None, wait_seconds=0.1)
