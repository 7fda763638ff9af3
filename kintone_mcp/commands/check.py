"""``kintone-mcp check``: the test_connection checks for a terminal, with an exit code a script can branch on.

Exit codes (EXIT_CODES; documented in docs/configuration.md and in ``--help``): 0 the connection works (every check
passed), 1 it does not (or the configuration is unusable), 2 the command line is wrong (argparse's code), 3 Kintone
answered but something could not be verified or a non-essential check failed (a bare API token cannot list apps, so
nothing proves it is valid): scripts that treat only 0 as success never mistake "unverified" for "works".

Imported to build the command line, so it imports nothing heavy at the top.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kintone_mcp.server.tools.connection.report import ConnectionReport
    from kintone_mcp.settings import Settings


#: diagnose's verdict -> exit code; 2 stays argparse's "usage error"
EXIT_CODES: dict[str, int] = {"ok": 0, "failed": 1, "partial": 3}

EPILOG = (
    "exit codes: 0 the connection works (every check passed); 1 it does not, or the configuration is unusable; "
    "2 wrong command line; 3 Kintone answered but the credentials or some checks could not be verified "
    "(PARTIAL: see the steps marked skip or FAIL)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
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
    return EXIT_CODES[report.verdict]


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
