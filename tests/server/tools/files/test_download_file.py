"""download_file end to end: inline text, the folder, never overwriting (and upload_file's refusals)."""

from __future__ import annotations

import resource
import signal
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client

from kintone_mcp.client import KintoneClient, NoRetry
from kintone_mcp.sandbox import Sandbox, serve_in_thread
from kintone_mcp.server.app import build_server
from kintone_mcp.server.policy import Policy
from kintone_mcp.server.state import ServerOptions
from tests.server.conftest import BASE_URL, ServerFactory, add_file_field, password_credentials
from tests.server.helpers import call_error, call_ok


@pytest.mark.anyio
async def test_upload_then_download_inline_and_to_the_folder(
    make_server: ServerFactory, sandbox: Sandbox, tmp_path: Path
) -> None:
    file_field = await add_file_field(sandbox, 1)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    source = downloads / "quote.csv"  # only files in the download folder can be attached
    source.write_text("product,qty\nPen,3\n", encoding="utf-8")
    async with Client(make_server(download_dir=downloads)) as mcp:
        up = await call_ok(mcp, "upload_file", app=1, id=1, field=file_field, path=str(source))
        again = await call_ok(mcp, "upload_file", app=1, id=1, field=file_field, path=str(source))
        assert again["files"] == up["files"] + 1
        files = (await call_ok(mcp, "get_record", app=1, id=1))["record"][file_field]
        assert [f["name"] for f in files][-2:] == ["quote.csv", "quote.csv"]
        first = await call_ok(mcp, "download_file", app=1, id=1, file_key=files[-1]["fileKey"])
        second = await call_ok(mcp, "download_file", app=1, id=1, file_key=files[-1]["fileKey"])
        assert first["text"] == "product,qty\nPen,3\n"
        assert await anyio.Path(first["path"]).read_text(encoding="utf-8") == first["text"]
        assert first["path"] != second["path"]  # never overwrites
        assert "no file with fileKey" in await call_error(mcp, "download_file", app=1, id=1, file_key="nope")
        assert "is not a file field" in await call_error(
            mcp, "upload_file", app=1, id=1, field="company_name", path=str(source)
        )
        hidden = downloads / ".secret"
        hidden.write_text("x")
        assert "hidden" in await call_error(mcp, "upload_file", app=1, id=1, field=file_field, path=str(hidden))
        outside = tmp_path / "elsewhere.txt"
        outside.write_text("x")
        assert "outside the download folder" in await call_error(
            mcp, "upload_file", app=1, id=1, field=file_field, path=str(outside)
        )


# --- the folder's safety (issue 17: links, concurrency, sizes, names) -------------------------------------------


def _content(path: str) -> bytes:
    return Path(path).read_bytes()


def _is_link(path: str) -> bool:
    return Path(path).is_symlink()


async def attach(sandbox: Sandbox, app: int, record: int, field: str, files: list[tuple[str, bytes]]) -> list[str]:
    """Attaches files with exactly these names (which a local file could not have) through the client; returns the
    records' download keys, in order."""
    client = KintoneClient(
        BASE_URL,
        credentials=password_credentials(),
        transport=httpx2.ASGITransport(app=sandbox.asgi_app),
    )
    async with client:
        keys = [await client.upload_file(data, filename=name) for name, data in files]
        await client.update_record(app, {field: {"value": [{"fileKey": k} for k in keys]}}, id=record)
        return [f["fileKey"] for f in (await client.get_record(app, record)).value(field)]


@pytest.mark.anyio
async def test_a_link_in_the_folder_is_never_written_through(
    make_server: ServerFactory, sandbox: Sandbox, tmp_path: Path
) -> None:
    field = await add_file_field(sandbox, 1)
    downloads, elsewhere = tmp_path / "downloads", tmp_path / "elsewhere"
    downloads.mkdir()
    elsewhere.mkdir()
    (downloads / "evil.txt").symlink_to(elsewhere / "x")  # dangling: exists() says no
    (elsewhere / "kept.bin").write_bytes(b"precious")
    (downloads / "kept.bin").symlink_to(elsewhere / "kept.bin")
    keys = await attach(sandbox, 1, 1, field, [("evil.txt", b"payload one\n"), ("kept.bin", b"payload two")])
    async with Client(make_server(download_dir=downloads)) as mcp:
        first = await call_ok(mcp, "download_file", app=1, id=1, file_key=keys[0])
        second = await call_ok(mcp, "download_file", app=1, id=1, file_key=keys[1])
    assert not (elsewhere / "x").exists()
    assert (elsewhere / "kept.bin").read_bytes() == b"precious"
    assert first["path"] == str(downloads / "evil (1).txt") and second["path"] == str(downloads / "kept (1).bin")
    assert _content(first["path"]) == b"payload one\n" and not _is_link(first["path"])
    assert _content(second["path"]) == b"payload two"


