"""get_app end to end against the sandbox: fields, operators, lookups, process management."""

from __future__ import annotations

import pytest
from mcp import Client

from tests.server.helpers import call_ok


@pytest.mark.anyio
async def test_list_apps_and_get_app(mcp: Client) -> None:
    apps = await call_ok(mcp, "list_apps")
    assert [a["id"] for a in apps["apps"]] == [1, 2, 3, 5]
    deal = await call_ok(mcp, "list_apps", name="deal")
    assert deal["apps"] == [{"id": 2, "name": "Deals", "code": "DEALS", "space_id": 1}]  # in the Sales space
    assert "guest spaces" in deal["note"]  # none known yet: their apps may be missing, and the note says so
    schema = await call_ok(mcp, "get_app", app=2)
    fields = {f["code"]: f for f in schema["fields"]}
    assert fields["stage"]["options"][:2] == ["Lead", "Qualified"] and fields["stage"]["required"] is True
    assert schema["operators"]["DROP_DOWN"] == ["in", "not in"]
    assert fields["customer_code"]["lookup"] == {
        "app": 1,
        "key_field": "customer_code",
        "copies": {"customer_name": "company_name"},
    }
    items = fields["line_items"]["fields"]
    assert [c["code"] for c in items][:2] == ["product", "quantity"]
    assert "=" not in schema["table_operators"]["NUMBER"]  # inside a table
    assert fields["total"]["read_only"] is True
    assert "$id" in fields


@pytest.mark.anyio
async def test_get_app_shows_process_management(mcp: Client) -> None:
    schema = await call_ok(mcp, "get_app", app=3)
    assert schema["process"]["states"] and schema["process"]["actions"][0]["from_status"] in schema["process"]["states"]
