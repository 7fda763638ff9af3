"""The authorization-code flow of ``kintone-mcp auth login``: send the user to Kintone's consent page, receive
the redirect, trade the code for tokens and store them.

The redirect arrives either at a one-shot HTTP listener on the loopback address of the redirect URI (the usual
case: the browser runs on this machine), or as the redirected URL pasted back by the user (``--no-browser``, or a
redirect URI that is not a loopback ``http://`` address, e.g. the https page Kintone insists on). Either way the
``state`` must match this sign-in, and PKCE (S256) binds the code to this process.
"""

from __future__ import annotations

import contextlib
import html
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import anyio
import anyio.abc

from kintone_mcp.auth.oauth import GrantRefused, OAuthSession, new_code_verifier, new_state
from kintone_mcp.auth.oauth_tokens import OAuthTokens, expires_in
from kintone_mcp.auth.token_store import TokenStore
from kintone_mcp.loopback import is_loopback

logger = logging.getLogger("kintone_mcp.auth")

#: how long to wait for the browser to come back
DEFAULT_TIMEOUT = 300.0
_MAX_REQUEST = 16 * 1024


class LoginError(Exception):
    """The sign-in did not complete; ``str()`` says why and what to do."""


@dataclass(frozen=True)
class PendingLogin:
    url: str
    state: str
    code_verifier: str


def begin(session: OAuthSession) -> PendingLogin:
    state = new_state()
    verifier = new_code_verifier()
    return PendingLogin(session.authorization_url(state=state, code_verifier=verifier), state, verifier)


def is_loopback_http(redirect_uri: str) -> bool:
    parts = urlsplit(redirect_uri)
    return parts.scheme == "http" and is_loopback(parts.hostname or "") and bool(parts.port)


def code_from_redirect(url: str, *, state: str) -> str:
    """The code in a redirected URL, after checking that it answers this sign-in."""
    text = url.strip()
    params = {k: v[0] for k, v in parse_qs(urlsplit(text).query).items()}
    if not params:
        raise LoginError(
            "That is not the redirected URL: paste the whole address the browser went to after you approved, "
            "starting with the redirect URI and containing ?code=...&state=..."
        )
    if params.get("state") != state:
        raise LoginError(
            "The redirect does not belong to this sign-in (its state differs): start `kintone-mcp auth login` again "
            "and use the URL it prints, in one browser tab."
        )
    if "error" in params:
        error = params["error"]
        if error == "access_denied":
            raise LoginError("The sign-in was denied in the browser: run `kintone-mcp auth login` again and approve.")
        detail = f" ({params['error_description']})" if params.get("error_description") else ""
        raise LoginError(f"Kintone refused the sign-in request: {error}{detail}. {_hint(error)}")
    code = params.get("code")
    if not code:
        raise LoginError("The redirected URL has no code: paste the address the browser went to after approving.")
    return code


def _hint(error: str) -> str:
    if error == "invalid_scope":
        return "Check KINTONE_OAUTH_SCOPES (space- or comma-separated k:... scopes)."
    if error == "unauthorized_client":
        return "Ask the cybozu.com administrator to allow your user for this OAuth client."
    return "Check KINTONE_OAUTH_CLIENT_ID and KINTONE_OAUTH_REDIRECT_URI against the client registered in Kintone."


