"""File upload and download, streamed, attached to a record through a FILE field."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kintone_mcp.auth import ApiToken, ApiTokenAuth, Credentials
from kintone_mcp.client import KintoneClient, NotFoundError
from kintone_mcp.client.models.values import FileValue
from kintone_mcp.sandbox import Sandbox

from .conftest import client_for, create_app, recording_client

pytestmark = pytest.mark.anyio


@pytest.fixture
async def files_app(sandbox: Sandbox) -> int:
    return await create_app(
        sandbox,
        "Documents",
        {"name": {"type": "SINGLE_LINE_TEXT", "label": "Name"}, "attachments": {"type": "FILE", "label": "Files"}},
    )


async def attach(client: KintoneClient, app: int, *keys: str) -> int:
    record = {"name": {"value": "doc"}, "attachments": {"value": [{"fileKey": k} for k in keys]}}
    return (await client.add_record(app, record)).id


async def test_upload_attach_and_download_bytes(sandbox: Sandbox, files_app: int) -> None:
    content = "請求書 invoice\n".encode() * 1000
    async with client_for(sandbox) as client:
        upload_key = await client.upload_file(content, filename="請求書 final (v2).txt", content_type="text/plain")
        record_id = await attach(client, files_app, upload_key)
        files = (await client.get_record(files_app, record_id)).field("attachments")
        assert isinstance(files, FileValue) and len(files.value) == 1
        info = files.value[0]
        assert info.name == "請求書 final (v2).txt" and info.size == len(content)
        assert info.file_key != upload_key  # the record shows a download key, not the upload key
        assert await client.download_file(info.file_key) == content
        async with client.stream_file(info.file_key) as download:
            assert download.content_type.startswith("text/plain")
            chunks = [c async for c in download.aiter_bytes(1024)]
        assert len(chunks) > 1 and b"".join(chunks) == content


async def test_stream_a_file_from_disk_and_back(sandbox: Sandbox, files_app: int, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    client, wire = recording_client(sandbox)
    async with client:
        upload_key = await client.upload_file(source)
        record_id = await attach(client, files_app, upload_key)
        info = (await client.get_record(files_app, record_id)).value("attachments")[0]
        assert info["name"] == "big.bin"
        target = tmp_path / "copy.bin"
        written = await client.download_file_to(info["fileKey"], target)
    assert written == source.stat().st_size
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(source.read_bytes()).digest()
    upload = next(r for r in wire.requests if r.method == "POST" and r.url.path == "/k/v1/file.json")
    assert upload.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert int(upload.headers["Content-Length"]) > source.stat().st_size


async def test_upload_from_an_async_stream_of_unknown_length(sandbox: Sandbox, files_app: int) -> None:
    async def produce() -> AsyncIterator[bytes]:
        for i in range(50):
            yield f"line {i}\n".encode()

    async with client_for(sandbox) as client:
        key = await client.upload_file(produce(), filename="log.txt", content_type="text/plain")
        record_id = await attach(client, files_app, key)
        info = (await client.get_record(files_app, record_id)).value("attachments")[0]
        assert await client.download_file(info["fileKey"]) == b"".join(f"line {i}\n".encode() for i in range(50))


async def test_files_with_an_api_token(sandbox: Sandbox, files_app: int) -> None:
    sandbox.add_api_token(files_app, "filesapptoken00000000000000000000000000")
    async with client_for(sandbox) as admin:
        key = await admin.upload_file(b"x", filename="x.txt")
        record_id = await attach(admin, files_app, key)
        file_key = (await admin.get_record(files_app, record_id)).value("attachments")[0]["fileKey"]
    tokens = ApiTokenAuth(
        [ApiToken(sandbox.demo_tokens[1], 1), ApiToken("filesapptoken00000000000000000000000000", files_app)]
    )
    async with client_for(sandbox, Credentials(rest=tokens)) as client:
        assert await client.download_file(file_key, app=files_app) == b"x"
        assert await client.upload_file(b"y", filename="y.txt", app=files_app)


async def test_unknown_file_key(shared_admin: KintoneClient) -> None:
    with pytest.raises(NotFoundError) as info:
        await shared_admin.download_file("0" * 40)
    assert info.value.code == "GAIA_BL01"


async def test_upload_needs_a_filename(shared_admin: KintoneClient) -> None:
    async def produce() -> AsyncIterator[bytes]:
        yield b"x"

    with pytest.raises(ValueError, match="filename"):
        await shared_admin.upload_file(produce())
