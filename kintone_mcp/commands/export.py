"""``kintone-mcp export``: export_records for a terminal, with a progress bar; the same engine and options.

Imported to build the command line, so it imports nothing heavy at the top.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kintone_mcp.commands.transfer import FAILED, OK, Progress, add_connection_arguments, load, run_engine

if TYPE_CHECKING:
    from kintone_mcp.server.state import ServerState
    from kintone_mcp.server.tools.records.transfer import Format


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("output", type=Path, help="file to create (never overwritten: a taken name gets ' (1)')")
    parser.add_argument("--format", choices=("csv", "jsonl"), help="default: from the file's extension")
    parser.add_argument("--query", help='Kintone query, e.g. stage in ("Won") order by $id asc')
    parser.add_argument("--filter", help="structured conditions as JSON, as get_records takes them")
    parser.add_argument("--view", help="a saved view (name or id): its filter and sort")
    parser.add_argument("--fields", help="comma-separated field codes (default: every field)")
    parser.add_argument("--order-by", help='e.g. "amount desc" (default: $id asc)')
    add_connection_arguments(parser)


def run(args: argparse.Namespace) -> int:
    settings = load(args)
    if settings is None:
        return FAILED
    output: Path = args.output
    suffixes: dict[str, Format] = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
    fmt: Format | None = args.format or suffixes.get(output.suffix.lower())
    if fmt is None:
        sys.stderr.write(f"FAILED: {output.name!r}: give --format csv or jsonl (the extension does not say).\n")
        return FAILED
    from kintone_mcp.server.filters import Filter
    from kintone_mcp.server.tools.records.transfer import Exported, export_to_file

    try:
        conditions = Filter.model_validate(json.loads(args.filter)) if args.filter else None
    except ValueError as exc:
        sys.stderr.write(f"FAILED: --filter is not a valid filter: {exc}\n")
        return FAILED
    fields = [f.strip() for f in args.fields.split(",") if f.strip()] if args.fields else None

    async def work(state: ServerState, progress: Progress) -> Exported:
        return await export_to_file(
            state,
            state.policy.resolve_app(args.app),
            fmt=fmt,
            name=output.name,
            view=args.view,
            query=args.query,
            filter=conditions,
            fields=fields,
            order_by=args.order_by,
            encoding=args.encoding,
            progress=progress,
        )

    done, code = run_engine(settings, output.parent, work, quiet=args.quiet)
    if done is None:
        return code
    sys.stdout.write(f"Exported {done.records:,} records ({done.bytes:,} bytes) to {done.path}\n")
    return OK
