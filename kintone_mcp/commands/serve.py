"""``kintone-mcp serve`` (also plain ``kintone-mcp``): the MCP server on stdio, or Streamable HTTP.

``--sandbox`` starts an embedded Kintone-compatible sandbox with demo data on a free loopback port and points the
server at it: the zero-setup way to try every tool. Logs go to stderr only (stdout carries the protocol).

This module is imported to build the command line, so it imports nothing heavy at the top.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kintone_mcp.sandbox import Sandbox

#: command-line flags that are launch settings (Settings field names)
_SETTING_FLAGS = (
    "config", "connection", "app_id", "allow_apps", "deny_apps", "tools", "disable_tools", "toolsets",
    "guest_space_id", "confirm", "confirm_bulk",
)
#: flags that only mean something with --sandbox (they shape its demo data)
_DEMO_FLAGS = ("demo_records", "seed", "demo_start")
#: the demo's guest space ("Partner portal", holding app 4); --guest-space-id with --sandbox must name it
_DEMO_GUEST_SPACE = 2
#: settings of the server itself rather than of the Kintone connection: --sandbox takes them from the environment
_SERVER_SETTINGS = (
    "KINTONE_MCP_HTTP_TOKEN",
    "KINTONE_MCP_HTTP_TOKEN_FILE",
    "KINTONE_MCP_HTTP_MAX_BODY",
    "KINTONE_MCP_HTTP_MAX_CONNECTIONS",
    "KINTONE_MCP_HTTP_READ_TIMEOUT",
    "KINTONE_MCP_HTTP_MAX_SESSIONS",
    "KINTONE_MCP_HTTP_SESSION_IDLE_TIMEOUT",
    "KINTONE_DOWNLOAD_DIR",
    "KINTONE_DOWNLOAD_MAX_BYTES",
    "KINTONE_TIMEOUT",
    "KINTONE_CONNECT_TIMEOUT",
    "KINTONE_TOTAL_TIMEOUT",
    "KINTONE_RETRIES",
    "KINTONE_MAX_CONCURRENCY",
    "KINTONE_CONFIRM",
    "KINTONE_CONFIRM_BULK",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--transport", choices=("stdio", "http"), default="stdio", help="default: stdio")
    parser.add_argument("--host", default="127.0.0.1", help="HTTP: address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="HTTP: port (default 8000)")
    parser.add_argument(
        "--http-token-file",
        type=Path,
        help="HTTP: file holding the bearer token clients must send (required to bind a non-loopback address; "
        "default: KINTONE_MCP_HTTP_TOKEN or KINTONE_MCP_HTTP_TOKEN_FILE)",
    )
    parser.add_argument(
        "--allowed-host", action="append", default=[], help="HTTP: extra Host name accepted (DNS-rebinding guard)"
    )
    remote = parser.add_argument_group("remote multi-user mode (--auth kintone-oauth; docs/remote.md)")
    remote.add_argument(
        "--auth",
        choices=("bearer", "kintone-oauth"),
        default="bearer",
        help="HTTP: bearer (default: one shared Kintone credential, a static token) or kintone-oauth (each person "
        "signs in with their own Kintone account)",
    )
    remote.add_argument("--public-url", help="the https origin people reach (KINTONE_MCP_PUBLIC_URL)")
    remote.add_argument("--tls-cert", type=Path, help="serve TLS with this certificate chain (PEM)")
    remote.add_argument("--tls-key", type=Path, help="the certificate's private key (PEM)")
    remote.add_argument(
        "--behind-tls-proxy", action="store_true", default=None, help="a TLS proxy in front terminates TLS"
    )
    remote.add_argument("--remote-keys-file", type=Path, help="file of sealing keys (KINTONE_MCP_REMOTE_KEYS_FILE)")
    parser.add_argument("--sandbox", action="store_true", help="serve an embedded sandbox with demo data")
    parser.add_argument(
        "--guest-space-id",
        type=int,
        metavar="ID",
        help="guest space whose apps the server uses (KINTONE_GUEST_SPACE_ID); with --sandbox, "
        f"{_DEMO_GUEST_SPACE} is the demo's guest space",
    )
    parser.add_argument("--read-only", action="store_true", default=None, help="offer no tool that changes data")
    parser.add_argument("--app-id", help="default app id or alias")
    parser.add_argument("--allow-apps", help="comma-separated app ids or aliases the server may use")
    parser.add_argument("--deny-apps", help="comma-separated app ids or aliases the server must not use")
    parser.add_argument("--tools", help="comma-separated tool names to offer")
    parser.add_argument("--disable-tools", help="comma-separated tool names to leave out")
    parser.add_argument(
        "--toolsets",
        help="comma-separated toolsets to offer: core, records, files, users, apps, spaces, or all "
        "(KINTONE_TOOLSETS; default: core,records,files,users)",
    )
    parser.add_argument(
        "--confirm",
        choices=("destructive", "writes", "never"),
        help="ask the user (MCP elicitation) before destructive calls, before every write, or never "
        "(KINTONE_CONFIRM; default: destructive)",
    )
    parser.add_argument(
        "--confirm-bulk",
        type=int,
        metavar="N",
        help="bulk writes of more than N records count as destructive (KINTONE_CONFIRM_BULK; default: 100)",
    )
    parser.add_argument(
        "--download-dir", type=_optional_path, help="folder download_file saves into (default: KINTONE_DOWNLOAD_DIR)"
    )
    parser.add_argument("--config", help="TOML file of named connections (KINTONE_CONFIG)")
    parser.add_argument("--connection", help="connection to use from the TOML file (KINTONE_CONNECTION)")
    parser.add_argument("--log-level", default="WARNING", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    from kintone_mcp.commands.demo_options import add_demo_arguments

    add_demo_arguments(parser.add_argument_group("demo data (with --sandbox)"), default_records=None)


def _optional_path(text: str) -> Path | None:
    # Hosts substitute an unset setting as "": that means "not configured", not the current directory.
    return Path(text).expanduser() if text.strip() else None


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {k: getattr(args, k, None) for k in _SETTING_FLAGS}
    for key in ("allow_apps", "deny_apps"):
        # As lists: on the command line an empty value is given on purpose (`--allow-apps ""`), and must not read
        # as "not set" the way an empty environment variable does (hosts substitute unset settings as "").
        if out[key] is not None:
            out[key] = [item.strip() for item in out[key].split(",") if item.strip()]
    if getattr(args, "read_only", None):
        out["read_only"] = True
    return {k: v for k, v in out.items() if v is not None}


def _read_token(path: Path | None) -> str | None:
    from kintone_mcp.settings import MIN_HTTP_TOKEN_LENGTH

    if path is None:
        return None
    token = path.expanduser().read_text(encoding="utf-8").strip()
    if len(token) < MIN_HTTP_TOKEN_LENGTH:
        raise ValueError(
            f"the bearer token in {path} is shorter than {MIN_HTTP_TOKEN_LENGTH} characters; use a long random value"
        )
    return token


def run(args: argparse.Namespace) -> int:
    configure_logging(args.log_level)
    from kintone_mcp.redaction import SecretRedactor, redact_logs
    from kintone_mcp.server.http import TransportConfigError
    from kintone_mcp.server.policy import PolicyConfigError
    from kintone_mcp.settings import ConfigurationError, load_settings

    if getattr(args, "auth", "bearer") == "kintone-oauth":
        return _run_remote(args)
    with ExitStack() as stack:
        try:
            token = _read_token(args.http_token_file)
            if args.sandbox:
                settings = stack.enter_context(_sandbox_settings(overrides(args), args, token))
            elif demo := _demo_flags_without_sandbox(args):
                raise ValueError(f"{', '.join(demo)}: demo data options, only with --sandbox; add it or leave them out")
            else:
                settings = load_settings(overrides(args))
            from kintone_mcp.server.launch import HttpLimits, http_token, serve, server_from_settings

            token = http_token(settings, token)
            if token is not None:
                stack.enter_context(redact_logs(SecretRedactor([token])))
            server = server_from_settings(settings, download_dir=args.download_dir)
            import anyio

            anyio.run(
                lambda: serve(
                    server,
                    transport=args.transport,
                    host=args.host,
                    port=args.port,
                    bearer_token=token,
                    allowed_hosts=args.allowed_host,
                    on_listen=_announce,
                    max_body=settings.mcp_http_max_body,
                    limits=HttpLimits.of(settings),
                )
            )
        except (ConfigurationError, PolicyConfigError, TransportConfigError, ValueError, OSError) as exc:
            sys.stderr.write(f"kintone-mcp: {exc}\n")
            return 2
        except KeyboardInterrupt:
            return 0
    return 0


def _run_remote(args: argparse.Namespace) -> int:
    """``--auth kintone-oauth``: the remote multi-user server (kintone_mcp/server/remote/)."""
    from kintone_mcp.server.policy import PolicyConfigError
    from kintone_mcp.server.remote.sealing import KeyConfigError
    from kintone_mcp.settings import ConfigurationError, load_settings
    from kintone_mcp.settings.remote import load_remote_settings

    try:
        if args.transport != "http":
            raise ValueError("--auth kintone-oauth serves people over the network: add --transport http")
        if args.sandbox or args.http_token_file:
            raise ValueError("--auth kintone-oauth signs each person in: it takes neither --sandbox nor a bearer token")
        flags = {
            "public_url": args.public_url,
            "tls_cert": args.tls_cert,
            "tls_key": args.tls_key,
            "behind_tls_proxy": args.behind_tls_proxy,
            "remote_keys_file": args.remote_keys_file,
        }
        remote = load_remote_settings(flags, host=args.host)
        settings = load_settings(overrides(args))
        from kintone_mcp.redaction import SecretRedactor, redact_logs
        from kintone_mcp.server.http import serve_http
        from kintone_mcp.server.launch import HttpLimits
        from kintone_mcp.server.remote.launch import remote_app_from_settings

        # Whatever is logged (a library's debug output, a traceback) has the OAuth client secret and the sealing
        # keys masked; each request's Kintone token is masked by its own client while it runs.
        keys = remote.keys_text.replace("\n", ",").split(",")
        shared = [item.partition(":")[2].strip() for item in keys] + [remote.keys_text.strip()]
        if settings.oauth_client_secret is not None:
            shared.append(settings.oauth_client_secret.get_secret_value())
        redaction = redact_logs(SecretRedactor([s for s in shared if s]))
        app, _server, _provider = remote_app_from_settings(settings, remote, allowed_hosts=args.allowed_host)
        limits = HttpLimits.of(settings)
        sys.stderr.write(f"kintone-mcp: remote MCP endpoint {remote.resource} (listening on {args.host}:{args.port})\n")
        import anyio

        anyio.run(
            lambda: serve_http(
                app,
                host=args.host,
                port=args.port,
                max_connections=limits.max_connections,
                read_timeout=limits.read_timeout,
                tls_cert=remote.tls_cert,
                tls_key=remote.tls_key,
            )
        )
        redaction.close()
    except (ConfigurationError, PolicyConfigError, KeyConfigError, ValueError, OSError) as exc:
        sys.stderr.write(f"kintone-mcp: {exc}\n")
        return 2
    except KeyboardInterrupt:
        return 0
    return 0


def _announce(url: str) -> None:
    sys.stderr.write(f"kintone-mcp: MCP endpoint {url}\n")


def _demo_flags_without_sandbox(args: argparse.Namespace) -> list[str]:
    return ["--" + name.replace("_", "-") for name in _DEMO_FLAGS if getattr(args, name, None) is not None]


def _sandbox_cli(flags: dict[str, Any], base_url: str) -> dict[str, Any]:
    """The launch settings of a server pointed at the demo sandbox: its administrator, its aliases, the flags."""
    from kintone_mcp.commands.demo_options import DEMO_ALIASES
    from kintone_mcp.sandbox.store.directory import ADMIN_LOGIN, DEFAULT_PASSWORD

    cli = {
        "base_url": base_url,
        "username": ADMIN_LOGIN,
        "password": DEFAULT_PASSWORD,
        "app_aliases": dict(DEMO_ALIASES),
        **flags,
    }
    cli.setdefault("app_id", "deals")
    return cli


def _check_sandbox_flags(
    flags: dict[str, Any], env: dict[str, str], args: argparse.Namespace, flag_token: str | None
) -> None:
    """Refuse a configuration error before the sandbox starts (and prints its banner): the same settings and policy
    are built against a placeholder address, and the HTTP transport's bind rule checked, so `--allow-apps dealz` is
    the only thing the user sees."""
    from kintone_mcp.loopback import is_loopback
    from kintone_mcp.server.http import TransportConfigError
    from kintone_mcp.server.launch import http_token, policy_from_settings
    from kintone_mcp.settings import load_settings

    guest = flags.get("guest_space_id")
    if guest is not None and guest != _DEMO_GUEST_SPACE:
        raise ValueError(
            f"--guest-space-id {guest}: the sandbox's only guest space is {_DEMO_GUEST_SPACE} (\"Partner portal\", "
            f"app 4, alias partners); use --guest-space-id {_DEMO_GUEST_SPACE} or leave it out"
        )
    settings = load_settings(_sandbox_cli(flags, "http://127.0.0.1:1"), env=env)
    policy_from_settings(settings)
    if args.transport == "http" and not is_loopback(args.host) and http_token(settings, flag_token) is None:
        # The same refusal build_http_app gives; checked here too so that it comes before the sandbox starts.
        raise TransportConfigError(
            f"refusing to listen on {args.host}, which is not a loopback address, without authentication. Set a "
            "bearer token (KINTONE_MCP_HTTP_TOKEN or --http-token-file), or bind 127.0.0.1."
        )


@contextmanager
def _sandbox_settings(flags: dict[str, Any], args: argparse.Namespace, flag_token: str | None) -> Iterator[Any]:
    """Start the demo sandbox on a free loopback port and configure the server for it (password auth as the
    sandbox's administrator). The environment's connection settings are deliberately not used: only the
    command line's flags and the server's own settings (HTTP token, download folder, timeouts) apply."""
    from kintone_mcp.settings import load_settings

    env = {k: v for k, v in os.environ.items() if k in _SERVER_SETTINGS}
    _check_sandbox_flags(flags, env, args, flag_token)
    from kintone_mcp.sandbox import Sandbox, SandboxConfig, serve_in_thread
    from kintone_mcp.sandbox.demo import recent_start

    # Demo data over the year up to today, so "which deals close this month?" and "my overdue tickets" have answers.
    config = SandboxConfig(
        demo=True,
        demo_records=SandboxConfig.demo_records if args.demo_records is None else args.demo_records,
        seed=SandboxConfig.seed if args.seed is None else args.seed,
        demo_start=args.demo_start or recent_start(date.today()),
    )
    sandbox = Sandbox(config)
    try:
        with serve_in_thread(sandbox) as base_url:
            cli = _sandbox_cli(flags, base_url)
            settings = load_settings(cli, env=env)
            for line in sandbox_banner(sandbox, base_url, cli):
                sys.stderr.write(f"kintone-mcp: {line}\n")
            yield settings
    finally:
        sandbox.close()


def sandbox_banner(sandbox: Sandbox, base_url: str, cli: dict[str, Any]) -> list[str]:
    """What `serve --sandbox` tells the person who started it (on stderr): where the sandbox is, the login the
    server uses, and every app with the alias that names it, the guest-space app included."""
    from kintone_mcp.sandbox.demo import app_overview

    by_id = {app_id: alias for alias, app_id in cli["app_aliases"].items()}
    default = cli.get("app_id")
    lines = [f"sandbox with demo data at {base_url} (login {cli['username']} / password {cli['password']})"]
    with sandbox.store.reading() as conn:
        apps = app_overview(conn)
    for app in apps:
        alias = by_id.get(app.app_id)
        named = f" alias {alias}" if alias else ""
        marks = [f"{app.records} records"]
        if default in (alias, str(app.app_id), app.app_id):
            marks.append("the default app")
        if app.guest_space is not None:
            marks.append(f'guest space {app.guest_space} "{app.space_name}"')
        lines.append(f"  app {app.app_id} {app.name}{named} ({', '.join(marks)})")
    return lines
