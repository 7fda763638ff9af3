"""What a connection check answers: the output model of ``test_connection`` and of ``kintone-mcp check``.

Its own module so that the tool (light, imported before the first ``tools/list``) and the diagnosis (heavier, imported
when a check runs) both use it without importing each other.
"""

from __future__ import annotations

from typing import Literal

from kintone_mcp.server.results import Out
from kintone_mcp.server.tools.outputs import AppBrief


class CheckStep(Out):
    step: str
    status: Literal["ok", "failed", "skipped"]
    detail: str
    fix: str | None = None


class ConnectionReport(Out):
    verdict: Literal["ok", "partial", "failed"]
    summary: str
    base_url: str
    auth: str
    steps: list[CheckStep]
    apps: list[AppBrief] | None = None
