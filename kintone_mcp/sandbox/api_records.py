"""Record endpoints: record.json and records.json."""

from __future__ import annotations

from kintone_mcp.sandbox.routing import Router

router = Router()
