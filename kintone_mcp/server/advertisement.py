"""The tools/list advertisement of every tool, built once (``python -m tests.server.advertisement --write``) and
shipped beside the code, so that a start-up answers tools/list without building each tool's SDK models.

The SDK builds a tool (``Tool.from_function``: argument and output models, their JSON schemas) in ~10-15 ms; with
every toolset on that was most of what start-up spent beyond the bare SDK (issue 12, measured with -X importtime and
child CPU time). With the advertisement, the server lists the tools from this file and builds a tool the first time
it is called (``KintoneMCPServer``). The file names a fingerprint of everything that shapes the schemas (the tool
modules, the shared argument and output types, the slimming, the SDK and pydantic versions); when it does not match,
the server builds every tool at start as before, so a stale file costs time, never correctness.
``tests/server/test_advertisement.py`` fails until the file is regenerated.
"""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

FILE = Path(__file__).with_name("advertisement.json")
_SERVER = Path(__file__).parent
#: What decides an advertised schema: the tools and the server modules their schemas and descriptions come from.
_SOURCES = (
    "tools",
    "filters.py",
    "schema_slim.py",
    "schema_outline.py",
    "icons.py",
    "results.py",
    "app.py",
    "advertisement.py",
)


def fingerprint() -> str:
    digest = hashlib.blake2b(digest_size=16)
    for dist in ("mcp", "pydantic"):
        digest.update(f"{dist}={version(dist)}\n".encode())
    for name in _SOURCES:
        root = _SERVER / name
        for path in sorted(root.rglob("*.py")) if root.is_dir() else [root]:
            digest.update(str(path.relative_to(_SERVER)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def load() -> dict[str, dict[str, Any]] | None:
    """Each tool's advertised definition by name, or None when the file is missing or stale."""
    try:
        data = json.loads(FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("fingerprint") != fingerprint():
        return None
    tools: dict[str, dict[str, Any]] = data.get("tools") or {}
    return tools
