"""Bytes a model receives per record: our get_records answer against Kintone's own JSON for the same records.

Reads the same 100 Deals records: once as GET records.json returns them (the raw Kintone JSON, every field,
compact), then through the MCP server's get_records twice, with its default fields (every field but the six system
ones) and with `fields: ["*"]` (every field, as the raw JSON). For ours it reports the structuredContent, the text
block (the same data as compact JSON, which MCP asks servers to include), and the whole tools/call result as it
travels (both together plus the envelope). Ratios are against the raw Kintone JSON.

    python benchmarks/bench_server_output.py [--records 100]
"""

from __future__ import annotations

import argparse

import anyio
from bench_server_common import sandbox, server_for
from mcp import Client

from kintone_mcp.auth import Credentials, PasswordAuth
from kintone_mcp.client import KintoneClient
from kintone_mcp.sandbox import Sandbox
from kintone_mcp.server.results import compact_size as _size


async def main(n: int) -> None:
    sb = sandbox()
    import httpx2

    admin = PasswordAuth("Administrator", "sandbox")
    async with KintoneClient(
        "http://127.0.0.1:8787", credentials=Credentials(rest=admin), transport=httpx2.ASGITransport(app=sb.asgi_app)
    ) as client:
        raw_page = await client.get_records(2, query=f"order by $id desc limit {n}")
    raw = {"records": [r.raw for r in raw_page.records], "totalCount": None}
    raw_bytes = _size(raw)

    for label, fields in (("default fields", None), ('fields ["*"]', ["*"])):
        await _ours(sb, n, fields, label, raw_bytes, [r.id for r in raw_page.records])


async def _ours(sb: Sandbox, n: int, fields: list[str] | None, label: str, raw_bytes: int, raw_ids: list[int]) -> None:
    structured = text = wire = calls = got = 0
    ids: list[int] = []
    async with Client(server_for(sb)) as mcp:
        args: dict[str, object] = {"limit": n, "max_text_chars": 20000}
        if fields is not None:
            args["fields"] = fields
        while got < n:
            # One answer is bounded to 60,000 characters, so 100 full records take two calls.
            result = await mcp.call_tool("get_records", args)
            data = result.structured_content
            assert data is not None, result.content
            calls += 1
            got += data["returned"]
            ids += [r["$id"] for r in data["records"]]
            structured += _size(data)
            text += len(result.content[0].text.encode())  # type: ignore[union-attr]
            wire += _size(result.model_dump(by_alias=True, exclude_none=True, mode="json"))
            args = {"next": data["next"], "limit": n - got}
    assert ids == raw_ids, "the same records, in the same order"

    print(f"get_records, {n} Deals records, {label} (subtable of line items, users, dates), {calls} calls:")
    rows = [
        ("Kintone records.json (compact)", raw_bytes),
        ("ours: structuredContent", structured),
        ("ours: text block (same data, compact)", text),
        ("ours: whole tools/call result", wire),
    ]
    for row, size in rows:
        print(f"  {row:<38} {size:>8,} B  {size / n:>6.0f} B/record  {size / raw_bytes:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100)
    anyio.run(main, parser.parse_args().records)
