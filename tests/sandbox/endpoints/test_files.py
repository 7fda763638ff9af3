"""file.json through HTTP in process: upload, attach through record writes, download, keys, expiry and limits."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import httpx2
import pytest
from files_comments_helpers import (
    ADMIN,
    FILE_APP_FIELDS,
    Clock,
    assert_error,
    client,
    create_app,
    error_messages,
    make_sandbox,
    ok,
    password,
    token,
)

from kintone_mcp.sandbox import Sandbox, SandboxConfig

pytestmark = pytest.mark.anyio

DOWNLOAD_KEY = re.compile(r"^\d{14}[0-9A-F]{36}$")
UPLOAD_KEY = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@dataclass
class Env:
    sandbox: Sandbox
    clock: Clock
    http: httpx2.AsyncClient
    app: int
    opened: list[httpx2.AsyncClient] = field(default_factory=list)

    def as_(self, headers: dict[str, str]) -> Env:
        """The same sandbox and app, called with other credentials (and only those)."""
        other = Env(self.sandbox, self.clock, client(self.sandbox, headers), self.app, self.opened)
        self.opened.append(other.http)
        return other

    async def upload(self, name: str, data: bytes, content_type: str | None = "text/plain") -> str:
        file: tuple[Any, ...] = (name, data) if content_type is None else (name, data, content_type)
        body = ok(await self.http.post("/k/v1/file.json", files={"file": file}))
        assert set(body) == {"fileKey"}
        return str(body["fileKey"])

    async def add(self, record: dict[str, Any], app: int | None = None) -> int:
        body = ok(await self.http.post("/k/v1/record.json", json={"app": app or self.app, "record": record}))
        return int(body["id"])

    async def record(self, record_id: int, app: int | None = None) -> dict[str, Any]:
        body = ok(await self.http.get("/k/v1/record.json", params={"app": app or self.app, "id": record_id}))
        record: dict[str, Any] = body["record"]
        return record

    async def files(self, record_id: int, code: str = "attachment") -> list[dict[str, str]]:
        value: list[dict[str, str]] = (await self.record(record_id))[code]["value"]
        return value

    async def download(self, key: str) -> httpx2.Response:
        return await self.http.get("/k/v1/file.json", params={"fileKey": key})


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sandbox(clock: Clock) -> Iterator[Sandbox]:
    sb = make_sandbox(clock)
    yield sb
    sb.close()


@pytest.fixture
async def env(sandbox: Sandbox, clock: Clock) -> AsyncIterator[Env]:
    async with client(sandbox) as http:
        app = await create_app(http, "Files", FILE_APP_FIELDS)
        env = Env(sandbox, clock, http, app)
        yield env
        for other in env.opened:
            await other.aclose()


# -- the round trip --------------------------------------------------------------------------------------------------


async def test_upload_attach_download_round_trip(env: Env) -> None:
    data = b"quarterly numbers\n" * 10
    upload_key = await env.upload("report.csv", data, "text/csv")
    assert UPLOAD_KEY.match(upload_key), upload_key
    record_id = await env.add({"title": {"value": "with file"}, "attachment": {"value": [{"fileKey": upload_key}]}})

    [file] = await env.files(record_id)
    assert set(file) == {"contentType", "fileKey", "name", "size"}
    assert file["name"] == "report.csv"
    assert file["contentType"] == "text/csv"
    assert file["size"] == str(len(data))
    assert file["fileKey"] != upload_key
    assert DOWNLOAD_KEY.match(file["fileKey"]), file["fileKey"]
    # The download key starts with the sandbox clock's time, as Kintone's keys start with theirs.
    assert file["fileKey"].startswith(env.clock.now.strftime("%Y%m%d%H%M%S"))

    resp = await env.download(file["fileKey"])
    assert resp.status_code == 200
    assert resp.content == data
    assert resp.headers["content-type"] == "text/csv"
    assert resp.headers["content-length"] == str(len(data))
    assert "filename*=UTF-8''report.csv" in resp.headers["content-disposition"]


async def test_binary_content_larger_than_one_chunk_comes_back_byte_for_byte(env: Env) -> None:
    data = os.urandom(300_000) + bytes(range(256))
    key = await env.upload("blob.bin", data, "application/octet-stream")
    record_id = await env.add({"attachment": {"value": [{"fileKey": key}]}})
    [file] = await env.files(record_id)
    assert file["size"] == str(len(data))
    resp = await env.download(file["fileKey"])
    assert resp.content == data
    assert resp.headers["content-type"] == "application/octet-stream"


async def test_empty_file_round_trip(env: Env) -> None:
    key = await env.upload("empty.txt", b"")
    record_id = await env.add({"attachment": {"value": [{"fileKey": key}]}})
    [file] = await env.files(record_id)
    assert file["size"] == "0"
    resp = await env.download(file["fileKey"])
    assert resp.status_code == 200 and resp.content == b""


async def test_utf8_file_names_survive_upload_record_and_download(env: Env) -> None:
    name = "見積書 2025年3月 (改訂) ✓.txt"
    key = await env.upload(name, "本文".encode())
    record_id = await env.add({"attachment": {"value": [{"fileKey": key}]}})
    [file] = await env.files(record_id)
    assert file["name"] == name
    resp = await env.download(file["fileKey"])
    assert resp.content == "本文".encode()
    disposition = resp.headers["content-disposition"]
    assert f"filename*=UTF-8''{quote(name, safe='')}" in disposition
    # The plain filename= stand-in must stay ASCII so old clients can read the header at all.
    assert disposition.split("filename*=")[0].isascii()


async def test_content_type_is_guessed_from_the_name_when_the_part_has_none(env: Env) -> None:
    key = await env.upload("photo.png", b"\x89PNG\r\n\x1a\n", None)
    record_id = await env.add({"attachment": {"value": [{"fileKey": key}]}})
    [file] = await env.files(record_id)
    assert file["contentType"] == "image/png"
    assert (await env.download(file["fileKey"])).headers["content-type"] == "image/png"


async def test_a_text_file_is_not_given_a_charset_the_uploader_did_not_state(env: Env) -> None:
    key = await env.upload("latin1.txt", "café".encode("latin-1"), "text/plain")
    record_id = await env.add({"attachment": {"value": [{"fileKey": key}]}})
    [file] = await env.files(record_id)
    resp = await env.download(file["fileKey"])
    assert resp.headers["content-type"] == "text/plain"
    assert resp.content == "café".encode("latin-1")


# -- keys in record writes -------------------------------------------------------------------------------------------


async def test_several_files_keep_their_order(env: Env) -> None:
    keys = [await env.upload(f"f{i}.txt", f"content {i}".encode()) for i in range(3)]
    record_id = await env.add({"attachment": {"value": [{"fileKey": k} for k in keys]}})
    files = await env.files(record_id)
    assert [f["name"] for f in files] == ["f0.txt", "f1.txt", "f2.txt"]
    assert len({f["fileKey"] for f in files}) == 3
    for i, f in enumerate(files):
        assert (await env.download(f["fileKey"])).content == f"content {i}".encode()


async def test_put_replaces_the_whole_array(env: Env) -> None:
    first = await env.upload("old.txt", b"old")
    record_id = await env.add({"attachment": {"value": [{"fileKey": first}]}})
    [old] = await env.files(record_id)
    second = await env.upload("new.txt", b"new")
    ok(
        await env.http.put(
            "/k/v1/record.json",
            json={"app": env.app, "id": record_id, "record": {"attachment": {"value": [{"fileKey": second}]}}},
        )
    )
    [new] = await env.files(record_id)
    assert new["name"] == "new.txt"
    assert new["fileKey"] != old["fileKey"]
    assert (await env.download(new["fileKey"])).content == b"new"


async def test_existing_download_keys_sent_back_keep_their_files(env: Env) -> None:
    key = await env.upload("keep.txt", b"keep me")
    record_id = await env.add({"title": {"value": "t"}, "attachment": {"value": [{"fileKey": key}]}})
    [kept] = await env.files(record_id)
    added = await env.upload("added.txt", b"added")
    ok(
        await env.http.put(
            "/k/v1/record.json",
            json={
                "app": env.app,
                "id": record_id,
                "record": {"attachment": {"value": [{"fileKey": kept["fileKey"]}, {"fileKey": added}]}},
            },
        )
    )
    files = await env.files(record_id)
    assert [f["name"] for f in files] == ["keep.txt", "added.txt"]
    assert files[0] == kept
    assert (await env.download(kept["fileKey"])).content == b"keep me"
    # Sending the same kept key again is an update that changes nothing about the file.
    ok(
        await env.http.put(
            "/k/v1/record.json", json={"app": env.app, "id": record_id, "record": {"attachment": {"value": files}}}
        )
    )
    assert await env.files(record_id) == files


async def test_updates_that_leave_the_field_out_keep_its_files(env: Env) -> None:
    key = await env.upload("a.txt", b"a")
    record_id = await env.add({"title": {"value": "before"}, "attachment": {"value": [{"fileKey": key}]}})
    before = await env.files(record_id)
    ok(
        await env.http.put(
            "/k/v1/record.json", json={"app": env.app, "id": record_id, "record": {"title": {"value": "after"}}}
        )
    )
    assert await env.files(record_id) == before


async def test_an_empty_array_clears_the_field(env: Env) -> None:
    key = await env.upload("a.txt", b"a")
    record_id = await env.add({"attachment": {"value": [{"fileKey": key}]}})
    ok(
        await env.http.put(
            "/k/v1/record.json", json={"app": env.app, "id": record_id, "record": {"attachment": {"value": []}}}
        )
    )
    assert await env.files(record_id) == []


async def test_an_upload_key_can_be_attached_only_once(env: Env) -> None:
    key = await env.upload("once.txt", b"once")
    await env.add({"attachment": {"value": [{"fileKey": key}]}})
    resp = await env.http.post(
        "/k/v1/record.json", json={"app": env.app, "record": {"attachment": {"value": [{"fileKey": key}]}}}
    )
    errors = error_messages(resp)
    assert list(errors) == ["record.attachment.value"]
    assert "unknown file key" in errors["record.attachment.value"][0]
    # Twice in one array: the second use is the second attach.
    key2 = await env.upload("twice.txt", b"twice")
    resp = await env.http.post(
        "/k/v1/record.json",
        json={"app": env.app, "record": {"attachment": {"value": [{"fileKey": key2}, {"fileKey": key2}]}}},
    )
    assert "File 2:" in error_messages(resp)["record.attachment.value"][0]


@pytest.mark.parametrize(
    "value",
    [
        [{"fileKey": "00000000-0000-4000-8000-000000000000"}],
        [{"fileKey": "2025031400000000000000000000000000000000000000000000"}],
        [{"fileKey": 12}],
        [{}],
        ["not-an-object"],
    ],
)
async def test_unknown_or_malformed_keys_are_refused_and_nothing_is_written(env: Env, value: list[Any]) -> None:
    resp = await env.http.post("/k/v1/record.json", json={"app": env.app, "record": {"attachment": {"value": value}}})
    assert "record.attachment.value" in error_messages(resp)
    records = ok(await env.http.get("/k/v1/records.json", params={"app": env.app}))["records"]
    assert records == []


async def test_a_non_list_value_is_refused(env: Env) -> None:
    resp = await env.http.post(
        "/k/v1/record.json", json={"app": env.app, "record": {"attachment": {"value": {"fileKey": "x"}}}}
    )
    assert "record.attachment.value" in error_messages(resp)


async def test_a_failed_bulk_write_leaves_its_uploads_attachable(env: Env) -> None:
    good = await env.upload("good.txt", b"good")
    resp = await env.http.post(
        "/k/v1/records.json",
        json={
            "app": env.app,
            "records": [
                {"attachment": {"value": [{"fileKey": good}]}},
                {"attachment": {"value": [{"fileKey": "no-such-key"}]}},
            ],
        },
    )
    assert list(error_messages(resp)) == ["records[1].attachment.value"]
    # The whole request rolled back, so the first record's upload was never consumed.
    record_id = await env.add({"attachment": {"value": [{"fileKey": good}]}})
    [file] = await env.files(record_id)
    assert (await env.download(file["fileKey"])).content == b"good"


async def test_bulk_add_attaches_each_records_files(env: Env) -> None:
    keys = [await env.upload(f"r{i}.txt", f"record {i}".encode()) for i in range(3)]
    body = ok(
        await env.http.post(
            "/k/v1/records.json",
            json={"app": env.app, "records": [{"attachment": {"value": [{"fileKey": k}]}} for k in keys]},
        )
    )
    for i, record_id in enumerate(body["ids"]):
        [file] = await env.files(int(record_id))
        assert file["name"] == f"r{i}.txt"
        assert (await env.download(file["fileKey"])).content == f"record {i}".encode()


async def test_files_inside_a_table_row(env: Env) -> None:
    key = await env.upload("row.jpg", b"\xff\xd8\xff", "image/jpeg")
    record_id = await env.add(
        {"items": {"value": [{"value": {"item": {"value": "camera"}, "photo": {"value": [{"fileKey": key}]}}}]}}
    )
    [row] = (await env.record(record_id))["items"]["value"]
    [file] = row["value"]["photo"]["value"]
    assert row["value"]["photo"]["type"] == "FILE"
    assert file["name"] == "row.jpg" and file["contentType"] == "image/jpeg" and file["size"] == "3"
    assert (await env.download(file["fileKey"])).content == b"\xff\xd8\xff"
    # Updating the row without its FILE cell keeps the file; an unknown key in a row is refused at the cell's path.
    ok(
        await env.http.put(
            "/k/v1/record.json",
            json={
                "app": env.app,
                "id": record_id,
                "record": {"items": {"value": [{"id": row["id"], "value": {"item": {"value": "lens"}}}]}},
            },
        )
    )
    [row_after] = (await env.record(record_id))["items"]["value"]
    assert row_after["value"]["photo"]["value"] == [file]
    resp = await env.http.put(
        "/k/v1/record.json",
        json={
            "app": env.app,
            "id": record_id,
            "record": {"items": {"value": [{"id": row["id"], "value": {"photo": {"value": [{"fileKey": "nope"}]}}}]}},
        },
    )
    assert list(error_messages(resp)) == ["record.items.value[0].value.photo.value"]


async def test_a_required_file_field_needs_a_file(env: Env) -> None:
    app = await create_app(
        env.http, "Required file", {"proof": {"type": "FILE", "code": "proof", "label": "Proof", "required": True}}
    )
    resp = await env.http.post("/k/v1/record.json", json={"app": app, "record": {"proof": {"value": []}}})
    # A missing file is keyed ".values", as Kintone keys every multi-value field.
    assert error_messages(resp) == {"record.proof.values": ["Required."]}
    key = await env.upload("proof.pdf", b"%PDF-1.4", "application/pdf")
    record_id = await env.add({"proof": {"value": [{"fileKey": key}]}}, app=app)
    [file] = (await env.record(record_id, app=app))["proof"]["value"]
    assert file["name"] == "proof.pdf"


async def test_a_download_key_of_another_app_is_not_accepted(env: Env) -> None:
    other = await create_app(env.http, "Other", {"doc": {"type": "FILE", "code": "doc", "label": "Doc"}})
    key = await env.upload("theirs.txt", b"theirs")
    other_id = await env.add({"doc": {"value": [{"fileKey": key}]}}, app=other)
    [theirs] = (await env.record(other_id, app=other))["doc"]["value"]
    resp = await env.http.post(
        "/k/v1/record.json",
        json={"app": env.app, "record": {"attachment": {"value": [{"fileKey": theirs["fileKey"]}]}}},
    )
    assert "record.attachment.value" in error_messages(resp)


async def test_like_on_a_file_field_matches_the_file_name(env: Env) -> None:
    hit = await env.add({"attachment": {"value": [{"fileKey": await env.upload("Invoice-2025.pdf", b"x")}]}})
    await env.add({"attachment": {"value": [{"fileKey": await env.upload("photo.jpg", b"y")}]}})
    none = await env.add({"title": {"value": "no file"}})
    found = ok(
        await env.http.get(
            "/k/v1/records.json", params={"app": env.app, "query": 'attachment like "invoice"', "fields": ["$id"]}
        )
    )["records"]
    assert [int(r["$id"]["value"]) for r in found] == [hit]
    empty = ok(
        await env.http.get(
            "/k/v1/records.json", params={"app": env.app, "query": "attachment is empty", "fields": ["$id"]}
        )
    )["records"]
    assert [int(r["$id"]["value"]) for r in empty] == [none]


# -- downloads -------------------------------------------------------------------------------------------------------


async def test_an_upload_key_is_not_downloadable(env: Env) -> None:
    key = await env.upload("pending.txt", b"pending")
    assert_error(await env.download(key), 404, "GAIA_BL01")


async def test_unknown_download_key(env: Env) -> None:
    assert_error(await env.download("20250314000000" + "0" * 36), 404, "GAIA_BL01")


async def test_download_needs_a_file_key(env: Env) -> None:
    resp = await env.http.get("/k/v1/file.json")
    assert list(error_messages(resp)) == ["fileKey"]


async def test_download_key_in_a_json_body(env: Env) -> None:
    key = await env.upload("body.txt", b"from body")
    [file] = await env.files(await env.add({"attachment": {"value": [{"fileKey": key}]}}))
    resp = await env.http.request("GET", "/k/v1/file.json", json={"fileKey": file["fileKey"]})
    assert resp.content == b"from body"


# -- permissions -----------------------------------------------------------------------------------------------------


async def test_tokens_upload_and_download_within_their_app(env: Env) -> None:
    env.sandbox.add_api_token(env.app, "files-full")
    env.sandbox.add_api_token(env.app, "files-add-only", ["add"])
    env.sandbox.add_api_token(1, "customers-full")
    full = env.as_(token("files-full"))
    record_id = await full.add({"attachment": {"value": [{"fileKey": await full.upload("t.txt", b"via token")}]}})
    [file] = await full.files(record_id)
    assert (await full.download(file["fileKey"])).content == b"via token"
    # Any valid token may upload; downloading needs view on the file's app.
    other = env.as_(token("customers-full"))
    assert UPLOAD_KEY.match(await other.upload("other.txt", b"x"))
    assert_error(await other.download(file["fileKey"]), 403, "GAIA_NO01")
    assert_error(await env.as_(token("files-add-only")).download(file["fileKey"]), 403, "GAIA_NO01")
    assert (await env.as_(token("customers-full", "files-full")).download(file["fileKey"])).content == b"via token"


async def test_users_need_access_to_the_app_to_download(env: Env) -> None:
    key = await env.upload("private.txt", b"private")
    [file] = await env.files(await env.add({"attachment": {"value": [{"fileKey": key}]}}))
    sato, suzuki = env.as_(password("sato")), env.as_(password("suzuki"))
    assert (await sato.download(file["fileKey"])).content == b"private"
    env.sandbox.set_allowed_users(env.app, ["suzuki"])
    assert_error(await sato.download(file["fileKey"]), 403, "CB_NO02")
    assert (await suzuki.download(file["fileKey"])).content == b"private"


async def test_uploading_needs_valid_credentials(env: Env) -> None:
    assert_error(await env.as_({}).http.post("/k/v1/file.json", files={"file": ("a.txt", b"a")}), 401, "CB_AU01")
    wrong = env.as_(password("sato", "wrong"))
    assert_error(await wrong.http.post("/k/v1/file.json", files={"file": ("a.txt", b"a")}), 401, "CB_WA01")
    bad_token = env.as_(token("no-such-token"))
    assert_error(await bad_token.http.post("/k/v1/file.json", files={"file": ("a.txt", b"a")}), 400, "GAIA_IA02")


async def test_guest_space_files_are_reached_through_the_guest_path(env: Env) -> None:
    guest = "/k/guest/2/v1/"  # demo space 2 is a guest space
    app = await create_app(
        env.http, "Partner files", {"doc": {"type": "FILE", "code": "doc", "label": "Doc"}}, prefix=guest
    )
    key = ok(await env.http.post(f"{guest}file.json", files={"file": ("g.txt", b"guest")}))["fileKey"]
    created = ok(
        await env.http.post(f"{guest}record.json", json={"app": app, "record": {"doc": {"value": [{"fileKey": key}]}}})
    )
    record = ok(await env.http.get(f"{guest}record.json", params={"app": app, "id": created["id"]}))["record"]
    download_key = record["doc"]["value"][0]["fileKey"]
    assert (await env.http.get(f"{guest}file.json", params={"fileKey": download_key})).content == b"guest"
    assert_error(await env.download(download_key), 400, "GAIA_IL23")


# -- malformed uploads -----------------------------------------------------------------------------------------------


async def test_upload_without_a_file_part(env: Env) -> None:
    assert list(error_messages(await env.http.post("/k/v1/file.json", json={"file": "x"}))) == ["file"]
    resp = await env.http.post("/k/v1/file.json", files={"upload": ("a.txt", b"a")})
    assert list(error_messages(resp)) == ["file"]
    resp = await env.http.post("/k/v1/file.json", data={"file": "just text"}, files={"other": ("a.txt", b"a")})
    assert list(error_messages(resp)) == ["file"]


async def test_upload_of_two_files_at_once_is_refused(env: Env) -> None:
    resp = await env.http.post("/k/v1/file.json", files=[("file", ("a.txt", b"a")), ("file", ("b.txt", b"b"))])
    assert "file" in error_messages(resp)


async def test_upload_without_a_filename_is_refused(env: Env) -> None:
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename=""\r\n'
        f"Content-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n"
    ).encode()
    resp = await env.http.post(
        "/k/v1/file.json", content=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert "filename" in error_messages(resp)["file"][0]


async def test_a_broken_multipart_body_is_a_clear_400(env: Env) -> None:
    resp = await env.http.post(
        "/k/v1/file.json", content=b"--x\r\nnonsense", headers={"Content-Type": "multipart/form-data"}
    )
    assert "multipart" in error_messages(resp)["file"][0]


# -- size limit and expiry -------------------------------------------------------------------------------------------


async def test_size_limit() -> None:
    sb = make_sandbox(max_file_size=1000)
    try:
        async with client(sb) as http:
            assert ok(await http.post("/k/v1/file.json", files={"file": ("max.bin", b"x" * 1000)}))["fileKey"]
            for size in (1001, 200_000):  # just over (checked on the file), far over (cut off while streaming)
                resp = await http.post("/k/v1/file.json", files={"file": ("big.bin", b"x" * size)})
                [message] = error_messages(resp)["file"]
                assert "1,000 bytes" in message, message
                assert "max_file_size" in message
    finally:
        sb.close()


async def test_a_body_far_over_the_limit_is_cut_off_while_it_streams() -> None:
    # Parsing happens before authentication, so a body past the limit (plus room for the multipart envelope) is
    # refused even from a caller without credentials: it was never spooled, let alone handed to the endpoint.
    sb = make_sandbox(max_file_size=1000)
    try:
        async with client(sb, {}) as anonymous:
            assert_error(
                await anonymous.post("/k/v1/file.json", files={"file": ("a.bin", b"x" * 1001)}), 401, "CB_AU01"
            )
            resp = await anonymous.post("/k/v1/file.json", files={"file": ("big.bin", b"x" * 200_000)})
            assert "1,000 bytes" in error_messages(resp)["file"][0]
    finally:
        sb.close()


async def test_default_size_limit_is_100_mb() -> None:
    assert SandboxConfig().max_file_size == 100 * 1024 * 1024


async def test_unattached_uploads_expire_after_the_retention_period(env: Env) -> None:
    assert env.sandbox.config.upload_retention == timedelta(days=3)
    kept = await env.upload("in-time.txt", b"in time")
    lost = await env.upload("too-late.txt", b"too late")
    env.clock.advance(timedelta(days=2, hours=23, minutes=59))
    await env.add({"attachment": {"value": [{"fileKey": kept}]}})
    env.clock.advance(timedelta(minutes=2))
    resp = await env.http.post(
        "/k/v1/record.json", json={"app": env.app, "record": {"attachment": {"value": [{"fileKey": lost}]}}}
    )
    assert "record.attachment.value" in error_messages(resp)


async def test_attached_files_do_not_expire(env: Env) -> None:
    key = await env.upload("forever.txt", b"forever")
    record_id = await env.add({"attachment": {"value": [{"fileKey": key}]}})
    [file] = await env.files(record_id)
    env.clock.advance(timedelta(days=400))
    await env.upload("trigger-purge.txt", b"")
    assert (await env.download(file["fileKey"])).content == b"forever"
    ok(
        await env.http.put(
            "/k/v1/record.json",
            json={"app": env.app, "id": record_id, "record": {"attachment": {"value": [{"fileKey": file["fileKey"]}]}}},
        )
    )


async def test_retention_is_configurable_and_expired_uploads_are_purged() -> None:
    clock = Clock()
    sb = make_sandbox(clock, upload_retention=timedelta(hours=1))
    try:
        async with client(sb) as http:
            app = await create_app(http, "Files", FILE_APP_FIELDS)
            old = ok(await http.post("/k/v1/file.json", files={"file": ("old.txt", b"old")}))["fileKey"]
            clock.advance(timedelta(minutes=61))
            ok(await http.post("/k/v1/file.json", files={"file": ("new.txt", b"new")}))
            with sb.store.reading() as conn:
                names = [r[0] for r in conn.execute("SELECT name FROM stored_files WHERE kind = 'upload'")]
                # Every chunk but those of the demo Contracts app's own files (orphans included).
                chunks = [bytes(r[0]) for r in conn.execute(
                    "SELECT data FROM file_chunks WHERE file NOT IN (SELECT id FROM stored_files WHERE app = 5)")]
            assert names == ["new.txt"]
            assert chunks == [b"new"]  # the expired upload's bytes went with it
            resp = await http.post(
                "/k/v1/record.json", json={"app": app, "record": {"attachment": {"value": [{"fileKey": old}]}}}
            )
            assert "record.attachment.value" in error_messages(resp)
    finally:
        sb.close()


# -- wiring ----------------------------------------------------------------------------------------------------------


async def test_the_default_sandbox_serves_file_json() -> None:
    sb = Sandbox(SandboxConfig(demo=False))
    try:
        async with client(sb, ADMIN) as http:
            key = ok(await http.post("/k/v1/file.json", files={"file": ("a.txt", b"a")}))["fileKey"]
            assert UPLOAD_KEY.match(key)
            assert_error(await http.get("/k/v1/file.json", params={"fileKey": key}), 404, "GAIA_BL01")
    finally:
        sb.close()
