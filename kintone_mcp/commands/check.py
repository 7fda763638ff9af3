"""``kintone-mcp check``: the test_connection checks for a terminal; exit 0 when connected, 1 when not.

Imported to build the command line, so it imports nothing heavy at the top.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kintone_mcp.server.tools.connection.report import ConnectionReport
    from kintone_mcp.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="TOML file of named connections (KINTONE_CONFIG)")
    parser.add_argument("--connection", help="connection to use from the TOML file (KINTONE_CONNECTION)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    from kintone_mcp.settings import ConfigurationError, load_settings

    overrides = {k: getattr(args, k) for k in ("config", "connection") if getattr(args, k, None)}
    try:
        settings = load_settings(overrides)
    except ConfigurationError as exc:
        sys.stderr.write(f"FAILED: {exc}\n")
        return 1
    import anyio

    from kintone_mcp.server.results import compact_json, dump
    from kintone_mcp.server.tools.connection.diagnose import render_text

    report = anyio.run(_check, settings)
    sys.stdout.write((compact_json(dump(report)) if args.json else render_text(report)) + "\n")
    return 1 if report.verdict == "failed" else 0


async def _check(settings: Settings) -> ConnectionReport:
    from kintone_mcp.connect import build_client
    from kintone_mcp.server.launch import options_from_settings, policy_from_settings
    from kintone_mcp.server.tools.connection.diagnose import diagnose, unusable_configuration
    from kintone_mcp.settings import ConfigurationError

    options, policy = options_from_settings(settings), policy_from_settings(settings)
    try:
        client = build_client(settings)
    except ConfigurationError as exc:
        return unusable_configuration(options, policy, exc.problems)
    try:
        return await diagnose(client, options, policy)
    finally:
        await client.aclose()
