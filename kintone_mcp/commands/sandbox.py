"""``kintone-mcp sandbox``: run the Kintone-compatible sandbox in the foreground.

It prints its base URL and the credentials it accepts (this is a sandbox: showing them is the point), then serves
with uvicorn until interrupted. In-memory unless ``--db`` names a file; a file keeps its data across restarts and is
never re-seeded.
"""

from __future__ import annotations

import argparse
import base64
import socket
import sys
from datetime import date, timedelta
from typing import TYPE_CHECKING

from kintone_mcp.commands.demo_options import add_demo_arguments
from kintone_mcp.sandbox import demo
from kintone_mcp.sandbox.access.apitokens import TOKEN_PERMISSIONS
from kintone_mcp.sandbox.access.oauthclients import OAuthClientSpec, OAuthConfig, parse_client_spec
from kintone_mcp.sandbox.access.userapitokens import USER_API_SCOPES
from kintone_mcp.sandbox.endpoints.oauth import banner_lines as oauth_banner
from kintone_mcp.sandbox.operations.middleware import (
    add_operations_arguments,
    non_negative_int,
    operations_config_from_args,
    positive_int,
)
from kintone_mcp.sandbox.options import ApiTokenSpec, SandboxConfig, UserApiTokenSpec, UserSpec
from kintone_mcp.sandbox.store.directory import ADMIN_LOGIN, DEFAULT_PASSWORD

if TYPE_CHECKING:
    from kintone_mcp.sandbox.sandbox import Sandbox


def _user(text: str) -> UserSpec:
    login, sep, password = text.partition(":")
    if not sep or not login or not password:
        raise argparse.ArgumentTypeError("expected LOGIN:PASSWORD (both non-empty)")
    return UserSpec(login=login, password=password)


def _token(text: str) -> ApiTokenSpec:
    parts = text.split(":")
    if len(parts) not in (2, 3) or not (parts[0].isascii() and parts[0].isdigit()) or not parts[1]:
        raise argparse.ArgumentTypeError(
            "expected APP_ID:TOKEN[:PERMS] with a numeric app id, e.g. 1:mytoken:view,add"
        )
    perms = frozenset(TOKEN_PERMISSIONS)
    if len(parts) == 3:
        requested = [p.strip() for p in parts[2].split(",") if p.strip()]
        unknown = [p for p in requested if p not in TOKEN_PERMISSIONS]
        if unknown or not requested:
            raise argparse.ArgumentTypeError(
                f"unknown permission(s) {', '.join(unknown) or '(none given)'}; use a comma list of "
                + ",".join(TOKEN_PERMISSIONS)
            )
        perms = frozenset(requested)
    return ApiTokenSpec(app=int(parts[0]), token=parts[1], permissions=perms)


def _user_api_token(text: str) -> UserApiTokenSpec:
    from kintone_mcp.sandbox.access.userapitokens import parse_expiry

    # The expiry may contain colons (18:00:00), so only the first two separate fields.
    parts = text.split(":", 2)
    if len(parts) < 2 or not parts[0] or parts[1] not in USER_API_SCOPES:
        raise argparse.ArgumentTypeError(
            f"expected TOKEN:SCOPE[:EXPIRES] with SCOPE one of {', '.join(USER_API_SCOPES)}, "
            "e.g. cy.s.api1.xxx.yyy.zzz:read_write:2026-12-31"
        )
    try:
        expires = parse_expiry(parts[2]) if len(parts) == 3 and parts[2] else None
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"EXPIRES: {exc}") from None
    return UserApiTokenSpec(token=parts[0], scope=parts[1], expires=expires)


