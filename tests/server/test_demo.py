"""The demo data from a model's side, through mcp.Client: "my tickets" has answers for the demo login, and the
Contracts app has files to download and a FILE field to upload into."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client

from tests.server.conftest import ServerFactory
from tests.server.helpers import call_ok

pytestmark = pytest.mark.anyio
TICKETS, CONTRACTS = 3, 5


async def test_my_tickets_has_answers_for_the_demo_login(mcp: Client) -> None:
    mine = await call_ok(mcp, "get_records", app=TICKETS, query='Assignee in (LOGINUSER())', fields=["subject"])
    assert mine["total_count"] >= 3
    assigned = await call_ok(mcp, "get_records", app=TICKETS, query="assigned_to in (LOGINUSER())", limit=1)
    assert assigned["total_count"] >= 20


async def test_contract_files_download_and_upload(make_server: ServerFactory, tmp_path: Path) -> None:
    async with Client(make_server(download_dir=tmp_path)) as mcp:
        record = (await call_ok(mcp, "get_record", app=CONTRACTS, id=1))["record"]
        document = record["document"][0]
        got = await call_ok(mcp, "download_file", app=CONTRACTS, id=1, file_key=document["fileKey"])
        assert got["text"].startswith(f"Contract {record['contract_no']}")
        assert record["customer_name"] in got["text"]
        source = tmp_path / "signed-scan.txt"
        source.write_text("scanned copy\n", encoding="utf-8")
        await call_ok(mcp, "upload_file", app=CONTRACTS, id=1, field="attachments", path=str(source))
        after = (await call_ok(mcp, "get_record", app=CONTRACTS, id=1))["record"]["attachments"]
        assert [f["name"] for f in after][-1] == "signed-scan.txt"
        assert len(after) == len(record["attachments"]) + 1
