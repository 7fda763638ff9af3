"""Guest-space apps beside normal apps in one server (issue 11): the demo's "Partner requests" (app 4, guest space 2)
is reached by id or alias with no guest setting, every tool works on it, and KINTONE_GUEST_SPACE_ID keeps working."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from mcp import Client

from kintone_mcp.client import KintoneClient
from kintone_mcp.sandbox import Sandbox
from kintone_mcp.server.app import KintoneMCPServer, build_server
from kintone_mcp.server.policy import Policy
from kintone_mcp.server.state import ServerOptions
from kintone_mcp.server.tools.outputs import parse_id_ranges
from tests.client.test_guest_spaces import KintoneWording
from tests.server.conftest import BASE_URL, DEALS, password_credentials
from tests.server.helpers import call_error, call_ok

PARTNER, GUEST = 4, 2
#: the demo's apps outside guest spaces, in id order
NORMAL = [1, 2, 3, 5]


def guest_server(sandbox: Sandbox, guest_space_id: int | None = None, **policy: Any) -> KintoneMCPServer:
    creds = password_credentials()

    def client() -> KintoneClient:
        return KintoneClient(
            BASE_URL,
            credentials=creds,
            guest_space_id=guest_space_id,
            transport=httpx2.ASGITransport(app=sandbox.asgi_app),
        )

    return build_server(
        policy=Policy.build(**policy), options=ServerOptions(base_url=BASE_URL, user_api=True), client_factory=client
    )


@pytest.mark.anyio
async def test_every_record_tool_works_on_a_guest_app_named_by_id(sandbox: Sandbox) -> None:
    async with Client(guest_server(sandbox, default_app=DEALS)) as mcp:
        schema = await call_ok(mcp, "get_app", app=PARTNER)
        assert schema["name"] == "Partner requests" and "subject" in {f["code"] for f in schema["fields"]}
        page = await call_ok(mcp, "get_records", app=PARTNER, limit=2, fields=["subject"])
        assert page["returned"] == 2
        added = await call_ok(mcp, "add_record", app=PARTNER, record={"subject": "new", "partner": "Aoba"})
        done = await call_ok(mcp, "update_record", app=PARTNER, id=added["id"], record={"details": "more"})
        assert done["revision"] == 2
        one = await call_ok(mcp, "get_record", app=PARTNER, id=added["id"])
        assert one["record"]["details"] == "more"
        bulk = await call_ok(mcp, "add_records", app=PARTNER,
                             records=[{"subject": f"b{i}", "partner": "Kaze"} for i in range(120)])  # fmt: skip
        assert bulk["count"] == 120 and bulk["atomic"] is True
        agg = await call_ok(mcp, "aggregate_records", app=PARTNER, group_by=["partner"])
        assert {"Kaze": 120}.items() <= {g["key"]["partner"]: g["count"] for g in agg["groups"]}.items()
        comment = await call_ok(mcp, "add_comment", app=PARTNER, id=added["id"], text="seen")
        assert (await call_ok(mcp, "get_comments", app=PARTNER, id=added["id"]))["comments"][0]["id"] == comment["id"]
        gone = await call_ok(mcp, "delete_records", app=PARTNER, ids=parse_id_ranges(bulk["ids"]))
        assert gone["count"] == 120 and gone["deleted"] == bulk["ids"]
        # The normal apps beside it are untouched by the detour.
        assert (await call_ok(mcp, "get_records", limit=1))["total_count"] == 300


@pytest.mark.anyio
async def test_an_alias_may_name_a_guest_app_and_list_apps_shows_it_after_the_others(sandbox: Sandbox) -> None:
    async with Client(guest_server(sandbox, aliases={"partners": PARTNER, "deals": DEALS})) as mcp:
        apps = await call_ok(mcp, "list_apps")
        assert [a["id"] for a in apps["apps"]] == [*NORMAL, PARTNER]
        assert apps["apps"][-1]["space_id"] == GUEST and "note" not in apps
        assert (await call_ok(mcp, "get_records", app="partners", limit=1))["returned"] == 1


@pytest.mark.anyio
async def test_list_apps_says_guest_apps_may_be_missing_until_a_space_is_known(sandbox: Sandbox) -> None:
    async with Client(guest_server(sandbox)) as mcp:
        apps = await call_ok(mcp, "list_apps")
        assert [a["id"] for a in apps["apps"]] == NORMAL and "KINTONE_GUEST_SPACE_ID" in apps["note"]
        await call_ok(mcp, "get_app", app=PARTNER)
        assert [a["id"] for a in (await call_ok(mcp, "list_apps"))["apps"]] == [*NORMAL, PARTNER]


@pytest.mark.anyio
async def test_the_guest_space_setting_keeps_working_and_reaches_normal_apps_too(sandbox: Sandbox) -> None:
    async with Client(guest_server(sandbox, guest_space_id=GUEST, default_app=PARTNER)) as mcp:
        assert (await call_ok(mcp, "get_records", limit=1))["returned"] == 1
        assert (await call_ok(mcp, "get_records", app=DEALS, limit=1))["total_count"] == 300
        assert [a["id"] for a in (await call_ok(mcp, "list_apps"))["apps"]] == [*NORMAL, PARTNER]


@pytest.mark.anyio
async def test_where_kintone_does_not_say_the_space_the_model_is_told_what_the_user_must_set(sandbox: Sandbox) -> None:
    creds = password_credentials()
    wire = KintoneWording(httpx2.ASGITransport(app=sandbox.asgi_app))
    server = build_server(
        policy=Policy.build(),
        options=ServerOptions(base_url=BASE_URL, user_api=True),
        client_factory=lambda: KintoneClient(BASE_URL, credentials=creds, transport=wire),
    )
    async with Client(server) as mcp:
        text = await call_error(mcp, "get_records", app=PARTNER)
        assert "app 4 is in a guest space" in text and "KINTONE_GUEST_SPACE_ID" in text and "do not retry" in text
