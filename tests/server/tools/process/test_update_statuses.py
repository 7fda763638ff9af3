"""update_statuses end to end: up to 100 records in one all-or-nothing call, each record's new status answered."""

from __future__ import annotations

import pytest
from mcp import Client

from kintone_mcp.auth import Credentials, PasswordAuth
from kintone_mcp.server.policy import Policy
from tests.server.conftest import TICKETS, ServerFactory
from tests.server.helpers import call_error, call_ok


async def _open_tickets(mcp: Client, n: int) -> list[int]:
    page = await call_ok(mcp, "get_records", app=TICKETS, query='Status in ("Open")', fields=["$id"], limit=n)
    ids = [r["$id"] for r in page["records"]]
    assert len(ids) == n
    return ids


async def _statuses(mcp: Client, ids: list[int]) -> dict[int, str]:
    flt = {"conditions": [{"field": "$id", "op": "in", "value": ids}]}
    page = await call_ok(mcp, "get_records", app=TICKETS, filter=flt, fields=["$id", "Status"], limit=100)
    return {r["$id"]: r["Status"] for r in page["records"]}


@pytest.fixture
def suzuki() -> Credentials:
    # Open demo tickets are assigned to suzuki and tanaka: signing in as suzuki may start them.
    auth = PasswordAuth("suzuki", "sandbox")
    return Credentials(rest=auth, user_api=auth)


@pytest.mark.anyio
async def test_many_records_move_in_one_call_and_the_answer_lists_each_status(
    make_server: ServerFactory, suzuki: Credentials
) -> None:
    async with Client(make_server(credentials=suzuki)) as mcp:
        ids = await _open_tickets(mcp, 5)
        bad = [{"id": i, "action": "Start work", "assignee": "sato"} for i in ids]
        text = await call_error(mcp, "update_statuses", app=TICKETS, records=bad)
        assert "records[0].assignee" in text  # Kintone's own key, in the same numbering
        items = [{"id": i, "action": "Start work"} for i in ids]
        done = await call_ok(mcp, "update_statuses", app=TICKETS, records=items)
        assert done["count"] == 5 and [r["id"] for r in done["records"]] == ids
        assert all(r["status"] == "In progress" for r in done["records"])
        assert set((await _statuses(mcp, ids)).values()) == {"In progress"}
        back = [{"id": r["id"], "action": "Resolve", "revision": r["revision"]} for r in done["records"]]
        resolved = await call_ok(mcp, "update_statuses", app=TICKETS, records=back)
        assert {r["status"] for r in resolved["records"]} == {"Resolved"}


@pytest.mark.anyio
async def test_one_record_that_cannot_move_leaves_every_record_where_it_was(
    make_server: ServerFactory, suzuki: Credentials
) -> None:
    async with Client(make_server(credentials=suzuki)) as mcp:
        ids = await _open_tickets(mcp, 3)
        items = [{"id": i, "action": "Start work"} for i in ids]
        items[2]["action"] = "Resolve"  # not an action from Open
        text = await call_error(mcp, "update_statuses", app=TICKETS, records=items)
        assert "No record changed status" in text
        assert f"records[2] (id {ids[2]}, status 'Open'): 'Resolve' is not available" in text
        assert "Start work" in text and "records[0]" not in text
        assert set((await _statuses(mcp, ids)).values()) == {"Open"}


@pytest.mark.anyio
async def test_stale_revisions_duplicates_and_limits_are_refused(
    make_server: ServerFactory, suzuki: Credentials
) -> None:
    async with Client(make_server(credentials=suzuki)) as mcp:
        ids = await _open_tickets(mcp, 2)
        twice = await call_error(mcp, "update_statuses", app=TICKETS,
                                 records=[{"id": ids[0], "action": "Start work"}] * 2)  # fmt: skip
        assert "more than once" in twice
        stale = [{"id": i, "action": "Start work", "revision": 1} for i in ids]
        stale[0]["revision"] = 99
        assert "revision" in (await call_error(mcp, "update_statuses", app=TICKETS, records=stale)).lower()
        assert set((await _statuses(mcp, ids)).values()) == {"Open"}
        many = [{"id": i, "action": "Start work"} for i in range(1, 102)]
        assert "100" in await call_error(mcp, "update_statuses", app=TICKETS, records=many)


@pytest.mark.anyio
async def test_an_app_without_process_management_and_read_only_mode(make_server: ServerFactory) -> None:
    async with Client(make_server()) as mcp:
        text = await call_error(mcp, "update_statuses", app=2, records=[{"id": 1, "action": "Go"}])
        assert "does not use process management" in text
    async with Client(make_server(policy=Policy.build(read_only=True))) as mcp:
        assert "update_statuses" not in {t.name for t in (await mcp.list_tools()).tools}
