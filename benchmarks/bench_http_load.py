"""Load over Streamable HTTP: 50 concurrent MCP clients x 100 tool calls against `kintone-mcp serve --transport http`,
backed by the sandbox in a process of its own, everything on loopback.

Reports throughput, call latency (p50 / p90 / p99 / max), errors (must be zero), and the server process's resident
memory sampled at the start, in the middle and at the end (it must stay flat), plus its peak.

    .venv/bin/python benchmarks/bench_http_load.py [--clients 50] [--calls 100] [--records 300]

The mix of calls is fixed and seeded: record pages, single records, app schemas, app lists, aggregations over every
record (through the cursor, with at most 10 open per domain), and writes (comments and record updates).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

Call = tuple[str, dict[str, Any]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def wait_until_up(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx2.get(url, timeout=1)
            return
        except httpx2.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up in {timeout:.0f} s")


@contextmanager
def process(args: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        tail = err.decode(errors="replace").strip().splitlines()[-5:]
        if any("Traceback" in line or "ERROR" in line for line in tail):
            print(f"stderr of {args[2:4]}:\n  " + "\n  ".join(tail), file=sys.stderr)


def call_mix(rng: random.Random, n: int, records: int) -> list[Call]:
    """The calls one client makes: mostly reads, some aggregations and writes."""
    calls: list[Call] = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.30:
            calls.append(("get_records", {"limit": 20, "fields": ["title", "stage", "amount"]}))
        elif roll < 0.55:
            calls.append(("get_record", {"id": rng.randint(1, records)}))
        elif roll < 0.65:
            calls.append(("get_app", {"app": rng.choice([1, 2, 3])}))
        elif roll < 0.72:
            calls.append(("list_apps", {}))
        elif roll < 0.80:
            calls.append(("aggregate_records", {"group_by": ["stage"], "metrics": ["sum(amount)"]}))
        elif roll < 0.88:
            stage = rng.choice(["Won", "Lost", "Proposal"])
            condition = {"field": "stage", "op": "in", "value": [stage]}
            calls.append(("get_records", {"filter": {"conditions": [condition]}}))
        elif roll < 0.94:
            calls.append(("add_comment", {"id": rng.randint(1, records), "text": f"load {rng.random():.6f}"}))
        else:
            calls.append(("update_record", {"app": 1, "id": rng.randint(1, 120), "record": {"notes": "load"}}))
    return calls


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    done: int = 0


async def one_client(url: str, token: str, calls: list[Call], results: Results, on_call: Callable[[], None]) -> None:
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=120) as http,
        Client(streamable_http_client(url, http_client=http)) as mcp,
    ):
        for tool, args in calls:
            started = time.perf_counter()
            try:
                result = await mcp.call_tool(tool, args)
            except Exception as exc:  # counted, not raised: the run reports every failure
                results.errors.append(f"{tool}: {type(exc).__name__}: {exc}")
            else:
                if result.is_error:
                    results.errors.append(f"{tool}: {getattr(result.content[0], 'text', '')[:200]}")
            results.latencies.append(time.perf_counter() - started)
            results.done += 1
            on_call()


def percentile(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--calls", type=int, default=100, help="calls per client")
    parser.add_argument("--records", type=int, default=300, help="records in the Deals demo app")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--max-concurrency", type=int, help="KINTONE_MAX_CONCURRENCY for the server (default: its own)")
    args = parser.parse_args()

    sandbox_port, server_port = free_port(), free_port()
    token = secrets.token_urlsafe(32)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINTONE_") and k != "HTTPS_PROXY"}
    python = [sys.executable, "-m", "kintone_mcp"]
    with tempfile.TemporaryDirectory() as tmp:
        token_file = Path(tmp) / "token"
        token_file.write_text(token)
        sandbox_args = ["sandbox", "--port", str(sandbox_port), "--demo-records", str(args.records)]
        with process([*python, *sandbox_args], env) as sandbox:
            wait_until_up(f"http://127.0.0.1:{sandbox_port}/_sandbox/health")
            server_env = {
                **env,
                "KINTONE_BASE_URL": f"http://127.0.0.1:{sandbox_port}",
                "KINTONE_USERNAME": "Administrator",
                "KINTONE_PASSWORD": "sandbox",
                "KINTONE_APP_ID": "2",
            }
            if args.max_concurrency:
                server_env["KINTONE_MAX_CONCURRENCY"] = str(args.max_concurrency)
            serve_args = ["serve", "--transport", "http", "--port", str(server_port)]
            serve_args += ["--http-token-file", str(token_file)]
            with process([*python, *serve_args], server_env) as server:
                url = f"http://127.0.0.1:{server_port}/mcp"
                wait_until_up(url)
                return anyio.run(run_load, args, url, token, server.pid, sandbox.pid)
    return 1


async def run_load(args: argparse.Namespace, url: str, token: str, server_pid: int, sandbox_pid: int) -> int:
    rng = random.Random(args.seed)
    # Warm up (imports, first connections, schema caches), so that "start" is the steady state.
    warm = Results()
    await one_client(url, token, call_mix(rng, 30, args.records), warm, lambda: None)
    total = args.clients * args.calls
    samples: dict[str, int] = {"start": rss_kib(server_pid)}
    peak = samples["start"]
    results = Results()

    def on_call() -> None:
        if results.done == total // 2:
            samples["middle"] = rss_kib(server_pid)

    async def sample_peak() -> None:
        nonlocal peak
        while True:
            peak = max(peak, rss_kib(server_pid))
            await anyio.sleep(0.25)

    mixes = [call_mix(random.Random(args.seed + n), args.calls, args.records) for n in range(args.clients)]
    started = time.perf_counter()
    async with anyio.create_task_group() as outer:
        outer.start_soon(sample_peak)
        async with anyio.create_task_group() as clients:
            for mix in mixes:
                clients.start_soon(one_client, url, token, mix, results, on_call)
        outer.cancel_scope.cancel()
    elapsed = time.perf_counter() - started
    samples["end"] = rss_kib(server_pid)

    ordered = sorted(results.latencies)
    print(f"{args.clients} clients x {args.calls} calls = {total} tool calls over Streamable HTTP in {elapsed:.1f} s")
    print(f"throughput: {total / elapsed:.0f} calls/s")
    print(
        f"latency: p50 {percentile(ordered, 0.50) * 1000:.0f} ms, p90 {percentile(ordered, 0.90) * 1000:.0f} ms, "
        f"p99 {percentile(ordered, 0.99) * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms, "
        f"mean {statistics.fmean(ordered) * 1000:.0f} ms"
    )
    print(f"errors: {len(results.errors)}")
    for line in results.errors[:10]:
        print(f"  {line}")
    mib = {k: v / 1024 for k, v in samples.items()}
    growth = mib["end"] - mib["start"]
    print(
        f"server RSS: start {mib['start']:.1f} MiB, middle {mib['middle']:.1f} MiB, end {mib['end']:.1f} MiB "
        f"(growth {growth:+.1f} MiB, middle to end {mib['end'] - mib['middle']:+.1f} MiB), peak {peak / 1024:.1f} MiB"
    )
    print(f"sandbox RSS at the end: {rss_kib(sandbox_pid) / 1024:.1f} MiB")
    flat = mib["end"] - mib["middle"] < max(8.0, 0.1 * mib["middle"])
    print("memory: flat" if flat else "memory: STILL GROWING in the second half")
    return 0 if not results.errors and flat and results.done == total else 1


if __name__ == "__main__":
    sys.exit(main())
