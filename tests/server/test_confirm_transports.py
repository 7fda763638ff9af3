"""Confirmation over the real transports: ``kintone-mcp serve`` in a subprocess, on Streamable HTTP (both protocol
eras: the 2026-07-28 InputRequiredResult round trip, and elicitation/create on the stateful SSE stream) and on
stdio, against a sandbox on a loopback socket; records are counted in the sandbox before and after."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from mcp import Client, StdioServerParameters

from kintone_mcp.auth import Credentials, PasswordAuth
from kintone_mcp.client import KintoneClient
from kintone_mcp.sandbox import Sandbox, SandboxConfig, serve_in_thread
from tests.server.test_confirm import Era, Person

pytestmark = [pytest.mark.socket]
DEALS = 2


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    with serve_in_thread(Sandbox(SandboxConfig(demo=True))) as url:
        yield url


def _env(sandbox_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINTONE_") and k != "HTTPS_PROXY"}
    return {**env, "KINTONE_BASE_URL": sandbox_url, "KINTONE_USERNAME": "Administrator",
            "KINTONE_PASSWORD": "sandbox", "KINTONE_APP_ID": str(DEALS), **extra}  # fmt: skip


async def _kintone(sandbox_url: str) -> KintoneClient:
    return KintoneClient(sandbox_url, credentials=Credentials(rest=PasswordAuth("Administrator", "sandbox")))


async def _count_and_ids(sandbox_url: str, n: int) -> tuple[int, list[int]]:
    async with await _kintone(sandbox_url) as kintone:
        page = await kintone.get_records(DEALS, query=f"order by $id asc limit {n}", fields=["$id"], total_count=True)
    assert page.total_count is not None
    return page.total_count, [int(r.raw["$id"]["value"]) for r in page.records]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def http_url(sandbox_url: str) -> Iterator[str]:
    """The server on HTTP, with the confirmation mode given as a flag (over the environment's)."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kintone_mcp", "serve", "--transport", "http", "--port", str(port),
         "--confirm", "writes"],
        env=_env(sandbox_url, KINTONE_CONFIRM="never"), stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx2.get(url, timeout=1)
                break
            except httpx2.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError("the HTTP server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def _delete_over_http(url: str, era: Era, person: Person, ids: list[int]) -> Any:
    from mcp.client.streamable_http import streamable_http_client
    from mcp.types import InputRequiredResult

    async with (
        httpx2.AsyncClient() as http,
        Client(
            streamable_http_client(url, http_client=http),
            mode=era,
            elicitation_callback=person if person.answer is not None else None,
        ) as mcp,
    ):
        if era == "auto" and person.answer is not None:
            # The 2026 era asks by answering input_required; the client's own loop then asks and calls again.
            first = await mcp.session.call_tool("delete_records", {"ids": ids}, allow_input_required=True)
            assert isinstance(first, InputRequiredResult)
        return await mcp.call_tool("delete_records", {"ids": ids})


@pytest.mark.anyio
@pytest.mark.parametrize("era", ["legacy", "auto"])
async def test_http_asks_in_both_eras(http_url: str, sandbox_url: str, era: Era) -> None:
    before, ids = await _count_and_ids(sandbox_url, 1)
    declined = Person("decline")
    result = await _delete_over_http(http_url, era, declined, ids)
    assert declined.asked == [f"Delete 1 record from Deals (app 2; id {ids[0]})? Deleted records cannot be restored."]
    assert result.is_error is True and "Nothing was changed" in result.content[0].text
    assert (await _count_and_ids(sandbox_url, 1))[0] == before
    # --confirm writes: a client without elicitation is refused.
    refused = await _delete_over_http(http_url, era, Person(None), ids)
    assert refused.is_error is True and "KINTONE_CONFIRM=writes" in refused.content[0].text
    assert (await _count_and_ids(sandbox_url, 1))[0] == before
    accepted = Person("accept")
    done = await _delete_over_http(http_url, era, accepted, ids)
    assert done.is_error is False and len(accepted.asked) == 1
    assert (await _count_and_ids(sandbox_url, 1))[0] == before - 1


@pytest.mark.anyio
@pytest.mark.parametrize("answer", ["decline", "accept"])
async def test_stdio_asks_and_obeys(sandbox_url: str, answer: str) -> None:
    before, ids = await _count_and_ids(sandbox_url, 1)
    person = Person(answer)  # type: ignore[arg-type]
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "kintone_mcp"], env=_env(sandbox_url, KINTONE_CONFIRM="destructive")
    )
    async with Client(params, elicitation_callback=person) as mcp:
        result = await mcp.call_tool("delete_records", {"ids": ids})
    assert person.asked == [f"Delete 1 record from Deals (app 2; id {ids[0]})? Deleted records cannot be restored."]
    after = (await _count_and_ids(sandbox_url, 1))[0]
    if answer == "accept":
        assert result.is_error is False and after == before - 1
    else:
        assert result.is_error is True and after == before



