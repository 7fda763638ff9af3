"""list_users end to end."""

from __future__ import annotations

import pytest
from mcp import Client

from kintone_mcp.sandbox import Sandbox
from tests.server.conftest import ServerFactory, token_credentials
from tests.server.helpers import call_ok


@pytest.mark.anyio
async def test_list_users_finds_codes(mcp: Client) -> None:
    users = await call_ok(mcp, "list_users")
    codes = {u["code"] for u in users["entries"]}
    assert {"Administrator", "sato", "suzuki"} <= codes
    found = await call_ok(mcp, "list_users", search="SATO")
    assert [u["code"] for u in found["entries"]] == ["sato"]
    orgs = await call_ok(mcp, "list_users", kind="organizations")
    assert {"sales", "support", "engineering"} <= {o["code"] for o in orgs["entries"]}
    members = await call_ok(mcp, "list_users", member_of="managers")
    assert members["entries"]


@pytest.mark.anyio
async def test_list_users_is_not_offered_without_user_api_credentials(
    make_server: ServerFactory, sandbox: Sandbox
) -> None:
    async with Client(make_server(credentials=token_credentials(sandbox))) as mcp:
        names = {t.name for t in (await mcp.list_tools()).tools}
        assert "list_users" not in names and "get_records" in names
