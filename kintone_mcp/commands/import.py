"""``kintone-mcp import``: import_records for a terminal, with a progress bar; the same engine and options.

Named ``import`` after the command (importlib loads it by name). Imported to build the command line, so it imports
nothing heavy at the top.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kintone_mcp.commands.transfer import FAILED, OK, PROBLEMS, Progress, add_connection_arguments, load, run_engine

if TYPE_CHECKING:
    from kintone_mcp.server.state import ServerState


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="CSV (cli-kintone's layout) or JSON Lines file")
    parser.add_argument("--mode", choices=("add", "update", "upsert"), required=True,
                        help="update: by $id / the record number column, or by --key; upsert: by --key")
    parser.add_argument("--key", help="unique field matching records (update, upsert)")
    parser.add_argument("--format", choices=("csv", "jsonl"), help="default: from the file's extension")
    parser.add_argument("--dry-run", action="store_true", help="check every row against the app; write nothing")
    add_connection_arguments(parser)


def run(args: argparse.Namespace) -> int:
    settings = load(args)
    if settings is None:
        return FAILED
    if settings.read_only and not args.dry_run:
        sys.stderr.write("FAILED: the configuration is read-only (KINTONE_READ_ONLY); nothing was written.\n")
        return FAILED
    from kintone_mcp.server.tools.records.transfer import Imported, import_file

    path: Path = args.file

    async def work(state: ServerState, progress: Progress) -> Imported:
        return await import_file(
            state,
            state.policy.resolve_app(args.app),
            path.name,
            mode=args.mode,
            key=args.key,
            fmt=args.format,
            dry_run=args.dry_run,
            encoding=args.encoding,
            progress=progress,
        )

    done, code = run_engine(settings, path.parent, work, quiet=args.quiet)
    if done is None:
        return code
    if done.problems:
        rest = done.problem_count - len(done.problems)
        more = f"\n… and {rest:,} more" if rest > 0 else ""
        listed = "\n- ".join(done.problems)
        sys.stderr.write(f"{done.problem_count:,} problem(s); nothing was written:\n- {listed}{more}\n")
        return PROBLEMS
    if done.dry_run:
        sys.stdout.write(f"Dry run: all {done.rows:,} rows of {done.path} are valid; nothing was written.\n")
    else:
        ids = f" (ids {done.ids})" if done.ids else ""
        sys.stdout.write(f"Imported {done.written:,} records{ids} from {done.path}\n")
    if done.note:
        sys.stdout.write(done.note + "\n")
    return OK
