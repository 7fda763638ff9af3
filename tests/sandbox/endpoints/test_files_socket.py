"""file.json and comments over a real socket: multipart through uvicorn, files past Starlette's in-memory spool,
a streamed (chunked) upload, a refused oversized upload the client can still read, and a streamed download."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx2
import pytest
from files_comments_helpers import ADMIN, FILE_APP_FIELDS, create_app, error_messages, make_sandbox, ok

from kintone_mcp.sandbox import Sandbox, serve_in_thread

pytestmark = [pytest.mark.anyio, pytest.mark.socket]


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Sandbox, str]]:
    sb = make_sandbox(max_file_size=4 * 1024 * 1024)
    with serve_in_thread(sb) as base_url:
        yield sb, base_url
    sb.close()


@pytest.fixture
async def http(served: tuple[Sandbox, str]) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(base_url=served[1], headers=ADMIN, timeout=30) as c:
        yield c


@pytest.fixture
async def app(http: httpx2.AsyncClient) -> int:
    return await create_app(http, "Socket files", FILE_APP_FIELDS)


async def attach_and_read(http: httpx2.AsyncClient, app: int, upload_key: str) -> dict[str, str]:
    created = ok(await http.post("/k/v1/record.json", json={
        "app": app, "record": {"attachment": {"value": [{"fileKey": upload_key}]}}}))
    record = ok(await http.get("/k/v1/record.json", params={"app": app, "id": created["id"]}))["record"]
    file: dict[str, str] = record["attachment"]["value"][0]
    return file


async def test_a_file_larger_than_the_spool_round_trips_through_uvicorn(http: httpx2.AsyncClient, app: int) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)  # past Starlette's 1 MB in-memory spool, so it went through disk
    name = "設計図 v2.bin"
    upload = ok(await http.post("/k/v1/file.json", files={"file": (name, data, "application/x-design")}))
    file = await attach_and_read(http, app, upload["fileKey"])
    assert (file["name"], file["contentType"], file["size"]) == (name, "application/x-design", str(len(data)))

    digest = hashlib.sha256()
    received = 0
    async with http.stream("GET", "/k/v1/file.json", params={"fileKey": file["fileKey"]}) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"] == "application/x-design"
        assert resp.headers["content-length"] == str(len(data))
        async for chunk in resp.aiter_raw():
            digest.update(chunk)
            received += len(chunk)
    assert received == len(data)
    assert digest.digest() == hashlib.sha256(data).digest()


async def test_a_chunked_upload_without_content_length(http: httpx2.AsyncClient, app: int) -> None:
    boundary = "sandbox-boundary-7f3a"
    parts = [b"first line\n" * 5000, "二行目\n".encode() * 5000]

    async def body() -> AsyncIterator[bytes]:
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"chunked.txt\"\r\n"
               "Content-Type: text/plain\r\n\r\n").encode()
        for part in parts:
            yield part
        yield f"\r\n--{boundary}--\r\n".encode()

    resp = await http.post("/k/v1/file.json", content=body(),
                           headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert "content-length" not in resp.request.headers
    file = await attach_and_read(http, app, ok(resp)["fileKey"])
    download = await http.get("/k/v1/file.json", params={"fileKey": file["fileKey"]})
    assert download.content == b"".join(parts)


async def test_an_oversized_upload_gets_an_answer_not_a_broken_pipe(http: httpx2.AsyncClient) -> None:
    # 4 MB limit, 9 MB sent: the sandbox stops reading early, and the client must still get the 400 rather than a
    # connection reset while it is sending.
    resp = await http.post("/k/v1/file.json", files={"file": ("huge.bin", b"\0" * (9 * 1024 * 1024))})
    [message] = error_messages(resp)["file"]
    assert "4,194,304 bytes" in message
    # And the connection is still good for the next request.
    assert ok(await http.post("/k/v1/file.json", files={"file": ("small.bin", b"ok")}))["fileKey"]


async def test_unknown_key_over_the_socket(http: httpx2.AsyncClient) -> None:
    resp = await http.get("/k/v1/file.json", params={"fileKey": "nosuchkey"})
    assert resp.status_code == 404
    assert resp.json()["code"] == "GAIA_BL01"
    assert resp.headers["x-cybozu-error"] == "GAIA_BL01"


async def test_comments_over_the_socket(http: httpx2.AsyncClient) -> None:
    body: dict[str, Any] = {"app": 1, "record": 2, "comment": {
        "text": "socket comment", "mentions": [{"code": "sato", "type": "USER"}]}}
    comment_id = ok(await http.post("/k/v1/record/comment.json", json=body))["id"]
    listed = ok(await http.get("/k/v1/record/comments.json", params={"app": 1, "record": 2, "order": "asc"}))
    assert [c["id"] for c in listed["comments"]][-1] == comment_id
    assert listed["comments"][-1]["mentions"] == [{"code": "sato", "type": "USER"}]
    assert ok(await http.request("DELETE", "/k/v1/record/comment.json",
                                 json={"app": 1, "record": 2, "comment": comment_id})) == {}
