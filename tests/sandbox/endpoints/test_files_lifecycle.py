"""What happens to a file after it is attached: a record that lets go of it (an update replacing or clearing it, a
deleted row, a deleted record, a deleted field) deletes it unless another record holds it; a download in flight is
never cut short; and uploaded names come back as the user's system spelled them."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import httpx2
import pytest
from files_comments_helpers import ADMIN, FILE_APP_FIELDS, assert_error, client, create_app, make_sandbox, ok

from kintone_mcp.sandbox import Sandbox, SandboxConfig, serve_in_thread
from kintone_mcp.sandbox.demo.contracts import CONTRACTS

pytestmark = pytest.mark.anyio


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    sb = make_sandbox()
    yield sb
    sb.close()


@pytest.fixture
async def http(sandbox: Sandbox) -> AsyncIterator[httpx2.AsyncClient]:
    async with client(sandbox) as c:
        yield c


@pytest.fixture
async def app(http: httpx2.AsyncClient) -> int:
    return await create_app(http, "Files", FILE_APP_FIELDS)


def stored(sandbox: Sandbox) -> dict[str, str]:
    """Every stored file (key -> kind) but the demo Contracts app's own, and a check that no chunk outlives its file."""
    with sandbox.store.reading() as conn:
        files = {str(r["key"]): str(r["kind"]) for r in conn.execute(
            "SELECT key, kind FROM stored_files WHERE app IS NOT ?", (CONTRACTS,))}
        orphans = conn.execute(
            "SELECT COUNT(*) FROM file_chunks WHERE file NOT IN (SELECT id FROM stored_files)"
        ).fetchone()[0]
    assert orphans == 0
    return files


async def upload(http: httpx2.AsyncClient, name: str = "a.txt", data: bytes = b"data") -> str:
    return str(ok(await http.post("/k/v1/file.json", files={"file": (name, data, "text/plain")}))["fileKey"])


async def add(http: httpx2.AsyncClient, app: int, record: dict[str, Any]) -> int:
    return int(ok(await http.post("/k/v1/record.json", json={"app": app, "record": record}))["id"])


async def read(http: httpx2.AsyncClient, app: int, record_id: int) -> dict[str, Any]:
    record: dict[str, Any] = ok(await http.get("/k/v1/record.json", params={"app": app, "id": record_id}))["record"]
    return record


async def attach(http: httpx2.AsyncClient, app: int, *names: str) -> tuple[int, list[str]]:
    """A new record holding one uploaded file per name; returns its id and the files' download keys."""
    keys = [await upload(http, name, name.encode()) for name in names]
    record_id = await add(http, app, {"attachment": {"value": [{"fileKey": k} for k in keys]}})
    return record_id, [f["fileKey"] for f in (await read(http, app, record_id))["attachment"]["value"]]


async def download(http: httpx2.AsyncClient, key: str) -> httpx2.Response:
    return await http.get("/k/v1/file.json", params={"fileKey": key})


async def put(http: httpx2.AsyncClient, app: int, record_id: int, record: dict[str, Any]) -> None:
    ok(await http.put("/k/v1/record.json", json={"app": app, "id": record_id, "record": record}))


# -- file names ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ['say "hi".txt', "two\r\nlines.txt", '見積書 "最終".pdf', "back\\slash.txt", "100%.txt", "%41 stays.txt"],
)
async def test_file_names_come_back_as_the_user_wrote_them(http: httpx2.AsyncClient, app: int, name: str) -> None:
    # httpx2 writes '"' as %22 and CR / LF as %0D / %0A in the part's filename, as browsers do.
    record_id = await add(http, app, {"attachment": {"value": [{"fileKey": await upload(http, name)}]}})
    [file] = (await read(http, app, record_id))["attachment"]["value"]
    assert file["name"] == name
    resp = await download(http, file["fileKey"])
    assert resp.status_code == 200
    assert resp.headers["content-disposition"].endswith(f"filename*=UTF-8''{quote(name, safe='')}")


async def test_the_multipart_filename_is_decoded_by_the_html5_rule_only(http: httpx2.AsyncClient, app: int) -> None:
    # A client that writes the name raw (no escaping of "%") still gets "%22" read as a quote: that is the rule's
    # one ambiguity, shared with every server that follows it.
    boundary = "sandbox-boundary"
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="a%22b%0Ac%2541.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
        "x\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    resp = await http.post(
        "/k/v1/file.json", content=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    record_id = await add(http, app, {"attachment": {"value": [{"fileKey": ok(resp)["fileKey"]}]}})
    assert (await read(http, app, record_id))["attachment"]["value"][0]["name"] == 'a"b\nc%2541.txt'


# -- files a record lets go of ---------------------------------------------------------------------------------------


