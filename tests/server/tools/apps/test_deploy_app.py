"""deploy_app waits for Kintone's deploy status (here: a sandbox whose deploys report PROCESSING for a while),
reporting progress, and answers per app."""

from __future__ import annotations

import time

import httpx2
import pytest
from mcp import Client

from kintone_mcp.auth import Credentials, PasswordAuth
from kintone_mcp.client import KintoneClient
from kintone_mcp.sandbox import Sandbox, SandboxConfig
from kintone_mcp.server.app import build_server
from kintone_mcp.server.policy import Policy
from kintone_mcp.server.state import ServerOptions
from tests.server.conftest import BASE_URL
from tests.server.helpers import call_ok


@pytest.mark.anyio
async def test_deploy_waits_for_processing_and_reports_progress() -> None:
    sandbox = Sandbox(SandboxConfig(demo=True, deploy_seconds=0.6))
    creds = Credentials(rest=PasswordAuth("Administrator", "sandbox"))

    def client() -> KintoneClient:
        return KintoneClient(BASE_URL, credentials=creds, transport=httpx2.ASGITransport(app=sandbox.asgi_app))

    server = build_server(
        policy=Policy.build(toolsets=["all"]), options=ServerOptions(base_url=BASE_URL), client_factory=client
    )
    progress: list[tuple[float, float | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total))

    async with Client(server) as mcp:
        app = (await call_ok(mcp, "create_app", name="Slow"))["app"]
        await call_ok(mcp, "add_fields", app=app, fields=[{"code": "a", "type": "SINGLE_LINE_TEXT"}])
        started = time.monotonic()
        result = await mcp.call_tool("deploy_app", {"apps": [app, 2]}, progress_callback=on_progress)
        waited = time.monotonic() - started
        assert result.is_error is False
        assert result.structured_content is not None
        assert [a["status"] for a in result.structured_content["apps"]] == ["SUCCESS", "SUCCESS"]
        # It did wait for PROCESSING to end, and said so along the way.
        assert waited >= 0.6
        assert progress[0] == (0, 2) and progress[-1] == (2, 2)
