"""Writes or checks kintone_mcp/server/advertisement.json, the shipped tools/list (see that module):

    python -m tests.server.advertisement --write   # regenerate
    python -m tests.server.advertisement           # exit 1 when it is stale

Kept outside the package because it builds the server (server/app.py imports the loader, so the builder cannot live
beside it without an import cycle).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from kintone_mcp.server.advertisement import FILE, fingerprint


async def build() -> dict[str, Any]:
    """The advertisement as the server builds it with every tool, the slow way."""
    from kintone_mcp.server.app import build_server
    from kintone_mcp.server.policy import Policy
    from kintone_mcp.server.state import ServerOptions

    def no_client() -> Any:
        raise RuntimeError("the advertisement is built without a Kintone client")

    server = build_server(
        policy=Policy.build(toolsets=["all"]),
        options=ServerOptions(base_url="http://127.0.0.1:9", user_api=True),
        client_factory=no_client,
        lazy=False,
    )
    tools = await server.list_tools()
    return {
        "fingerprint": fingerprint(),
        "tools": {t.name: t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools},
    }


def main(argv: list[str]) -> int:
    import anyio

    text = json.dumps(anyio.run(build), indent=1, ensure_ascii=False) + "\n"
    if "--write" in argv:
        FILE.write_text(text, encoding="utf-8")
        return 0
    current = FILE.read_text(encoding="utf-8") if FILE.exists() else ""
    if current != text:
        sys.stderr.write(f"{FILE.name} is stale: run python -m tests.server.advertisement --write\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