async def test_a_replaced_or_cleared_file_is_deleted(http: httpx2.AsyncClient, app: int, sandbox: Sandbox) -> None:
    record_id, [old, kept] = await attach(http, app, "old.txt", "kept.txt")
    new = await upload(http, "new.txt")
    await put(http, app, record_id, {"attachment": {"value": [{"fileKey": kept}, {"fileKey": new}]}})
    assert_error(await download(http, old), 404, "GAIA_BL01")
    assert (await download(http, kept)).content == b"kept.txt"
    assert old not in stored(sandbox) and stored(sandbox)[kept] == "download"
    # Leaving the field out of an update keeps its files; an empty list lets go of them all.
    await put(http, app, record_id, {"title": {"value": "renamed"}})
    assert (await download(http, kept)).status_code == 200
    await put(http, app, record_id, {"attachment": {"value": []}})
    assert stored(sandbox) == {}


async def test_a_dropped_download_key_cannot_be_attached_again(http: httpx2.AsyncClient, app: int) -> None:
    record_id, [key] = await attach(http, app, "once.txt")
    await put(http, app, record_id, {"attachment": {"value": []}})
    resp = await http.put(
        "/k/v1/record.json", json={"app": app, "id": record_id, "record": {"attachment": {"value": [{"fileKey": key}]}}}
    )
    assert list(resp.json()["errors"]) == ["record.attachment.value"]


async def test_a_deleted_record_takes_its_files_along(http: httpx2.AsyncClient, app: int, sandbox: Sandbox) -> None:
    photo = await upload(http, "row.png")
    record_id, [key] = await attach(http, app, "doc.txt")
    await put(http, app, record_id, {"items": {"value": [{"value": {"photo": {"value": [{"fileKey": photo}]}}}]}})
    _, [other] = await attach(http, app, "other.txt")
    ok(await http.request("DELETE", "/k/v1/records.json", json={"app": app, "ids": [record_id]}))
    assert set(stored(sandbox)) == {other}
    assert_error(await download(http, key), 404, "GAIA_BL01")
    assert (await download(http, other)).content == b"other.txt"


async def test_a_deleted_table_row_takes_its_files_along(http: httpx2.AsyncClient, app: int, sandbox: Sandbox) -> None:
    first, second = await upload(http, "1.png"), await upload(http, "2.png")
    rows = [{"value": {"photo": {"value": [{"fileKey": k}]}}} for k in (first, second)]
    record_id = await add(http, app, {"items": {"value": rows}})
    kept_row, dropped_row = (await read(http, app, record_id))["items"]["value"]
    await put(http, app, record_id, {"items": {"value": [{"id": kept_row["id"], "value": {}}]}})
    assert set(stored(sandbox)) == {kept_row["value"]["photo"]["value"][0]["fileKey"]}
    assert_error(await download(http, dropped_row["value"]["photo"]["value"][0]["fileKey"]), 404, "GAIA_BL01")


async def test_a_file_another_record_holds_is_kept(http: httpx2.AsyncClient, app: int, sandbox: Sandbox) -> None:
    record_id, [key] = await attach(http, app, "shared.txt")
    # A download key of the app may be sent back in another record of it.
    other = await add(http, app, {"attachment": {"value": [{"fileKey": key}]}})
    ok(await http.request("DELETE", "/k/v1/records.json", json={"app": app, "ids": [record_id]}))
    assert (await download(http, key)).content == b"shared.txt"
    await put(http, app, other, {"attachment": {"value": []}})
    assert stored(sandbox) == {}


async def test_a_file_moved_between_records_of_one_request_is_kept(http: httpx2.AsyncClient, app: int) -> None:
    source, [key] = await attach(http, app, "moving.txt")
    target = await add(http, app, {"title": {"value": "target"}})
    ok(
        await http.put(
            "/k/v1/records.json",
            json={
                "app": app,
                "records": [
                    {"id": source, "record": {"attachment": {"value": []}}},
                    {"id": target, "record": {"attachment": {"value": [{"fileKey": key}]}}},
                ],
            },
        )
    )
    assert (await download(http, key)).content == b"moving.txt"


async def test_a_write_that_fails_keeps_every_file(http: httpx2.AsyncClient, app: int, sandbox: Sandbox) -> None:
    record_id, [key] = await attach(http, app, "safe.txt")
    resp = await http.put(
        "/k/v1/records.json",
        json={
            "app": app,
            "records": [
                {"id": record_id, "record": {"attachment": {"value": []}}},
                {"id": record_id + 1000, "record": {}},
            ],
        },
    )
    assert_error(resp, 404, "GAIA_RE01")
    deleted = await http.request("DELETE", "/k/v1/records.json", json={"app": app, "ids": [record_id, 999]})
    assert_error(deleted, 404, "GAIA_RE01")
    assert (await download(http, key)).content == b"safe.txt" and set(stored(sandbox)) == {key}


