"""``kintone-mcp auth login | status | logout``: sign a connection in to Kintone with OAuth 2.0, and manage the
stored sign-in. The connection is configured as for the server (KINTONE_* variables or a connections file);
``--connection`` picks a named one, as KINTONE_CONNECTION does.

Nothing here ever prints a token or the client secret.
"""

from __future__ import annotations

import argparse
import sys
import time
import webbrowser
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import anyio
import anyio.to_thread

from kintone_mcp.auth.oauth_errors import login_command
from kintone_mcp.auth.oauth_login import DEFAULT_TIMEOUT, LoginError, login
from kintone_mcp.auth.token_store import TokenStore, TokenStoreError
from kintone_mcp.connect import oauth_session_for, token_store_for

if TYPE_CHECKING:
    from kintone_mcp.settings import Settings


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a number of seconds") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="auth_action", metavar="ACTION", required=True)
    login_parser = actions.add_parser(
        "login",
        help="sign in with OAuth 2.0 (authorization code flow) and store the tokens",
        description="Open Kintone's sign-in page, receive the redirect on the loopback address of "
        "KINTONE_OAUTH_REDIRECT_URI (default http://127.0.0.1:8789/callback), and store the tokens.",
    )
    status_parser = actions.add_parser("status", help="show who is signed in, the scopes and the expiry")
    logout_parser = actions.add_parser("logout", help="forget the stored tokens")
    for sub in (login_parser, status_parser, logout_parser):
        sub.add_argument("--connection", metavar="NAME", help="the named connection (as KINTONE_CONNECTION)")
    login_parser.add_argument("--no-browser", action="store_true",
                              help="print the sign-in address and read the redirected URL pasted back")
    login_parser.add_argument("--user", metavar="LOGIN",
                              help="record the login name you sign in with, for `auth status` (Kintone does not "
                                   "report it)")
    login_parser.add_argument("--timeout", type=_positive, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                              help=f"how long to wait for the sign-in (default: {int(DEFAULT_TIMEOUT)})")


def run(args: argparse.Namespace) -> int:
    from kintone_mcp.settings import ConfigurationError, load_settings

    try:
        settings = load_settings({"connection": args.connection})
    except ConfigurationError as exc:
        _err(str(exc))
        return 2
    if settings.auth_type != "oauth":
        _err(
            "This connection is not set up for OAuth: set KINTONE_OAUTH_CLIENT_ID and KINTONE_OAUTH_CLIENT_SECRET "
            "(the client registered in Kintone under User & System Administration > OAuth) and "
            "KINTONE_AUTH_TYPE=oauth if other credentials are configured too."
        )
        return 2
    try:
        store = token_store_for(settings)
    except TokenStoreError as exc:
        _err(f"kintone-mcp auth: {exc}")
        return 2
    name = settings.connection
    key = name or "default"
    label = name or "default (unnamed)"
    try:
        if args.auth_action == "login":
            return sign_in(settings, store, key, label, no_browser=args.no_browser, user=args.user,
                           timeout=args.timeout)
        if args.auth_action == "status":
            return _status(settings, store, key, label, name)
        return _logout(store, key, label)
    except TokenStoreError as exc:
        _err(f"kintone-mcp auth: {exc}")
        return 1


def sign_in(
    settings: Settings,
    store: TokenStore,
    key: str,
    label: str,
    *,
    no_browser: bool = False,
    user: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> int:
    """The authorization code flow for ``settings``, storing the tokens under ``key``: ``auth login``, and
    ``connection add`` for an OAuth connection (so the check before saving runs with a sign-in). 0 when signed in."""
    session = oauth_session_for(settings)

    async def read_line() -> str:
        line: str = await anyio.to_thread.run_sync(sys.stdin.readline, abandon_on_cancel=True)
        return line

    def open_browser(url: str) -> bool:
        try:
            return webbrowser.open(url)
        except webbrowser.Error:
            return False

    async def flow() -> int:
        try:
            tokens = await login(
                session,
                store,
                key,
                out=_out,
                read_line=read_line,
                open_browser=None if no_browser else open_browser,
                user=user,
                wait_seconds=timeout,
            )
        except LoginError as exc:
            _err(f"Sign-in failed: {exc}")
            return 1
        _out(f"Signed in: connection {label} at {settings.base_url}.")
        _out(f"  scopes: {' '.join(tokens.scopes) or '(none reported)'}")
        _out(f"  tokens stored in the {store.describe()}")
        return 0

    code: int = anyio.run(flow)
    return code


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _status(settings: Settings, store: TokenStore, key: str, label: str, name: str | None) -> int:
    _out(f"Connection: {label}")
    _out(f"  Kintone: {settings.base_url}  (OAuth client {settings.oauth_client_id})")
    _out(f"  token store: {store.describe()}")
    tokens = store.load(key)
    if tokens is None:
        _out(f"Not signed in. Run `{login_command(name)}`.")
        return 1
    if tokens.base_url.rstrip("/") != settings.base_url.rstrip("/") or tokens.client_id != settings.oauth_client_id:
        _out(f"The stored sign-in is for {tokens.base_url} with client {tokens.client_id}, not this connection. "
             f"Run `{login_command(name)}`.")
        return 1
    now = time.time()
    _out(f"  user: {tokens.user or 'not recorded (Kintone does not report it; pass --user to auth login)'}")
    _out(f"  scopes: {' '.join(tokens.scopes) or '(none reported)'}")
    left = tokens.expires_at - now
    if left > 0:
        _out(f"  access token: valid until {_when(tokens.expires_at)} ({int(left // 60)} min left)")
    else:
        _out(f"  access token: expired at {_when(tokens.expires_at)}"
             + ("; renewed automatically on next use" if tokens.refresh_token else ""))
    if tokens.refresh_token:
        since = f" (obtained {_when(tokens.obtained_at)})" if tokens.obtained_at else ""
        _out(f"  refresh token: stored{since}; Kintone decides how long it lasts")
    else:
        _out(f"  refresh token: none, so run `{login_command(name)}` again when the access token expires")
    return 0


def _logout(store: TokenStore, key: str, label: str) -> int:
    if store.delete(key):
        _out(f"Signed out: removed the OAuth tokens of connection {label} from the {store.describe()}.")
        _out("Kintone keeps the grant until its tokens expire; an administrator can cut it off at once by "
             "resetting the OAuth client's secret or removing the user from the client's allowed users.")
    else:
        _out(f"Connection {label} was not signed in ({store.describe()}); nothing to remove.")
    return 0