def _oauth_client(text: str) -> OAuthClientSpec:
    try:
        return parse_client_spec(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _basic(text: str) -> tuple[str, str]:
    user, sep, password = text.partition(":")
    if not sep or not user or not password:
        raise argparse.ArgumentTypeError("expected USER:PASS (both non-empty)")
    return user, password


def _port(text: str) -> int:
    value = non_negative_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError("must be 0-65535 (0 picks a free port)")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=8787, help="port to bind; 0 picks a free one (default: 8787)")
    parser.add_argument("--db", metavar="PATH", help="SQLite file to keep data in (default: in memory)")
    seed = parser.add_mutually_exclusive_group()
    seed.add_argument("--demo", dest="demo", action="store_true", default=True,
                      help="seed demo users and apps: Customers, Deals, Support tickets, Contracts and a "
                           "guest-space app (default)")
    seed.add_argument("--empty", dest="demo", action="store_false", help="start with only the Administrator user")
    add_demo_arguments(parser)
    parser.add_argument("--lenient-operators", action="store_true",
                        help="accept query operators whose support in Kintone is unconfirmed (is empty on "
                             "SINGLE_LINE_TEXT and LINK); by default they are refused with GAIA_IQ03, as reported "
                             "of real Kintone")
    parser.add_argument("--user", type=_user, action="append", default=[], metavar="LOGIN:PASSWORD",
                        help="add a user (or reset its password); repeatable")
    parser.add_argument("--api-token", type=_token, action="append", default=[], metavar="APP_ID:TOKEN[:PERMS]",
                        help="register an app API token; PERMS is a comma list of "
                             f"{','.join(TOKEN_PERMISSIONS)} (default: all); repeatable")
    parser.add_argument("--user-api-token", type=_user_api_token, action="append", default=[],
                        metavar="TOKEN:SCOPE[:EXPIRES]",
                        help="issue a cybozu.com User API token (Authorization: Bearer, /v1/ only); SCOPE is "
                             f"{'|'.join(USER_API_SCOPES)}, EXPIRES an ISO date or date-time (default: never); "
                             "repeatable. With --demo and none given, a read-scope demo token is printed")
    parser.add_argument("--oauth-client", type=_oauth_client, action="append", default=[],
                        metavar="ID:SECRET:REDIRECT_URI",
                        help="register an OAuth client (authorization code grant at /oauth2/authorization and "
                             "/oauth2/token); repeatable. With --demo a demo client is registered and printed")
    parser.add_argument("--oauth-token-lifetime", type=positive_int, default=3600, metavar="SECONDS",
                        help="lifetime of OAuth access tokens (default: 3600)")
    parser.add_argument("--oauth-refresh-rotation", choices=["reuse", "rotate", "omit"], default="reuse",
                        help="what a refresh answers: the same refresh token (reuse, default), a new one that "
                             "replaces it (rotate), or none (omit); Kintone's behaviour is undocumented")
    parser.add_argument("--basic-auth", type=_basic, metavar="USER:PASS",
                        help="require this Basic authentication in addition to Kintone credentials")
    add_operations_arguments(parser)


