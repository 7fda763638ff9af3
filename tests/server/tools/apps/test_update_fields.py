"""update_fields against the sandbox: only what is given changes; type changes and bad changes are refused."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from mcp import Client

from kintone_mcp.server.policy import Policy
from tests.server.conftest import ServerFactory
from tests.server.helpers import call_error, call_ok


@pytest.fixture
async def built(make_server: ServerFactory) -> AsyncIterator[tuple[Client, int]]:
    async with Client(make_server(Policy.build(toolsets=["all"]))) as mcp:
        app = (await call_ok(mcp, "create_app", name="Tickets 2"))["app"]
        await call_ok(mcp, "add_fields", app=app, fields=[
            {"code": "title", "type": "SINGLE_LINE_TEXT", "label": "Title"},
            {"code": "priority", "type": "DROP_DOWN", "label": "Priority", "options": ["Low", "High"]},
            {"code": "hours", "type": "NUMBER"}, {"code": "rate", "type": "NUMBER"},
            {"code": "cost", "type": "CALC", "expression": "hours * rate"},
            {"code": "lines", "type": "SUBTABLE", "fields": [{"code": "what", "type": "SINGLE_LINE_TEXT"}]},
        ])
        await call_ok(mcp, "deploy_app", apps=[app])
        yield mcp, app


@pytest.mark.anyio
async def test_changes_reach_the_form_and_only_those(built: tuple[Client, int]) -> None:
    mcp, app = built
    done = await call_ok(mcp, "update_fields", app=app, fields=[
        {"code": "priority", "options": ["Low", "High", "Urgent"], "default": "Low", "required": True},
        {"code": "title", "label": "Subject", "new_code": "subject"},
        {"code": "cost", "expression": "hours * rate * 2"},
        {"code": "what", "label": "Item"},
    ])
    assert done["updated"] == ["priority", "title", "cost", "what"] and done["renamed"] == {"title": "subject"}
    await call_ok(mcp, "deploy_app", apps=[app])
    fields = {f["code"]: f for f in (await call_ok(mcp, "get_app", app=app))["fields"]}
    assert fields["priority"]["options"] == ["Low", "High", "Urgent"] and fields["priority"]["required"] is True
    assert fields["priority"]["label"] == "Priority"  # untouched
    assert "title" not in fields and fields["subject"]["label"] == "Subject"
    columns = {c["code"]: c for c in fields["lines"]["fields"]}
    assert columns["what"]["label"] == "Item"
    rid = (await call_ok(mcp, "add_record", app=app, record={"subject": "x", "hours": 2, "rate": 3,
                                                             "priority": "Urgent"}))["id"]
    assert str((await call_ok(mcp, "get_record", app=app, id=rid))["record"]["cost"]) in ("12", "12.0")


@pytest.mark.anyio
async def test_bad_changes_are_refused_with_nothing_sent(built: tuple[Client, int]) -> None:
    mcp, app = built
    text = await call_error(mcp, "update_fields", app=app, fields=[
        {"code": "ghost", "label": "x"},
        {"code": "hours", "type": "SINGLE_LINE_TEXT"},
        {"code": "priority", "default": "Medium"},
        {"code": "cost", "expression": "hours * nothing"},
        {"code": "rate", "new_code": "hours"},
        {"code": "title", "options": ["a"]},
    ])
    for expected in ("Nothing was sent", "'ghost' is no field", "does not change a field's type",
                     "not among the options", "names 'nothing'", "'hours' is already a field"):
        assert expected in text, expected
    assert "title: a SINGLE_LINE_TEXT field takes no options" in text or "takes no options" in text
    tool = next(t for t in (await mcp.list_tools()).tools if t.name == "update_fields")
    assert tool.annotations is not None and tool.annotations.destructive_hint is True
