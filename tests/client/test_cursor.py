"""Iterating with the cursor API, and never leaving a cursor open behind: on early stop, error or cancellation."""

from __future__ import annotations

from contextlib import aclosing
from typing import cast

import anyio
import anyio.lowlevel
import pytest

from kintone_mcp.client import KintoneClient, NetworkError, RateLimitError, Record, ServerError, ValidationError
from kintone_mcp.sandbox import Sandbox
from kintone_mcp.sandbox.operations.faults import FaultRule
from kintone_mcp.sandbox.operations.middleware import OperationsMiddleware

from .conftest import client_for, recording_client

pytestmark = pytest.mark.anyio


def break_cursor_reads(sb: Sandbox, kind: str = "error") -> None:
    """From now on, reading a cursor page fails (creating and deleting cursors still work)."""
    rule = FaultRule(kind, paths=("/k/v1/records/cursor.json",), methods=("GET",), status=500)  # type: ignore[arg-type]
    cast(OperationsMiddleware, sb.asgi_app).faults.replace([rule])


async def all_ids(client: KintoneClient, app: int) -> list[int]:
    ids: list[int] = []
    while True:
        page = await client.get_records(
            app, query=f"$id > {ids[-1] if ids else 0} order by $id asc limit 500", fields=["$id"]
        )
        ids.extend(r.id for r in page.records if r.id is not None)
        if len(page.records) < 500:
            return ids


async def test_iterates_every_match_in_query_order(shared_sandbox: Sandbox, shared_admin: KintoneClient) -> None:
    expected = await all_ids(shared_admin, 2)
    seen = [r.id async for r in shared_admin.iter_records(2, query="order by $id asc", page_size=70)]
    assert seen == expected and len(seen) == 300
    assert shared_sandbox.open_cursor_count() == 0


async def test_pages_carry_the_total_and_the_fields_asked_for(shared_admin: KintoneClient) -> None:
    pages = [
        p
        async for p in shared_admin.iter_record_pages(
            2, query='stage in ("Won") order by amount desc', fields=["$id", "amount"], page_size=10
        )
    ]
    records = [r for p in pages for r in p.records]
    assert {p.total_count for p in pages} == {len(records)}
    assert all(len(p.records) <= 10 for p in pages)
    assert all(set(r) == {"$id", "amount"} for r in records)
    amounts = [float(r.value("amount") or 0) for r in records]
    assert amounts == sorted(amounts, reverse=True)


async def test_stopping_early_deletes_the_cursor(shared_sandbox: Sandbox, shared_admin: KintoneClient) -> None:
    taken: list[Record] = []
    async with aclosing(shared_admin.iter_records(2, page_size=50)) as records:
        async for record in records:
            taken.append(record)
            if len(taken) == 60:
                assert shared_sandbox.open_cursor_count() == 1
                break
    assert shared_sandbox.open_cursor_count() == 0


async def test_an_error_in_the_consumer_deletes_the_cursor(
    shared_sandbox: Sandbox, shared_admin: KintoneClient
) -> None:
    with pytest.raises(RuntimeError, match="consumer failed"):
        async with aclosing(shared_admin.iter_record_pages(2, page_size=20)) as pages:
            async for _ in pages:
                raise RuntimeError("consumer failed")
    assert shared_sandbox.open_cursor_count() == 0


async def test_a_failing_page_read_deletes_the_cursor(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as client:
        pages = client.iter_record_pages(2, page_size=100)
        first = await pages.__anext__()
        assert len(first.records) == 100 and sandbox.open_cursor_count() == 1
        break_cursor_reads(sandbox)
        with pytest.raises(ServerError):
            await pages.__anext__()
    assert sandbox.open_cursor_count() == 0


async def test_a_dropped_connection_deletes_the_cursor(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as client:
        records = client.iter_records(2, page_size=100)
        await records.__anext__()
        break_cursor_reads(sandbox, "drop")
        with pytest.raises(NetworkError):
            async for _ in records:
                pass
    assert sandbox.open_cursor_count() == 0


async def test_cancellation_deletes_the_cursor(sandbox: Sandbox) -> None:
    # The clean-up runs inside an already cancelled scope: only a shielded delete gets through.
    got: list[int] = []
    async with client_for(sandbox) as client:
        with anyio.CancelScope() as scope:
            async with aclosing(client.iter_records(2, page_size=25)) as records:
                async for record in records:
                    got.append(record.id or 0)
                    if len(got) == 30:
                        scope.cancel()
                        await anyio.lowlevel.checkpoint()  # the cancellation lands here, inside the iteration
        assert scope.cancelled_caught
        assert len(got) == 30
        assert sandbox.open_cursor_count() == 0


async def test_cancelled_while_waiting_for_a_page(sandbox: Sandbox) -> None:
    slow = FaultRule("latency", paths=("/k/v1/records/cursor.json",), methods=("GET",), ms=(2000, 2000))
    async with client_for(sandbox) as client:
        pages = client.iter_record_pages(2, page_size=100)
        await pages.__anext__()
        cast(OperationsMiddleware, sandbox.asgi_app).faults.replace([slow])
        with anyio.move_on_after(0.2) as scope:
            await pages.__anext__()
        assert scope.cancelled_caught
        # The generator itself was cancelled mid-request and cleaned up on its way out.
        assert sandbox.open_cursor_count() == 0
        await pages.aclose()


async def test_reading_to_the_end_sends_no_delete(shared_sandbox: Sandbox) -> None:
    client, wire = recording_client(shared_sandbox)
    async with client:
        count = len([r async for r in client.iter_records(1, page_size=500)])
    assert count > 0
    assert [r.method for r in wire.requests if r.url.path.endswith("cursor.json")][-1] == "GET"
    assert shared_sandbox.open_cursor_count() == 0


async def test_limit_in_a_cursor_query_is_refused(shared_admin: KintoneClient) -> None:
    with pytest.raises(ValidationError):
        async for _ in shared_admin.iter_records(2, query="limit 10"):
            pass


async def test_page_size_is_checked_before_sending(shared_admin: KintoneClient) -> None:
    with pytest.raises(ValueError, match="page_size"):
        async for _ in shared_admin.iter_records(2, page_size=501):
            pass


async def test_too_many_open_cursors(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as client:
        open_iterators = [client.iter_record_pages(2, page_size=1) for _ in range(10)]
        for it in open_iterators:
            await it.__anext__()
        assert sandbox.open_cursor_count() == 10
        with pytest.raises(RateLimitError) as info:
            await client.iter_record_pages(2).__anext__()
        assert info.value.code == "GAIA_TM12" and "10 minutes" in str(info.value)
        for it in open_iterators:
            await it.aclose()
    assert sandbox.open_cursor_count() == 0
