"""The client over a real loopback socket (uvicorn via serve_in_thread): pooling, streaming, real disconnects."""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

import anyio
import pytest

from kintone_mcp.auth import ApiToken, ApiTokenAuth, Credentials
from kintone_mcp.client import KintoneClient, NetworkError
from kintone_mcp.connect import build_client
from kintone_mcp.sandbox import Sandbox, SandboxConfig, serve_in_thread
from kintone_mcp.sandbox.operations.faults import FaultRule
from kintone_mcp.sandbox.operations.middleware import OperationsMiddleware
from kintone_mcp.settings import load_settings

from .conftest import create_app, password_credentials

pytestmark = [pytest.mark.anyio, pytest.mark.socket]


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, str]]:
    sb = Sandbox(SandboxConfig(demo=True))
    with serve_in_thread(sb) as base_url:
        yield sb, base_url
    sb.close()


async def test_configured_client_over_a_socket(served: tuple[Sandbox, str]) -> None:
    sb, base_url = served
    settings = load_settings(env={"KINTONE_BASE_URL": base_url, "KINTONE_API_TOKEN": f"2:{sb.demo_tokens[2]}"})
    async with build_client(settings) as client:
        ids = [r.id async for r in client.iter_records(2, query="order by $id asc", page_size=100)]
        assert ids == list(range(1, 301))
        assert sb.open_cursor_count() == 0


async def test_many_concurrent_calls_share_one_pool(served: tuple[Sandbox, str]) -> None:
    _, base_url = served
    results: dict[int, int] = {}
    async with KintoneClient(base_url, credentials=password_credentials()) as client:

        async def read(record_id: int) -> None:
            results[record_id] = (await client.get_record(2, record_id)).id or 0

        async with anyio.create_task_group() as group:
            for record_id in range(1, 61):
                group.start_soon(read, record_id)
    assert results == {i: i for i in range(1, 61)}


async def test_a_real_disconnect_mid_export_still_deletes_the_cursor(served: tuple[Sandbox, str]) -> None:
    sb, base_url = served
    async with KintoneClient(base_url, credentials=password_credentials()) as client:
        pages = client.iter_record_pages(2, page_size=100)
        await pages.__anext__()
        drop = FaultRule("drop", paths=("/k/v1/records/cursor.json",), methods=("GET",))
        cast(OperationsMiddleware, sb.asgi_app).faults.replace([drop])
        with pytest.raises(NetworkError, match="RemoteProtocolError"):
            await pages.__anext__()
    assert sb.open_cursor_count() == 0


async def test_file_round_trip_over_a_socket(served: tuple[Sandbox, str]) -> None:
    sb, base_url = served
    app = await create_app(sb, "Docs", {"f": {"type": "FILE", "label": "F"}})
    payload = bytes(range(256)) * 8192  # 2 MiB
    sb.add_api_token(app, "docsapptoken000000000000000000000000000")
    credentials = Credentials(rest=ApiTokenAuth([ApiToken("docsapptoken000000000000000000000000000", app)]))
    async with KintoneClient(base_url, credentials=credentials) as client:
        key = await client.upload_file(payload, filename="blob.bin", app=app)
        written = await client.add_record(app, {"f": {"value": [{"fileKey": key}]}})
        file_key = (await client.get_record(app, written.id)).value("f")[0]["fileKey"]
        async with client.stream_file(file_key, app=app) as download:
            assert download.size == len(payload)
            received = b"".join([chunk async for chunk in download.aiter_bytes()])
    assert received == payload
