"""An empty answer's hint blames only what is checked to be wrong (issue 11, item 6; the status spelling is
tests/server/tools/records/test_get_records.py's)."""

from __future__ import annotations

import pytest
from mcp import Client

from kintone_mcp.sandbox import Sandbox
from tests.server.conftest import TICKETS, ServerFactory, token_credentials
from tests.server.helpers import call_ok

_NOTHING = {"field": "subject", "op": "=", "value": "a subject no ticket has"}


@pytest.mark.anyio
async def test_a_valid_user_code_is_not_blamed_for_an_empty_answer(mcp: Client) -> None:
    assigned = {"field": "assigned_to", "op": "in", "value": ["suzuki"]}
    alone = await call_ok(mcp, "get_records", app=TICKETS, filter={"conditions": [assigned]}, limit=1)
    assert alone["total_count"] > 0  # the code is valid and has tickets
    page = await call_ok(
        mcp, "get_records", app=TICKETS, filter={"conditions": [assigned, _NOTHING]}, fields=["subject"]
    )
    assert page["total_count"] == 0
    assert "display names" not in (page.get("note") or "")
    agg = await call_ok(mcp, "aggregate_records", app=TICKETS, group_by=["priority"],
                        filter={"conditions": [assigned, _NOTHING]})  # fmt: skip
    assert "display names" not in (agg.get("note") or "")


@pytest.mark.anyio
async def test_an_unknown_code_is_named_beside_a_valid_one(mcp: Client) -> None:
    flt = {"conditions": [{"field": "assigned_to", "op": "in", "value": ["suzuki", "Tanaka Ren"]}, _NOTHING]}
    page = await call_ok(mcp, "get_records", app=TICKETS, filter=flt, fields=["subject"])
    note = page["note"]
    assert "'Tanaka Ren'" in note and "no user has this code" in note and "'suzuki'" not in note
    org = await call_ok(mcp, "get_records", query='department in ("sales") and title = "none such"', fields=["title"])
    assert "display names" not in (org.get("note") or "")


@pytest.mark.anyio
async def test_without_user_api_access_the_hint_says_it_could_not_check(
    make_server: ServerFactory, sandbox: Sandbox
) -> None:
    async with Client(make_server(credentials=token_credentials(sandbox))) as mcp:
        flt = {"conditions": [{"field": "assigned_to", "op": "in", "value": ["suzuki"]}, _NOTHING]}
        page = await call_ok(mcp, "get_records", app=TICKETS, filter=flt, fields=["subject"])
        assert "cannot check" in page["note"] and "'suzuki'" in page["note"]
