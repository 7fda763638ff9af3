"""update_status end to end: actions, refusals explained, the lone next assignee."""

from __future__ import annotations

import pytest
from mcp import Client

from kintone_mcp.auth import Credentials, PasswordAuth
from kintone_mcp.sandbox import Sandbox
from tests.server.conftest import ServerFactory
from tests.server.helpers import call_error, call_ok


@pytest.mark.anyio
async def test_status_actions_and_comments(make_server: ServerFactory) -> None:
    suzuki = PasswordAuth("suzuki", "sandbox")
    async with Client(make_server(credentials=Credentials(rest=suzuki, user_api=suzuki))) as mcp:
        app = await call_ok(mcp, "get_app", app=3)
        action = app["process"]["actions"][0]
        mine = {
            "conditions": [
                {"field": "Status", "op": "in", "value": [action["from_status"]]},
                {"field": "Assignee", "op": "in", "value": ["LOGINUSER()"]},
            ]
        }
        rid = (await call_ok(mcp, "get_records", app=3, filter=mine, limit=1))["records"][0]["$id"]
        moved = await call_ok(mcp, "update_status", app=3, id=rid, action=action["name"])
        assert moved["status"] == action["to_status"] and moved["revision"] >= 3
        text = await call_error(mcp, "update_status", app=3, id=rid, action="No such action")
        assert f"Actions available from {action['to_status']!r}" in text
        cid = (await call_ok(mcp, "add_comment", app=3, id=rid, text="Looking into it", mentions=["sato"]))["id"]
        newest = (await call_ok(mcp, "get_comments", app=3, id=rid))["comments"][0]
        assert newest["id"] == cid and newest["by"] == "suzuki" and newest["mentions"] == ["sato"]
        assert "Looking into it" in newest["text"] and newest["at"].endswith("Z")


@pytest.mark.anyio
async def test_status_on_an_app_without_process_management(mcp: Client) -> None:
    assert "does not use process management" in await call_error(mcp, "update_status", app=2, id=1, action="Go")


@pytest.mark.anyio
async def test_a_refused_action_leads_to_update_assignees_and_that_unblocks_it(mcp: Client) -> None:
    # The demo's open tickets are assigned to suzuki and tanaka; this connection signs in as Administrator.
    rid = (await call_ok(mcp, "get_records", app=3, query='Status in ("Open")', fields=["Assignee"], limit=1))[
        "records"
    ][0]["$id"]
    text = await call_error(mcp, "update_status", app=3, id=rid, action="Start work")
    assert "GAIA_NT01" in text and "update_assignees" in text and "request id" not in text
    moved_to_me = await call_ok(mcp, "update_assignees", app=3, id=rid, assignees=["Administrator"])
    assert moved_to_me["status"] == "Open" and moved_to_me["assignees"] == ["Administrator"]
    started = await call_ok(mcp, "update_status", app=3, id=rid, action="Start work")
    assert started["status"] == "In progress"
    handed = await call_ok(mcp, "update_assignees", app=3, id=rid, assignees=["tanaka"], revision=started["revision"])
    assert handed["assignees"] == ["tanaka"] and handed["revision"] == started["revision"] + 1


@pytest.mark.anyio
async def test_update_status_names_a_lone_next_assignee_and_asks_when_there_are_several(
    mcp: Client, sandbox: Sandbox
) -> None:
    # Kintone (and the sandbox, by default) wants the next status's assignee named even when only one user can be
    # it; "In progress" is assigned to whoever the ticket's assigned_to field holds.
    assert sandbox.config.status_assignee_required
    lone = await call_ok(mcp, "add_record", app=3, record={"subject": "Lone", "assigned_to": ["tanaka"]})
    several = await call_ok(mcp, "add_record", app=3, record={"subject": "Two", "assigned_to": ["tanaka", "sato"]})
    for rid in (lone["id"], several["id"]):
        await call_ok(mcp, "update_assignees", app=3, id=rid, assignees=["Administrator"])
    started = await call_ok(mcp, "update_status", app=3, id=lone["id"], action="Start work")
    assert started["status"] == "In progress" and started["assignees"] == ["tanaka"]
    text = await call_error(mcp, "update_status", app=3, id=several["id"], action="Start work")
    assert "GAIA_SA01" in text
    picked = await call_ok(mcp, "update_status", app=3, id=several["id"], action="Start work", assignee="sato")
    assert picked["assignees"] == ["sato"]