async def test_a_bulk_request_releases_files_like_direct_calls() -> None:
    sb = Sandbox(SandboxConfig(demo=True, demo_records=5))  # every router, bulkRequest.json included
    async with client(sb) as http:
        app = await create_app(http, "Bulk files", FILE_APP_FIELDS)
        record_id, [key] = await attach(http, app, "bulk.txt")
        payload = {"app": app, "id": record_id, "record": {"attachment": {"value": []}}}
        ok(
            await http.post(
                "/k/v1/bulkRequest.json",
                json={"requests": [{"method": "PUT", "api": "/k/v1/record.json", "payload": payload}]},
            )
        )
        assert key not in stored(sb)
    sb.close()


async def test_deleting_a_file_field_deletes_its_files(http: httpx2.AsyncClient, app: int, sandbox: Sandbox) -> None:
    _, [top] = await attach(http, app, "top.txt")
    await add(http, app, {"items": {"value": [{"value": {"photo": {"value": [{"fileKey": await upload(http)}]}}}]}})
    ok(await http.request("DELETE", "/k/v1/preview/app/form/fields.json", json={"app": app, "fields": ["attachment"]}))
    assert len(stored(sandbox)) == 2  # nothing changes before the deploy
    ok(await http.post("/k/v1/preview/app/deploy.json", json={"apps": [{"app": app}]}))
    assert len(stored(sandbox)) == 1 and top not in stored(sandbox)
    ok(await http.request("DELETE", "/k/v1/preview/app/form/fields.json", json={"app": app, "fields": ["items"]}))
    ok(await http.post("/k/v1/preview/app/deploy.json", json={"apps": [{"app": app}]}))
    assert stored(sandbox) == {}


async def test_a_stream_that_is_never_sent_does_not_pin_its_file(
    http: httpx2.AsyncClient, app: int, sandbox: Sandbox
) -> None:
    record_id, [key] = await attach(http, app, "unsent.txt")
    # A download registered but never started (a response the server never got to send).
    with sandbox.store.reading() as conn:
        row = conn.execute(
            "SELECT id, key, name, content_type, size, app FROM stored_files WHERE key = ?", (key,)
        ).fetchone()
    from kintone_mcp.sandbox.store.filestore import StoredFile

    file = StoredFile(row["id"], row["key"], row["name"], row["content_type"], row["size"], row["app"])
    stream = sandbox.downloads.open(sandbox.store, file)
    await put(http, app, record_id, {"attachment": {"value": []}})
    assert stored(sandbox) == {key: "dropped"}  # kept for the download, which is not downloadable any more
    assert_error(await download(http, key), 404, "GAIA_BL01")
    del stream
    await upload(http, "next.txt")  # the next upload clears what nobody reads any more
    assert key not in stored(sandbox)


# -- downloads in flight ---------------------------------------------------------------------------------------------


@pytest.mark.socket
async def test_a_download_in_flight_finishes_when_its_record_drops_the_file() -> None:
    sb = make_sandbox()
    data = os.urandom(6 * 1024 * 1024 + 3)
    try:
        with serve_in_thread(sb) as base_url:
            async with httpx2.AsyncClient(base_url=base_url, headers=ADMIN, timeout=30) as http:
                app = await create_app(http, "Streams", FILE_APP_FIELDS)
                key = ok(await http.post("/k/v1/file.json", files={"file": ("big.bin", data)}))["fileKey"]
                record_id = await add(http, app, {"attachment": {"value": [{"fileKey": key}]}})
                [file] = (await read(http, app, record_id))["attachment"]["value"]
                digest = hashlib.sha256()
                async with http.stream("GET", "/k/v1/file.json", params={"fileKey": file["fileKey"]}) as resp:
                    chunks = resp.aiter_bytes()
                    digest.update(await chunks.__anext__())
                    # The record lets go of the file while the download is still being sent.
                    ok(await http.request("DELETE", "/k/v1/records.json", json={"app": app, "ids": [record_id]}))
                    assert stored(sb) == {file["fileKey"]: "dropped"}
                    assert_error(await download(http, file["fileKey"]), 404, "GAIA_BL01")
                    async for chunk in chunks:
                        digest.update(chunk)
                assert digest.hexdigest() == hashlib.sha256(data).hexdigest()
                for _ in range(100):  # the server finishes its side of the stream a moment after the client
                    if not stored(sb):
                        break
                    await anyio.sleep(0.02)
                assert stored(sb) == {}
    finally:
        sb.close()


# -- the first file table --------------------------------------------------------------------------------------------


def test_a_database_with_the_first_file_table_loses_it(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE files (key TEXT PRIMARY KEY, data BLOB NOT NULL)")
    sb = Sandbox(SandboxConfig(db_path=path, demo=False))
    try:
        with sb.store.reading() as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "files" not in tables and {"stored_files", "file_chunks"} <= tables
    finally:
        sb.close()
