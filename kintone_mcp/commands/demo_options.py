"""The demo-data options that ``kintone-mcp sandbox`` and ``kintone-mcp serve --sandbox`` share.

Imported to build the ``serve`` command line, which the stdio server parses at every start, so it imports nothing
from the sandbox: defaults that live there (the seed) are filled in when the sandbox is built (``None`` here).
"""

from __future__ import annotations

import argparse
from datetime import date

#: the serve --sandbox default app and the aliases of the demo apps (their ids are fixed by the demo seed)
DEMO_ALIASES: dict[str, int] = {"customers": 1, "deals": 2, "tickets": 3, "partners": 4, "contracts": 5}


def non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def demo_start(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


#: records in the Deals demo app unless --demo-records says otherwise (SandboxConfig.demo_records; a test holds them
#: equal, as this module may not import the sandbox)
DEMO_RECORDS = 300


def add_demo_arguments(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup, *, default_records: int | None = DEMO_RECORDS
) -> None:
    """``default_records=None`` lets a caller tell "not given" from "given" (serve refuses it without --sandbox)."""
    parser.add_argument("--demo-records", type=non_negative, default=default_records, metavar="N",
                        help=f"number of records in the Deals demo app (default: {DEMO_RECORDS}; try 100000 for "
                             "benchmarks)")
    parser.add_argument("--seed", type=int, default=None, metavar="N",
                        help="seed of the demo data generator: the same seed gives the same records, files and "
                             "tokens (default: 20240401)")
    parser.add_argument("--demo-start", type=demo_start, default=None, metavar="YYYY-MM-DD",
                        help="first day of the demo data, which then runs for a year (default: a year before today, "
                             "so the newest deals and tickets are from today; give a date for data that is the same "
                             "on every day)")
