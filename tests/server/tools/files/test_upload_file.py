"""upload_file end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client

from kintone_mcp.sandbox import Sandbox
from tests.server.conftest import ServerFactory, add_file_field
from tests.server.helpers import call_ok


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
