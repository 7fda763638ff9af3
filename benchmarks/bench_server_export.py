"""Calls to export every record through get_records and `next`, against the floor the page size allows.

A model exporting records asks once with a `limit` and then passes `next` alone. The floor is
ceil(records / limit); an answer is also bounded to 60,000 characters, so with every field a page may stop earlier
(the character bound, said in `cut`), and that is reported beside it. Before `next` carried the page size, every
page after the first fell back to 20 records: 20,000 records at limit 500 took 997 calls.
Also reports the bytes of a small answer (five records of two fields), whose fixed part (token, cut) dominates.

    python benchmarks/bench_server_export.py [--records 20000]
"""

from __future__ import annotations

import argparse
import math
from typing import Any

import anyio
from bench_server_common import sandbox, server_for
from mcp import Client


async def _export(mcp: Client, first: dict[str, Any]) -> tuple[int, int, int]:
    """(calls, records, bytes of the text blocks) to read every record."""
    args, calls, got, size = first, 0, 0, 0
    while True:
        result = await mcp.call_tool("get_records", args)
        data = result.structured_content
        assert data is not None and not result.is_error, result.content
        calls += 1
        got += data["returned"]
        size += len(result.content[0].text.encode())  # type: ignore[union-attr]
        if not data.get("next"):
            return calls, got, size
        args = {"next": data["next"]}


async def main(n: int) -> None:
    sb = sandbox(n)
    async with Client(server_for(sb)) as mcp:
        small = await mcp.call_tool("get_records", {"limit": 5, "fields": ["title", "amount"]})
        print(f"five records of two fields: {len(small.content[0].text.encode()):,} B (text block)")  # type: ignore[union-attr]
        print(f"export of {n:,} Deals records through get_records + next:")
        for label, args in (
            ("2 fields, limit 500", {"fields": ["title", "amount"], "limit": 500}),
            ("2 fields, limit 1000", {"fields": ["title", "amount"], "limit": 1000}),
            ("default fields, limit 500", {"limit": 500}),
        ):
            calls, got, size = await _export(mcp, args)
            assert got == n, (got, n)
            floor = math.ceil(n / int(args["limit"]))  # type: ignore[call-overload]
            print(f"  {label:<26} {calls:>5} calls  (floor {floor}: {calls / floor:.2f}x)  {size:>11,} B")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    anyio.run(main, parser.parse_args().records)
