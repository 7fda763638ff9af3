"""Spawn to first tools/list over stdio: how long a host waits before it can offer our tools.

Each run starts a fresh process, sends initialize (protocol 2025-11-25), initialized and tools/list as raw
JSON-RPC lines, and stops the clock at the tools/list answer. Configurations run interleaved, round by round, so
machine drift hits them alike:

* ``floor``: a minimal MCPServer with one tool: the SDK's own import and start-up, which no server can beat;
* ``kintone-mcp``: ``python -m kintone_mcp`` configured for a Kintone address where nothing listens, which also
  proves that nothing touches the network before the server answers;
* ``kintone-mcp, all toolsets``: the same with KINTONE_TOOLSETS=all (every tool, the app-design ones included);
* ``serve --sandbox``: the zero-setup demo, which also builds and serves the sandbox.

Beside wall time, each run's CPU time (user + system of the child, up to its exit) is reported: on a shared machine
other processes stretch wall time far more than CPU time, so the CPU ratio is the steadier of the two.

    python benchmarks/bench_server_startup.py [--rounds 10]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

from bench_server_common import describe

FLOOR = """
from mcp.server.mcpserver import MCPServer
mcp = MCPServer("floor")
@mcp.tool()
def ping(x: int) -> int:
    "Echo."
    return x
mcp.run()
"""

MESSAGES = [
    {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25",
     "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}},
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
]  # fmt: skip


def one_run(argv: list[str], env: dict[str, str]) -> tuple[float, int, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"".join(json.dumps(m).encode() + b"\n" for m in MESSAGES))
    proc.stdin.flush()
    tools = -1
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{argv} exited before answering tools/list")
        msg = json.loads(line)
        if msg.get("id") == 2:
            tools = len(msg["result"]["tools"])
            break
    elapsed = time.perf_counter() - start
    proc.stdin.close()
    proc.terminate()
    proc.wait(timeout=10)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, tools, cpu


def main(rounds: int, compile_first: bool) -> None:
    if compile_first:
        # What an install does (pip compiles bytecode; see docs/mcp-sdk.md §6.4): without .pyc every spawn would
        # recompile the package, which no user's install does.
        import compileall
        from pathlib import Path

        import kintone_mcp

        compileall.compile_dir(str(Path(kintone_mcp.__file__).parent), quiet=1)
    base = {k: v for k, v in os.environ.items() if not k.startswith("KINTONE_")}
    ours_env = {
        **base,
        # Port 9 (discard) on loopback: nothing answers there, so any start-up request would fail.
        "KINTONE_BASE_URL": "http://127.0.0.1:9",
        "KINTONE_USERNAME": "someone",
        "KINTONE_PASSWORD": "secret-password",
    }
    configs = {
        "floor (SDK, 1 tool)": ([sys.executable, "-c", FLOOR], base),
        "kintone-mcp": ([sys.executable, "-m", "kintone_mcp"], ours_env),
        "kintone-mcp, all toolsets": ([sys.executable, "-m", "kintone_mcp"], {**ours_env, "KINTONE_TOOLSETS": "all"}),
        "serve --sandbox": ([sys.executable, "-m", "kintone_mcp", "serve", "--sandbox"], base),
    }
    for argv, env in configs.values():  # warm-up: bytecode caches and the OS file cache
        one_run(argv, env)
    samples: dict[str, list[float]] = {name: [] for name in configs}
    cpu: dict[str, list[float]] = {name: [] for name in configs}
    counts: dict[str, int] = {}
    for _ in range(rounds):
        for name, (argv, env) in configs.items():
            elapsed, tools, used = one_run(argv, env)
            samples[name].append(elapsed)
            cpu[name].append(used)
            counts[name] = tools
    floor = sorted(samples["floor (SDK, 1 tool)"])[len(samples["floor (SDK, 1 tool)"]) // 2]
    print(f"spawn -> first tools/list over stdio, {rounds} interleaved rounds:")
    for name, values in samples.items():
        median = sorted(values)[len(values) // 2]
        print(f"  {name:<26} {describe(values, 's', 1.0)}  {counts[name]:>2} tools  {median / floor:.2f}x floor")
    cpu_floor = sorted(cpu["floor (SDK, 1 tool)"])[len(cpu["floor (SDK, 1 tool)"]) // 2]
    print("child CPU time, same runs:")
    for name, values in cpu.items():
        median = sorted(values)[len(values) // 2]
        print(f"  {name:<26} median {median:.2f} s  {median / cpu_floor:.2f}x floor")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--no-compile", action="store_true", help="do not precompile the package's bytecode first")
    args = parser.parse_args()
    main(args.rounds, not args.no_compile)
