"""list_users end to end."""

from __future__ import annotations

import pytest
from mcp import Client

from kintone_mcp.sandbox import Sandbox
from tests.server.conftest import ServerFactory, token_credentials
from tests.server.helpers import call_error, call_ok


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


@pytest.mark.anyio
async def test_member_of_says_whether_it_read_an_organization_or_a_group(mcp: Client) -> None:
    org = await call_ok(mcp, "list_users", member_of="sales")
    assert {u["code"] for u in org["entries"]} == {"sato", "watanabe"}
    assert "organization 'sales' (Sales)" in org["note"]
    group = await call_ok(mcp, "list_users", member_of="managers")
    assert {u["code"] for u in group["entries"]} == {"sato", "takahashi"}
    assert "group 'managers'" in group["note"]
    only = await call_ok(mcp, "list_users", member_of="group:managers", codes=["takahashi", "suzuki"])
    assert [u["code"] for u in only["entries"]] == ["takahashi"]


@pytest.mark.anyio
async def test_member_of_a_display_name_suggests_the_code(mcp: Client) -> None:
    text = await call_error(mcp, "list_users", member_of="Sales")
    assert "display name" in text and 'member_of="sales"' in text and "organization" in text
    near = await call_error(mcp, "list_users", member_of="Customer Suport")
    assert 'member_of="support"' in near
    nothing = await call_error(mcp, "list_users", member_of="zzz-nothing")
    assert "No organization or group has the code 'zzz-nothing'" in nothing


@pytest.mark.anyio
async def test_member_of_with_other_kinds_answers_the_users_memberships_not_everything(mcp: Client) -> None:
    every = await call_ok(mcp, "list_users", kind="organizations")
    assert len(every["entries"]) >= 3
    orgs = await call_ok(mcp, "list_users", kind="organizations", member_of="sato")
    assert [o["code"] for o in orgs["entries"]] == ["sales"] and "'sato'" in orgs["note"]
    assert "managers" in {g["code"] for g in (await call_ok(mcp, "list_users", kind="groups"))["entries"]}
    groups = await call_ok(mcp, "list_users", kind="groups", member_of="suzuki")
    assert [g["code"] for g in groups["entries"]] == ["everyone"]
    text = await call_error(mcp, "list_users", kind="organizations", member_of="Sales")
    assert "user's code" in text
