"""Three replicas behind nginx, round robin: a whole session with every request on another replica, and a replica
killed under load failing only the calls it was serving."""

from __future__ import annotations

import itertools
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.server.helpers import call_ok
from tests.server.remote.flow import grant, redeem
from tests.server.remote.harness import User, make_sandbox
from tests.server.remote.replicas import nginx_binary, replicas

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.socket,
    pytest.mark.slow,
    pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed (.ci/run installs Debian's package)"),
]


async def test_a_whole_session_with_every_request_on_another_replica(tmp_path: Path) -> None:
    sb = make_sandbox(records=300, access_token_lifetime=timedelta(seconds=3))
    with replicas(sb, tmp_path, env={"KINTONE_MCP_ACCESS_TOKEN_TTL": "2"}) as group:
        upstreams: list[str] = []

        async def note(response: httpx2.Response) -> None:
            # Only this test's requests reach nginx, one at a time: consecutive ones must land on different replicas.
            upstreams.append(response.headers.get("x-upstream", "?"))

        sato = User("sato", browser_hooks={"response": [note]})
        http = httpx2.AsyncClient(auth=sato.auth(group.url), timeout=60, event_hooks={"response": [note]})
        progress: list[float] = []

        async def on_progress(done: float, total: float | None, message: str | None) -> None:
            progress.append(done)

        async with http, Client(streamable_http_client(group.url + "/mcp", http_client=http)) as mcp:
            await call_ok(mcp, "get_records", app=2, limit=1)
            result = await mcp.call_tool("get_records", {"app": 2, "limit": 1000}, progress_callback=on_progress)
            assert result.is_error is False and progress
            first = sato.storage.tokens
            await anyio.sleep(3.2)  # past both our token's and Kintone's lifetime: a refresh on some replica
            assert (await call_ok(mcp, "get_records", app=1, limit=2))["records"]
            assert sato.storage.tokens is not None and first is not None
            assert sato.storage.tokens.access_token != first.access_token
        assert sato.sign_ins == 1
        # The sandbox (Kintone) answers the browser's consent-page requests without nginx: no X-Upstream.
        seen = [u for u in upstreams if u != "?"]
        assert {u.rsplit(":", 1)[1] for u in seen} == {str(p) for p in group.ports}
        assert all(a != b for a, b in itertools.pairwise(seen)), seen


async def _call(http: httpx2.AsyncClient, url: str, token: str) -> httpx2.Response:
    return await http.post(url + "/mcp", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"},
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/call",
              "params": {"name": "aggregate_records", "arguments": {"app": 2, "group_by": ["stage"]}}})


async def test_killing_a_replica_under_load_fails_only_its_in_flight_calls(tmp_path: Path) -> None:
    with replicas(make_sandbox(records=300), tmp_path) as group:
        async with httpx2.AsyncClient(timeout=60) as http:
            token = (await redeem(http, group.url, await grant(http, group.url))).json()["access_token"]
            outcomes: list[dict[str, Any]] = []
            killed_at: list[float] = []

            async def worker() -> None:
                # Calls go on until each worker has made three that started after the kill: a fixed number of calls
                # can all be over before the kill on a fast machine, leaving nothing to show that the others work.
                after_kill = 0
                for _ in range(500):
                    if after_kill >= 3:
                        break
                    started = time.monotonic()
                    if killed_at and started > killed_at[0]:
                        after_kill += 1
                    try:
                        answer = await _call(http, group.url, token)
                        ok = answer.status_code == 200 and '"isError":false' in answer.text.replace(" ", "")
                    except httpx2.HTTPError:
                        ok = False
                    outcomes.append({"start": started, "end": time.monotonic(), "ok": ok})

            async def killer() -> None:
                await anyio.sleep(1.0)
                killed_at.append(time.monotonic())
                group.kill(1)

            async with anyio.create_task_group() as tg:
                for _ in range(6):
                    tg.start_soon(worker)
                tg.start_soon(killer)
            (kill,) = killed_at
            failed = [o for o in outcomes if not o["ok"]]
            assert all(o["start"] < kill < o["end"] + 0.05 for o in failed), (kill, failed)
            after = [o for o in outcomes if o["start"] > kill]
            assert after and all(o["ok"] for o in after)
            assert len(failed) <= 6  # at most the calls in flight at the moment of the kill