class LoopbackReceiver:
    """Listens on the redirect URI's loopback address and port for the one request that carries the code.

    Bound on entry, so the port is known to be ours before the browser is sent off; other requests (a favicon)
    get a 404 and are otherwise ignored.
    """

    def __init__(self, redirect_uri: str) -> None:
        parts = urlsplit(redirect_uri)
        self.host = "::1" if parts.hostname == "::1" else "127.0.0.1"
        self.port = parts.port or 80
        self.path = parts.path or "/"
        self._listener: anyio.abc.Listener[anyio.abc.SocketStream] | None = None
        self._url: str | None = None

    async def __aenter__(self) -> LoopbackReceiver:
        try:
            self._listener = await anyio.create_tcp_listener(local_host=self.host, local_port=self.port)
        except OSError as exc:
            raise LoginError(
                f"Cannot listen on {self.host}:{self.port} for the redirect ({exc.strerror or exc}): free the port, "
                "or use --no-browser and paste the redirected URL."
            ) from None
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._listener is not None:
            await self._listener.aclose()

    async def wait(self, seconds: float) -> str:
        """The redirected URL (as the browser requested it); raises LoginError after ``seconds``."""
        assert self._listener is not None
        listener = self._listener
        with anyio.move_on_after(seconds):
            async with anyio.create_task_group() as group:

                async def handle(stream: anyio.abc.SocketStream) -> None:
                    if await self._answer(stream):
                        group.cancel_scope.cancel()

                await listener.serve(handle, task_group=group)
        if self._url is None:
            raise LoginError(
                f"No redirect arrived within {int(seconds)} s. Finish the sign-in in the browser, or run again with "
                "--no-browser and paste the redirected URL."
            )
        return self._url

    async def _answer(self, stream: anyio.abc.SocketStream) -> bool:
        async with stream:
            data = b""
            with anyio.move_on_after(10):
                while b"\r\n\r\n" not in data and len(data) < _MAX_REQUEST:
                    try:
                        data += await stream.receive()
                    except (anyio.EndOfStream, anyio.BrokenResourceError):
                        break
            line = data.split(b"\r\n", 1)[0].decode("latin-1")
            method, _, rest = line.partition(" ")
            target = rest.rpartition(" ")[0] if " HTTP/" in rest else rest
            parts = urlsplit(target)
            if method != "GET" or parts.path != self.path or not parts.query or self._url is not None:
                await _send(stream, 404, "Not found", "This address only receives the Kintone sign-in redirect.")
                return False
            params = parse_qs(parts.query)
            if "error" in params:
                await _send(stream, 200, "Sign-in not completed",
                            f"Kintone answered: {params['error'][0]}. Return to the terminal for details.")
            else:
                await _send(stream, 200, "Signed in", "kintone-mcp received the sign-in. You can close this tab "
                            "and return to the terminal.")
            self._url = f"http://{self.host}:{self.port}{target}"
            return True


async def _send(stream: anyio.abc.SocketStream, status: int, title: str, text: str) -> None:
    body = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    ).encode()
    reason = "OK" if status == 200 else "Not Found"
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
        "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
    ).encode()
    with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
        await stream.send(head + body)


async def login(
    session: OAuthSession,
    store: TokenStore,
    store_key: str,
    *,
    out: Callable[[str], None],
    read_line: Callable[[], Awaitable[str]],
    open_browser: Callable[[str], bool] | None,
    user: str | None = None,
    wait_seconds: float = DEFAULT_TIMEOUT,
    clock: Callable[[], float] = time.time,
) -> OAuthTokens:
    """Runs the whole flow and stores the tokens under ``store_key``.

    ``open_browser`` None means ``--no-browser``: print the URL and read the redirected URL with ``read_line``.
    """
    pending = begin(session)
    redirect_uri = session.config.redirect_uri
    if open_browser is not None and is_loopback_http(redirect_uri):
        async with LoopbackReceiver(redirect_uri) as receiver:
            out(f"Opening Kintone's sign-in page in your browser. If it does not open, visit:\n\n  {pending.url}\n")
            if not open_browser(pending.url):
                out("(Could not start a browser: open the address above yourself.)")
            out(f"Waiting for the redirect to {redirect_uri} ...")
            redirected = await receiver.wait(wait_seconds)
    else:
        if open_browser is not None:
            out(f"The redirect URI {redirect_uri} is not a loopback http:// address this command can listen on, "
                "so finish the sign-in by pasting.")
        out(f"Open this address in a browser, sign in to Kintone and approve:\n\n  {pending.url}\n")
        out("The browser is then sent to the redirect URI (it may show an error page: that is fine).\n"
            "Paste the full address it went to, then press Enter:")
        with anyio.move_on_after(wait_seconds) as scope:
            redirected = await read_line()
        if scope.cancelled_caught:
            raise LoginError(f"Nothing was pasted within {int(wait_seconds)} s: run `kintone-mcp auth login` again.")
    code = code_from_redirect(redirected, state=pending.state)
    try:
        answer = await session.exchange_code(code, code_verifier=pending.code_verifier)
    except GrantRefused as exc:
        detail = f" ({exc.description})" if exc.description else ""
        raise LoginError(f"Kintone refused to issue tokens: {exc.error}{detail}. {_hint(exc.error)}") from None
    now = clock()
    config = session.config
    tokens = OAuthTokens(
        access_token=str(answer["access_token"]),
        refresh_token=str(answer["refresh_token"]) if answer.get("refresh_token") else None,
        expires_at=now + expires_in(answer),
        scopes=tuple(str(answer["scope"]).split()) if answer.get("scope") else config.scopes,
        base_url=config.base_url,
        client_id=config.client_id,
        user=user,
        obtained_at=now,
    )
    await anyio.to_thread.run_sync(store.save, store_key, tokens)
    return tokens