def build_config(args: argparse.Namespace) -> SandboxConfig:
    return SandboxConfig(
        db_path=args.db,
        demo=args.demo,
        demo_records=args.demo_records,
        seed=SandboxConfig.seed if args.seed is None else args.seed,
        demo_start=args.demo_start or demo.recent_start(date.today()),
        lenient_operators=args.lenient_operators,
        users=list(args.user),
        api_tokens=list(args.api_token),
        user_api_tokens=list(args.user_api_token),
        basic_auth=args.basic_auth,
        oauth=OAuthConfig(
            clients=list(args.oauth_client),
            access_token_lifetime=timedelta(seconds=args.oauth_token_lifetime),
            refresh_rotation=args.oauth_refresh_rotation,
        ),
        operations=operations_config_from_args(args),
    )


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly so asyncio turns on TCP_NODELAY (else ~40 ms delayed-ACK stalls per response).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def banner(sandbox: Sandbox, base_url: str, config: SandboxConfig, *, fresh: bool) -> list[str]:
    """What the CLI prints: where to connect and with what."""
    lines = [f"Kintone sandbox listening on {base_url}", f"  REST API: {base_url}/k/v1/  (guest spaces: "
             f"{base_url}/k/guest/ID/v1/)"]
    lines.append(f"  storage: {config.db_path or 'in memory (gone when stopped)'}")
    with sandbox.store.reading() as conn:
        apps = demo.app_overview(conn)
    if apps:
        lines.append("Apps:")
        for listed in apps:
            where = "" if listed.guest_space is None else (
                f", guest space {listed.guest_space} \"{listed.space_name}\": "
                f"{base_url}/k/guest/{listed.guest_space}/v1/")
            code = listed.code or "no code"
            lines.append(f"  {listed.app_id} {listed.name} ({code}, {listed.records} records{where})")
    lines.append("Password authentication (X-Cybozu-Authorization = base64 of LOGIN:PASSWORD):")
    users: list[tuple[str, str]] = []
    if fresh:
        users.append((ADMIN_LOGIN, DEFAULT_PASSWORD))
        if config.demo:
            from kintone_mcp.sandbox.demo.seed import USERS

            users += [(login, DEFAULT_PASSWORD) for login, _, _ in USERS]
    users += [(u.login, u.password) for u in config.users]
    seen: dict[str, str] = {}
    for login, password in users:
        seen[login] = password
    for login, password in seen.items():
        lines.append(f"  {login}:{password}")
    if not fresh:
        lines.append("  (existing database: other users keep the passwords stored in it)")
    tokens = sandbox.demo_tokens
    if tokens or config.api_tokens:
        lines.append("API tokens (X-Cybozu-API-Token):")
        for app, token in tokens.items():
            lines.append(f"  app {app}: {token}  (demo, all permissions)")
        for spec in config.api_tokens:
            perms = ",".join(p for p in TOKEN_PERMISSIONS if p in spec.permissions)
            lines.append(f"  app {spec.app}: {spec.token}  ({perms})")
    demo_user_token = sandbox.demo_user_api_token
    if demo_user_token or config.user_api_tokens:
        gated = "; unusable while the Basic gate is on" if config.basic_auth is not None else ""
        lines.append(f"User API tokens (Authorization: Bearer TOKEN, {base_url}/v1/ only{gated}):")
        if demo_user_token:
            lines.append(f"  {demo_user_token}  (demo, read)")
        for user_spec in config.user_api_tokens:
            until = "" if user_spec.expires is None else f", expires {user_spec.expires.isoformat()}"
            lines.append(f"  {user_spec.token}  ({user_spec.scope}{until})")
    if config.basic_auth is not None:
        lines.append(f"Basic gate (Authorization: Basic): {config.basic_auth[0]}:{config.basic_auth[1]}")
    lines += oauth_banner(sandbox.store, base_url, config)
    if users:
        login, password = next(iter(seen.items()))
        encoded = base64.b64encode(f"{login}:{password}".encode()).decode()
        basic = f" -u {config.basic_auth[0]}:{config.basic_auth[1]}" if config.basic_auth else ""
        lines.append(f"Try: curl{basic} -H 'X-Cybozu-Authorization: {encoded}' {base_url}/k/v1/apps.json")
    return lines


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from kintone_mcp.sandbox.sandbox import Sandbox

    config = build_config(args)
    try:
        sock = _bind(args.host, args.port)
    except OSError as exc:
        print(f"kintone-mcp sandbox: cannot listen on {args.host}:{args.port}: {exc.strerror}. "
              "Pick another --port (0 chooses a free one).", file=sys.stderr)
        return 1
    sandbox = Sandbox(config)
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    base_url = f"http://{host}:{port}"
    for line in banner(sandbox, base_url, config, fresh=sandbox.fresh):
        print(line)
    sys.stdout.flush()
    server = uvicorn.Server(
        uvicorn.Config(sandbox.asgi_app, log_level="warning", lifespan="off", access_log=False)
    )
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        sandbox.close()
    return 0
