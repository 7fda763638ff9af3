"""update_process against the sandbox: a two-step process, deployed, then used by update_status."""

from __future__ import annotations

import pytest
from mcp import Client

from kintone_mcp.server.policy import Policy
from tests.server.conftest import ServerFactory
from tests.server.helpers import call_error, call_ok


@pytest.mark.anyio
async def test_a_two_step_process_is_built_deployed_and_used(make_server: ServerFactory) -> None:
    async with Client(make_server(Policy.build(toolsets=["all"]))) as mcp:
        app = (await call_ok(mcp, "create_app", name="Approvals"))["app"]
        await call_ok(mcp, "add_fields", app=app, fields=[
            {"code": "title", "type": "SINGLE_LINE_TEXT"}, {"code": "approver", "type": "USER_SELECT"},
        ])
        done = await call_ok(mcp, "update_process", app=app, enable=True, states=[
            {"name": "Draft", "creator": True},
            {"name": "Review", "fields": ["approver"], "users": ["Administrator"], "assignee_mode": "any"},
            {"name": "Done"},
        ], actions=[{"name": "Submit", "from": "Draft", "to": "Review"},
                    {"name": "Approve", "from": "Review", "to": "Done"}])
        assert done["enabled"] is True and done["states"] == ["Draft", "Review", "Done"]
        assert done["actions"] == ["Submit", "Approve"] and "deploy_app" in done["note"]
        await call_ok(mcp, "deploy_app", apps=[app])
        schema = await call_ok(mcp, "get_app", app=app)
        assert schema["process"]["states"] == ["Draft", "Review", "Done"]
        assert [a["name"] for a in schema["process"]["actions"]] == ["Submit", "Approve"]
        rid = (await call_ok(mcp, "add_record", app=app, record={"title": "Laptop"}))["id"]
        moved = await call_ok(mcp, "update_status", app=app, id=rid, action="Submit")
        assert moved["status"] == "Review"
        # Dropping a state is said, and the tool is annotated destructive.
        fewer = await call_ok(mcp, "update_process", app=app, states=[{"name": "Draft"}, {"name": "Review"}],
                              actions=[{"name": "Submit", "from": "Draft", "to": "Review"}])
        assert fewer["removed_states"] == ["Done"] and "deleted at the deploy" in fewer["note"]
        tool = next(t for t in (await mcp.list_tools()).tools if t.name == "update_process")
        assert tool.annotations is not None and tool.annotations.destructive_hint is True


@pytest.mark.anyio
async def test_bad_process_settings_are_refused_with_nothing_sent(make_server: ServerFactory) -> None:
    async with Client(make_server(Policy.build(toolsets=["all"]))) as mcp:
        app = (await call_ok(mcp, "create_app", name="Bad"))["app"]
        text = await call_error(mcp, "update_process", app=app, enable=True, states=[
            {"name": "A"}, {"name": "A"}, {"name": "B", "fields": ["nobody"]},
        ], actions=[{"name": "Go", "from": "A", "to": "Z"}, {"name": "Loop", "from": "B", "to": "B"}])
        for expected in ("Nothing was sent", "'A' is given twice", "'nobody' is no user-picker field",
                         "names the state 'Z'", "to itself"):
            assert expected in text, expected
        assert "at least one state" in await call_error(mcp, "update_process", app=app, enable=True, states=[])
        assert "Nothing to change" in await call_error(mcp, "update_process", app=app)
