"""download_file end to end: inline text, the folder, never overwriting (and upload_file's refusals)."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from mcp import Client

from kintone_mcp.sandbox import Sandbox
from tests.server.conftest import ServerFactory, add_file_field
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
