"""A cursor page lost on the way (the cursor has moved on: repeating the GET would skip it), and the client's
concurrency limit, shared by every caller and lowered to what Kintone announces."""

from __future__ import annotations

import anyio
import pytest

from kintone_mcp.client import KintoneClient, NetworkError, RateLimitError, ServerError
from kintone_mcp.sandbox import Sandbox
from kintone_mcp.sandbox.operations.faults import FaultRule
from tests.reliability.conftest import (
    BASE,
    CUSTOMERS,
    DEALS,
    admin,
    client_for,
    fast_retries,
    faults,
    faulty_sandbox,
    wire_for,
)

pytestmark = pytest.mark.anyio

CURSOR = "/k/v1/records/cursor.json"


def lose_pages(count: int, kind: str = "drop") -> FaultRule:
    # After the commit: the sandbox served the page (the cursor moved on), and the answer never arrived.
    return FaultRule(kind, paths=(CURSOR,), methods=("GET",), after_commit=True, max_count=count)  # type: ignore[arg-type]


async def test_lost_pages_are_recovered_from_the_last_id_received(sandbox: Sandbox) -> None:
    faults(sandbox).faults.replace([lose_pages(3)])
    wire = wire_for(sandbox)
    async with client_for(sandbox, wire=wire) as client:
        ids = [record.id async for record in client.iter_records(DEALS, page_size=40)]
    assert ids == list(range(300, 0, -1))  # every record once, in Kintone's default order
    assert faults(sandbox).faults.injected() == [3]
    assert len(wire.sent("POST", CURSOR)) == 4  # the first cursor and one per lost page
    assert sandbox.open_cursor_count() == 0


async def test_resuming_keeps_conditions_ascending_order_and_the_fields_asked_for(sandbox: Sandbox) -> None:
    faults(sandbox).faults.replace([lose_pages(2, "truncate")])
    query = 'stage in ("Won", "Lost") order by $id asc'
    async with client_for(sandbox) as client:
        page = await client.get_records(DEALS, query=query + " limit 500", fields=["title", "stage"])
        got = [r async for r in client.iter_records(DEALS, query=query, fields=["title", "stage"], page_size=7)]
    assert faults(sandbox).faults.injected() == [2]
    assert all(set(r.raw) == {"title", "stage"} for r in got)  # $id was fetched only to resume, then dropped
    assert len(page.records) > 14
    assert [r.raw for r in got] == [r.raw for r in page.records]  # same records, same order, none twice


async def test_a_query_in_another_order_cannot_resume_and_says_so(sandbox: Sandbox) -> None:
    faults(sandbox).faults.replace([lose_pages(1)])
    async with client_for(sandbox) as client:
        with pytest.raises(NetworkError) as info:
            async for _ in client.iter_records(DEALS, query="order by amount desc", page_size=50):
                pass
    assert "cannot resume" in str(info.value) and "not ordered by $id" in str(info.value)
    assert sandbox.open_cursor_count() == 0


async def test_a_page_refused_before_it_was_served_is_simply_asked_again(sandbox: Sandbox) -> None:
    rule = FaultRule("error", status=429, code="GAIA_TO04", paths=(CURSOR,), methods=("GET",), max_count=2)
    faults(sandbox).faults.replace([rule])
    wire = wire_for(sandbox)
    async with client_for(sandbox, wire=wire) as client:
        count = len([r async for r in client.iter_records(CUSTOMERS, page_size=100)])
    assert count == 120 and len(wire.sent("POST", CURSOR)) == 1


async def test_resuming_stops_when_the_policy_says_so(sandbox: Sandbox) -> None:
    faults(sandbox).faults.replace([FaultRule("error", status=503, paths=(CURSOR,), methods=("GET",))])
    async with client_for(sandbox, retry=fast_retries(2)) as client:
        with pytest.raises(ServerError):
            async for _ in client.iter_records(DEALS, page_size=100):
                pass
    assert sandbox.open_cursor_count() == 0


# --- concurrency ---------------------------------------------------------------------------------------------------


async def test_requests_in_flight_never_exceed_the_limit() -> None:
    sandbox = faulty_sandbox(FaultRule("latency", ms=(20, 20)))
    wire = wire_for(sandbox)
    async with client_for(sandbox, wire=wire, max_concurrency=4) as client, anyio.create_task_group() as tg:
        for n in range(1, 31):
            tg.start_soon(client.get_record, DEALS, n)
    assert wire.peak == 4 and len(wire.exchanges) == 30
    sandbox.close()


async def test_the_client_adopts_a_lower_limit_announced_by_kintone() -> None:
    # The domain allows 3 at once; a client configured for 10 is refused (429) until it learns that, then never.
    sandbox = faulty_sandbox(FaultRule("latency", ms=(20, 20)), concurrency_limit=3)
    wire = wire_for(sandbox)
    async with client_for(sandbox, wire=wire, max_concurrency=10, retry=fast_retries(8)) as client:
        async with anyio.create_task_group() as tg:
            for n in range(1, 41):
                tg.start_soon(client.get_record, DEALS, n)
        assert client._conn.concurrency == (0, 3)
        first_refusals = sum(1 for e in wire.exchanges if e.status == 429)
        wire.exchanges.clear()
        wire.peak = 0
        async with anyio.create_task_group() as tg:
            for n in range(41, 81):
                tg.start_soon(client.get_record, DEALS, n)
    assert first_refusals > 0  # it did start above the domain's limit...
    assert wire.peak == 3 and all(e.status == 200 for e in wire.exchanges)  # ...and stays under it now
    sandbox.close()


async def test_a_download_holds_its_slot_until_read(sandbox: Sandbox) -> None:
    async with client_for(sandbox, max_concurrency=2) as client:
        assert client._conn.concurrency == (0, 2)
        request = client._conn.build_request("GET", "rest", "apps", params={})
        async with client._conn.stream(request, "rest"):
            assert client._conn.concurrency == (1, 2)
        assert client._conn.concurrency == (0, 2)


async def test_a_cursor_limit_makes_concurrent_exports_wait_instead_of_failing() -> None:
    # Kintone refuses an 11th open cursor (GAIA_TM12). Twenty exports at once fail without a limit of our own...
    sandbox = faulty_sandbox(FaultRule("latency", ms=(5, 5), paths=(CURSOR,)))
    errors: list[BaseException] = []

    async def export(client: KintoneClient) -> None:
        try:
            assert len([r async for r in client.iter_records(CUSTOMERS, page_size=30)]) == 120
        except RateLimitError as exc:
            errors.append(exc)

    async with client_for(sandbox, max_concurrency=20) as client, anyio.create_task_group() as tg:
        for _ in range(20):
            tg.start_soon(export, client)
    assert errors and all(getattr(e, "code", "") == "GAIA_TM12" for e in errors)
    # ...and all succeed when the client keeps to 5 of its own.
    errors.clear()
    limited = KintoneClient(BASE, credentials=admin(), transport=wire_for(sandbox), max_open_cursors=5)
    async with limited, anyio.create_task_group() as tg:
        for _ in range(20):
            tg.start_soon(export, limited)
    assert not errors and sandbox.open_cursor_count() == 0
    sandbox.close()
