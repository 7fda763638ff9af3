"""Bytes of the whole tools/list answer with the default toolsets, ours against the SDK's default schemas, and what
each further toolset adds.

"SDK default" is the same server with the schema slimming turned off (titles on every property,
``anyOf [X, null]`` for optional arguments, single-use ``$defs``): the difference is what slimming saves. The budget
is 35 KB for the default toolsets (core, records, files, users; 3 KB of it the ``search`` tool), 15 KB more for the
``apps`` toolset and 8 KB more for ``spaces`` (icons included: without them, 6.6 KB). Sizes are
the compact JSON of the ``result`` object, as it travels.

    python benchmarks/bench_server_tools_list.py
"""

from __future__ import annotations

from typing import Any

import anyio
from bench_server_common import sandbox, server_for
from mcp import Client

from kintone_mcp.server.app import KintoneMCPServer
from kintone_mcp.server.policy import Policy
from kintone_mcp.server.results import compact_size as _size
from kintone_mcp.server.toolsets import DEFAULT_TOOLSETS, TOOLSETS

BUDGET = 35_000
#: what a toolset beyond the default ones may add (issue 12: the official server's field tools are ~40 KB each)
TOOLSET_BUDGET = {"apps": 15_000, "spaces": 8_000}
#: the search tool (issue 13), in the default records toolset, has a budget of its own
SEARCH_BUDGET = 3_000


async def _tools(server: KintoneMCPServer) -> list[dict[str, Any]]:
    async with Client(server) as mcp:
        return [t.model_dump(by_alias=True, exclude_none=True, mode="json") for t in (await mcp.list_tools()).tools]


async def main() -> None:
    sb = sandbox()
    ours = await _tools(server_for(sb))
    plain = server_for(sb)
    # Bypass the slimming override: what MCPServer advertises for the same tools.
    plain.list_tools = super(KintoneMCPServer, plain).list_tools  # type: ignore[method-assign]
    default = await _tools(plain)
    total, base = _size({"tools": ours}), _size({"tools": default})
    print(f"tools/list, {len(ours)} tools (the default toolsets: {', '.join(sorted(DEFAULT_TOOLSETS))}):")
    print(f"  ours        {total:>7,} B  ({total / BUDGET:.0%} of the {BUDGET:,} B budget)")
    print(f"  SDK default {base:>7,} B  (ours is {total / base:.2f}x)")
    parts = {
        "descriptions": sum(len(t["description"].encode()) for t in ours),
        "input schemas": sum(_size(t["inputSchema"]) for t in ours),
        "output schemas": sum(_size(t["outputSchema"]) for t in ours),
        "annotations": sum(_size(t["annotations"]) for t in ours),
    }
    for name, size in parts.items():
        print(f"  {name:<15} {size:>7,} B")
    search = next((t for t in ours if t["name"] == "search"), None)
    if search is not None:
        size = _size(search) + 1  # and its comma in the list
        print(f"  search      {size:>7,} B  ({size / SEARCH_BUDGET:.0%} of its {SEARCH_BUDGET:,} B budget)")
    print("  largest tools:", ", ".join(f"{t['name']} {_size(t):,} B" for t in sorted(ours, key=_size)[-3:]))
    for name in TOOLSETS:
        if name in DEFAULT_TOOLSETS:
            continue
        added = await _tools(server_for(sb, Policy.build(default_app=2, toolsets=[*DEFAULT_TOOLSETS, name])))
        extra = [t for t in added if t["name"] not in {o["name"] for o in ours}]
        size = _size({"tools": added}) - total
        budget = TOOLSET_BUDGET.get(name)
        share = f" ({size / budget:.0%} of its {budget:,} B budget)" if budget else ""
        print(f"toolset {name}: +{size:,} B for {len(extra)} tools{share}")
        print("  per tool:", ", ".join(f"{t['name']} {_size(t):,} B" for t in extra))
    every = await _tools(server_for(sb, Policy.build(default_app=2, toolsets=["all"])))
    print(f"all toolsets: {_size({'tools': every}):,} B for {len(every)} tools")


if __name__ == "__main__":
    anyio.run(main)
