"""What the MCP layer adds to a call, in process: the same read through mcp.Client -> server -> client -> sandbox
against the client alone -> sandbox.

Both paths make the same HTTP requests to the same in-process sandbox (ASGI transport, no socket), so the
difference is the MCP layer: JSON-RPC over memory streams, argument validation, policy, query checks, formatting
records into the compact form and dumping them through the output model (twice: structured and text). The
server's field-schema cache is warm, as it is after the first call of a conversation.

    python benchmarks/bench_server_overhead.py [--calls 200]
"""

from __future__ import annotations

import argparse
import statistics
import time

import anyio
from bench_server_common import client_for, describe, sandbox, server_for
from mcp import Client


async def main(calls: int) -> None:
    sb = sandbox()
    cases = {
        "get_record (1 record, all fields)": (
            lambda c: c.get_record(2, 7),
            ("get_record", {"id": 7}),
        ),
        "get_records (20 records, all fields)": (
            lambda c: c.get_records(2, query="order by $id desc limit 20", fields=None, total_count=True),
            ("get_records", {"limit": 20, "fields": ["*"]}),
        ),
    }
    async with client_for(sb) as client, Client(server_for(sb)) as mcp:
        for name, (direct, (tool, args)) in cases.items():
            await direct(client)
            await mcp.call_tool(tool, args)  # warm the schema cache
            plain: list[float] = []
            through: list[float] = []
            for _ in range(calls):
                t0 = time.perf_counter()
                await direct(client)
                t1 = time.perf_counter()
                result = await mcp.call_tool(tool, args)
                t2 = time.perf_counter()
                assert result.is_error is False
                plain.append(t1 - t0)
                through.append(t2 - t1)
            overhead = statistics.median(through) - statistics.median(plain)
            print(f"{name}:")
            print(f"  client -> sandbox        {describe(plain)}")
            print(f"  MCP -> client -> sandbox {describe(through)}")
            print(f"  MCP layer                {overhead * 1000:.2f} ms per call (median difference)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    anyio.run(main, parser.parse_args().calls)
