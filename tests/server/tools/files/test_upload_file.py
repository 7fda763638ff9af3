"""upload_file end to end."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from mcp import Client

from kintone_mcp.sandbox import Sandbox
from tests.server.conftest import ServerFactory, add_file_field
from tests.server.helpers import call_error, call_ok


@pytest.mark.anyio
async def test_upload_answer_names_the_file_not_a_spent_upload_key(
    make_server: ServerFactory, sandbox: Sandbox, tmp_path: Path
) -> None:
    field = await add_file_field(sandbox, 3)
    folder = tmp_path / "files"
    folder.mkdir()
    source = folder / "trace.log"
    source.write_text("boom\n", encoding="utf-8")
    async with Client(make_server(download_dir=folder)) as mcp:
        up = await call_ok(mcp, "upload_file", app=3, id=2, field=field, path=str(source))
        assert up["name"] == "trace.log" and "file_key" not in up
        attached = (await call_ok(mcp, "get_record", app=3, id=2))["record"][field]
        assert [f["name"] for f in attached] == ["trace.log"]


def _content(path: str) -> bytes:
    return Path(path).read_bytes()


async def _attached(mcp: Client, app: int, record: int, field: str) -> list[bytes]:
    """The contents of the files attached to a record's field, downloaded back through the tools."""
    files = (await call_ok(mcp, "get_record", app=app, id=record))["record"].get(field) or []
    out = []
    for f in files:
        saved = await call_ok(mcp, "download_file", app=app, id=record, file_key=f["fileKey"])
        out.append(_content(saved["path"]))
    return out


@pytest.mark.anyio
async def test_links_out_of_the_folder_are_refused(
    make_server: ServerFactory, sandbox: Sandbox, tmp_path: Path
) -> None:
    field = await add_file_field(sandbox, 3)
    folder, outside = tmp_path / "files", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_text("outside the folder\n")
    os.link(secret, folder / "hard.txt")  # the same file under a name inside the folder
    (folder / "soft.txt").symlink_to(secret)
    (folder / "sub").symlink_to(outside, target_is_directory=True)
    os.mkfifo(folder / "pipe")  # opening it for reading would wait for a writer
    async with Client(make_server(download_dir=folder)) as mcp:
        assert "hard links" in await call_error(mcp, "upload_file", app=3, id=2, field=field, path="hard.txt")
        assert "link" in await call_error(mcp, "upload_file", app=3, id=2, field=field, path="soft.txt")
        assert "link" in await call_error(mcp, "upload_file", app=3, id=2, field=field, path="sub/secret.txt")
        assert "not a file in the download folder" in await call_error(
            mcp, "upload_file", app=3, id=2, field=field, path="pipe"
        )
        assert await _attached(mcp, 3, 2, field) == []


@pytest.mark.anyio
async def test_a_file_swapped_for_a_link_meanwhile_is_never_sent(
    make_server: ServerFactory, sandbox: Sandbox, tmp_path: Path
) -> None:
    field = await add_file_field(sandbox, 3)
    folder, outside = tmp_path / "files", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"SECRET from outside")
    (outside / "plain.txt").write_bytes(b"plain inside")
    target = folder / "swap.txt"
    link, plain = folder / ".link", folder / ".plain"
    link.symlink_to(outside / "secret.txt")
    stop = threading.Event()

    def swapper() -> None:
        # Flips swap.txt between a regular file and a link out of the folder, as fast as it can.
        while not stop.is_set():
            shutil.copyfile(outside / "plain.txt", plain)
            os.replace(plain, target)
            tmp = folder / ".relink"
            tmp.symlink_to(outside / "secret.txt")
            os.replace(tmp, target)

    thread = threading.Thread(target=swapper, daemon=True)
    thread.start()
    try:
        async with Client(make_server(download_dir=folder)) as mcp:
            for _ in range(10):
                await mcp.call_tool("upload_file", {"app": 3, "id": 2, "field": field, "path": "swap.txt"})
            stop.set()
            thread.join()
            sent = await _attached(mcp, 3, 2, field)
    finally:
        stop.set()
        thread.join()
    assert all(content == b"plain inside" for content in sent), sent