@pytest.mark.anyio
async def test_concurrent_downloads_of_one_name_each_get_their_own_file(
    make_server: ServerFactory, sandbox: Sandbox, tmp_path: Path
) -> None:
    field = await add_file_field(sandbox, 1)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    wanted = {}
    for record in range(1, 7):
        [key] = await attach(sandbox, 1, record, field, [("report.bin", f"record {record} ".encode() * 5000)])
        wanted[record] = key
    answers: dict[int, dict[str, object]] = {}
    async with Client(make_server(download_dir=downloads)) as mcp:

        async def one(record: int) -> None:
            answers[record] = await call_ok(mcp, "download_file", app=1, id=record, file_key=wanted[record])

        async with anyio.create_task_group() as tg:
            for record in wanted:
                tg.start_soon(one, record)
    paths = [str(a["path"]) for a in answers.values()]
    assert len(set(paths)) == 6 and len(list(downloads.iterdir())) == 6
    for record, answer in answers.items():
        assert _content(str(answer["path"])) == f"record {record} ".encode() * 5000


@pytest.mark.anyio
async def test_a_download_over_the_size_limit_is_refused_and_leaves_nothing(
    make_server: ServerFactory, sandbox: Sandbox, tmp_path: Path
) -> None:
    field = await add_file_field(sandbox, 1)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    [key] = await attach(sandbox, 1, 1, field, [("big.bin", b"\x01" * 5000)])
    async with Client(make_server(download_dir=downloads, download_max_bytes=4096)) as mcp:
        text = await call_error(mcp, "download_file", app=1, id=1, file_key=key)
    assert "5,000 bytes, more than the 4,096 bytes" in text and "KINTONE_DOWNLOAD_MAX_BYTES" in text
    assert list(downloads.iterdir()) == []


@pytest.mark.anyio
async def test_a_full_disk_is_reported_as_such_and_the_partial_file_removed(
    make_server: ServerFactory, sandbox: Sandbox, tmp_path: Path
) -> None:
    field = await add_file_field(sandbox, 1)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    [key] = await attach(sandbox, 1, 1, field, [("big.bin", b"\x02" * 300_000)])
    async with Client(make_server(download_dir=downloads)) as mcp:
        # A file-size limit on this process stands in for a full file system: writes past it fail as a full disk
        # would (EFBIG rather than ENOSPC), and the signal it would send is ignored for the duration.
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, hard))
        try:
            text = await call_error(mcp, "download_file", app=1, id=1, file_key=key)
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
            signal.signal(signal.SIGXFSZ, previous)
    assert "is full" in text and "nothing was saved" in text and "internal error" not in text
    assert list(downloads.iterdir()) == []


@pytest.mark.anyio
async def test_names_that_are_unsafe_on_some_system_are_rewritten(
    make_server: ServerFactory, sandbox: Sandbox, tmp_path: Path
) -> None:
    field = await add_file_field(sandbox, 1)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    names = ["CON", "NUL.txt", "aux", "com1.txt", "invoice\u202efdp.exe", "a" * 300 + ".txt"]
    keys = await attach(sandbox, 1, 1, field, [(n, b"x") for n in names])
    async with Client(make_server(download_dir=downloads)) as mcp:
        saved = [Path((await call_ok(mcp, "download_file", app=1, id=1, file_key=k))["path"]).name for k in keys]
    assert saved[:5] == ["CON_", "NUL_.txt", "aux_", "com1_.txt", "invoice_fdp.exe"]
    assert saved[5].endswith(".txt") and len(saved[5].encode()) <= 200


def test_safe_name_rules() -> None:
    from kintone_mcp.server.tools.files._local import safe_name

    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("a<b>:c.txt") == "a_b__c.txt"
    assert safe_name("LPT9.tar.gz") == "LPT9_.tar.gz"
    assert safe_name("console.txt") == "console.txt"  # only the device names themselves are reserved
    assert safe_name("\u200bzero\u2066width") == "_zero_width"
    assert safe_name(" . ") == "download"
    assert safe_name("日本語" * 40 + ".pdf").endswith(".pdf")


@pytest.mark.socket
@pytest.mark.anyio
async def test_a_download_cut_short_leaves_no_partial_file(sandbox: Sandbox, tmp_path: Path) -> None:
    """Over a real socket, so that the answer streams in and the cut comes while the file is being written."""
    field = await add_file_field(sandbox, 1)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    [key] = await attach(sandbox, 1, 1, field, [("cut.bin", b"\x03" * 3_000_000)])
    with serve_in_thread(sandbox) as url:
        async with httpx2.AsyncClient(base_url=url) as admin:
            # The sandbox's fault injection cuts every file answer short after a third of its body.
            rules = ["truncate:keep=0.3,paths=/k/v1/file.json"]
            (await admin.put("/_sandbox/faults", json=rules)).raise_for_status()
        server = build_server(
            policy=Policy.build(),
            options=ServerOptions(base_url=url, download_dir=downloads),
            client_factory=lambda: KintoneClient(url, credentials=password_credentials(), retry_policy=NoRetry()),
        )
        async with Client(server) as mcp:
            text = await call_error(mcp, "download_file", app=1, id=1, file_key=key)
    assert "internal error" not in text and "Kintone could not be reached" in text, text
    assert list(downloads.iterdir()) == []
