"""The remote multi-user mode with 1 and with 3 replicas behind nginx (round robin): tool calls per second and the
call latency's p50 / p99, in the same run, with the sandbox as Kintone.

    .venv/bin/python benchmarks/bench_remote_replicas.py [--clients 12] [--seconds 15] [--users 4]

Both configurations go through nginx, so the only difference is the number of ``serve`` processes. On this
project's two shared cores three replicas cannot be faster than one (the sandbox, nginx, the load generator and the
replicas share the same cores): the point is that spreading the calls over replicas, each answering with what the
sealed token carries and nothing shared, is correct and costs nothing measurable — the ratio should stay near 1.
The sandbox runs in a process of its own. Each of ``--users`` people signs in once (the authorization-code flow
through nginx, the sandbox's consent page played by the benchmark), then ``--clients`` concurrent loops call
``get_records`` and ``aggregate_records`` with those users' tokens for ``--seconds``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio
import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.server.remote.flow import grant, redeem
from tests.server.remote.replicas import nginx_binary, replicas

USERS = ("sato", "suzuki", "takahashi", "tanaka")
CALLS = (
    ("get_records", {"app": 2, "limit": 5}),
    ("aggregate_records", {"app": 2, "group_by": ["stage"]}),
)


async def run_load(url: str, users: int, clients: int, seconds: float) -> tuple[float, list[float], int]:
    async with httpx2.AsyncClient(timeout=60, limits=httpx2.Limits(max_connections=clients + 4)) as http:
        tokens = []
        for login in USERS[:users]:
            tokens.append((await redeem(http, url, await grant(http, url, login))).json()["access_token"])
        latencies: list[float] = []
        errors = 0
        deadline = time.monotonic() + seconds

        async def loop(n: int) -> None:
            nonlocal errors
            i = n
            while time.monotonic() < deadline:
                name, args = CALLS[i % len(CALLS)]
                token = tokens[i % len(tokens)]
                i += 1
                started = time.perf_counter()
                answer = await http.post(url + "/mcp", headers={
                    "Authorization": f"Bearer {token}", "Content-Type": "application/json",
                    "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"},
                    json={"jsonrpc": "2.0", "id": i, "method": "tools/call",
                          "params": {"name": name, "arguments": args}})
                latencies.append(time.perf_counter() - started)
                if answer.status_code != 200 or '"isError":true' in answer.text.replace(" ", ""):
                    errors += 1

        began = time.monotonic()
        async with anyio.create_task_group() as tg:
            for n in range(clients):
                tg.start_soon(loop, n)
        return len(latencies) / (time.monotonic() - began), latencies, errors


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--users", type=int, default=4, choices=range(1, len(USERS) + 1))
    args = parser.parse_args()
    if nginx_binary() is None:
        print("nginx is not installed (apt-get install -y nginx); nothing measured", file=sys.stderr)
        return 2
    results = {}
    for count in (1, 3):
        with tempfile.TemporaryDirectory() as tmp, replicas(None, Path(tmp), count=count) as group:
            rate, latencies, errors = anyio.run(run_load, group.url, args.users, args.clients, args.seconds)
        results[count] = rate
        print(f"{count} replica(s): {rate:7.1f} calls/s  p50 {percentile(latencies, 50) * 1000:6.1f} ms  "
              f"p99 {percentile(latencies, 99) * 1000:6.1f} ms  calls {len(latencies)}  errors {errors}")
        if errors:
            print(f"  {errors} calls failed: the benchmark is not valid", file=sys.stderr)
            return 1
    print(f"3 replicas / 1 replica, calls/s: {results[3] / results[1]:.2f}x (two shared cores: ~1x expected)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
