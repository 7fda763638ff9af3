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
from typing import Any

#: command-line flags that are launch settings (Settings field names)
_SETTING_FLAGS = ("config", "connection", "app_id", "allow_apps", "deny_apps", "tools", "disable_tools")
#: settings of the server itself rather than of the Kintone connection: --sandbox takes them from the environment
_SERVER_SETTINGS = (
    "KINTONE_MCP_HTTP_TOKEN",
    "KINTONE_MCP_HTTP_TOKEN_FILE",
    "KINTONE_MCP_HTTP_MAX_BODY",
    "KINTONE_DOWNLOAD_DIR",
    "KINTONE_TIMEOUT",
    "KINTONE_CONNECT_TIMEOUT",
    "KINTONE_TOTAL_TIMEOUT",
    "KINTONE_RETRIES",
    "KINTONE_MAX_CONCURRENCY",
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
    parser.add_argument("--sandbox", action="store_true", help="serve an embedded sandbox with demo data")
    parser.add_argument("--read-only", action="store_true", default=None, help="offer no tool that changes data")
    parser.add_argument("--app-id", help="default app id or alias")
    parser.add_argument("--allow-apps", help="comma-separated app ids or aliases the server may use")
    parser.add_argument("--deny-apps", help="comma-separated app ids or aliases the server must not use")
    parser.add_argument("--tools", help="comma-separated tool names to offer")
    parser.add_argument("--disable-tools", help="comma-separated tool names to leave out")
    parser.add_argument(
        "--download-dir", type=_optional_path, help="folder download_file saves into (default: KINTONE_DOWNLOAD_DIR)"
    )
    parser.add_argument("--config", help="TOML file of named connections (KINTONE_CONFIG)")
    parser.add_argument("--connection", help="connection to use from the TOML file (KINTONE_CONNECTION)")
    parser.add_argument("--log-level", default="WARNING", choices=("DEBUG", "INFO", "WARNING", "ERROR"))


def _optional_path(text: str) -> Path | None:
    # Hosts substitute an unset setting as "": that means "not configured", not the current directory.
    return Path(text).expanduser() if text.strip() else None


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {k: getattr(args, k, None) for k in _SETTING_FLAGS}
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

    with ExitStack() as stack:
        try:
            token = _read_token(args.http_token_file)
            if args.sandbox:
                settings = stack.enter_context(_sandbox_settings(overrides(args)))
            else:
                settings = load_settings(overrides(args))
            from kintone_mcp.server.launch import http_token, serve, server_from_settings

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
                )
            )
        except (ConfigurationError, PolicyConfigError, TransportConfigError, ValueError, OSError) as exc:
            sys.stderr.write(f"kintone-mcp: {exc}\n")
            return 2
        except KeyboardInterrupt:
            return 0
    return 0


def _announce(url: str) -> None:
    sys.stderr.write(f"kintone-mcp: MCP endpoint {url}\n")


@contextmanager
def _sandbox_settings(flags: dict[str, Any]) -> Iterator[Any]:
    """Start the demo sandbox on a free loopback port and configure the server for it (password auth as the
    sandbox's administrator). The environment's connection settings are deliberately not used: only the
    command line's safety flags and the server's own settings (HTTP token, download folder, timeouts) apply."""
    from kintone_mcp.sandbox import Sandbox, SandboxConfig, serve_in_thread
    from kintone_mcp.sandbox.demo import recent_start
    from kintone_mcp.sandbox.store.directory import ADMIN_LOGIN, DEFAULT_PASSWORD
    from kintone_mcp.settings import load_settings

    # Demo data over the past year, so that "which deals closed this month?" has an answer.
    sandbox = Sandbox(SandboxConfig(demo=True, demo_start=recent_start(date.today())))
    with serve_in_thread(sandbox) as base_url:
        sys.stderr.write(
            f"kintone-mcp: sandbox with demo data at {base_url} (login {ADMIN_LOGIN} / password {DEFAULT_PASSWORD}; "
            "apps: 1 Customers, 2 Deals, 3 Support tickets)\n"
        )
        cli = {
            "base_url": base_url,
            "username": ADMIN_LOGIN,
            "password": DEFAULT_PASSWORD,
            "app_aliases": {"customers": 1, "deals": 2, "tickets": 3},
            **flags,
        }
        cli.setdefault("app_id", "deals")
        yield load_settings(cli, env={k: v for k, v in os.environ.items() if k in _SERVER_SETTINGS})
