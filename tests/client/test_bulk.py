"""Writes over 100 records: bulkRequest transactions of up to 20 x 100, and exactly what is atomic."""

from __future__ import annotations

import json

import pytest

from kintone_mcp.client import (
    BulkWriteError,
    KintoneClient,
    RecordUpdate,
    StatusChange,
    ValidationError,
)
from kintone_mcp.client.bulk import plan
from kintone_mcp.sandbox import Sandbox

from .conftest import client_for, recording_client, token_credentials

pytestmark = pytest.mark.anyio


def deals(n: int, start: int = 0, prefix: str = "Bulk") -> list[dict[str, dict[str, object]]]:
    return [{"title": {"value": f"{prefix} {i}"}, "amount": {"value": str(i)}} for i in range(start, start + n)]


async def count(client: KintoneClient, app: int, query: str) -> int:
    page = await client.get_records(app, query=f"{query} limit 1", total_count=True)
    assert page.total_count is not None
    return page.total_count


def test_plan_cuts_into_transactions_of_2000() -> None:
    assert [(t.start, t.stop) for t in plan(0)] == []
    assert [(t.start, t.stop) for t in plan(100)] == [(0, 100)]
    assert [(t.start, t.stop) for t in plan(101)] == [(0, 101)]
    assert [(t.start, t.stop) for t in plan(2000)] == [(0, 2000)]
    assert [(t.index, t.start, t.stop) for t in plan(4050)] == [(0, 0, 2000), (1, 2000, 4000), (2, 4000, 4050)]


async def test_250_records_go_as_one_bulk_request(sandbox: Sandbox) -> None:
    client, wire = recording_client(sandbox)
    async with client:
        result = await client.add_records(2, deals(250))
        assert result.complete and result.committed_count == 250 and len(result.committed) == 1
        assert result.ids == sorted(result.ids) and len(set(result.ids)) == 250
        assert await count(client, 2, 'title like "Bulk"') == 250
        first = await client.get_record(2, result.ids[0])
        last = await client.get_record(2, result.ids[-1])
        assert (first.value("title"), last.value("title")) == ("Bulk 0", "Bulk 249")
    bulk = [r for r in wire.requests if r.url.path == "/k/v1/bulkRequest.json"]
    assert len(bulk) == 1
    requests = json.loads(bulk[0].content)["requests"]
    assert [(r["method"], r["api"], len(r["payload"]["records"])) for r in requests] == [
        ("POST", "/k/v1/records.json", 100),
        ("POST", "/k/v1/records.json", 100),
        ("POST", "/k/v1/records.json", 50),
    ]


async def test_a_failure_after_committed_transactions_says_what_stayed(sandbox: Sandbox) -> None:
    records = deals(4050, prefix="Tx")
    records[2150] = {"amount": {"value": "1"}}  # no title: the second chunk of the second transaction fails
    client, wire = recording_client(sandbox)
    async with client:
        with pytest.raises(BulkWriteError) as info:
            await client.add_records(2, records)
        error = info.value
        result = error.result
        assert [(t.start, t.stop) for t in result.committed] == [(0, 2000)]
        assert result.failed is not None and (result.failed.start, result.failed.stop) == (2000, 4000)
        assert [(t.start, t.stop) for t in result.not_attempted] == [(4000, 4050)]
        assert (result.committed_count, result.not_attempted_count, result.complete) == (2000, 50, False)
        assert len(result.records) == 2000
        assert error.failed_record_index == 2150
        assert isinstance(error.error, ValidationError)
        assert any(key.startswith("records[2150].") for key in error.error.field_errors)
        assert "2000 of 4050" in str(error) and "#2000" in str(error)
        # committed: the first 2000; rolled back: the whole second transaction, including its first chunk
        assert await count(client, 2, 'title like "Tx"') == 2000
        assert await count(client, 2, 'title in ("Tx 1999")') == 1
        assert await count(client, 2, 'title in ("Tx 2000", "Tx 2149", "Tx 3999", "Tx 4049")') == 0
    assert len([r for r in wire.requests if r.url.path == "/k/v1/bulkRequest.json"]) == 2


async def test_a_failure_in_the_first_transaction_writes_nothing(sandbox: Sandbox) -> None:
    records = deals(300, prefix="First")
    records[230] = {"amount": {"value": "1"}}
    async with client_for(sandbox) as client:
        with pytest.raises(ValidationError) as info:
            await client.add_records(2, records)
        assert info.value.bulk_index == 2
        assert any(key.startswith("records[230].") for key in info.value.field_errors)
        assert await count(client, 2, 'title like "First"') == 0


async def test_all_or_nothing_refuses_what_cannot_be_one_transaction(sandbox: Sandbox) -> None:
    client, wire = recording_client(sandbox)
    async with client:
        with pytest.raises(ValueError, match="atomically"):
            await client.add_records(2, deals(2001), all_or_nothing=True)
        assert (await client.add_records(2, deals(2000), all_or_nothing=True)).complete
    assert len(wire.requests) == 1


async def test_update_and_delete_many(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as client:
        added = await client.add_records(2, deals(150, prefix="Many"))
        updates = [RecordUpdate({"amount": {"value": "42"}}, id=r.id, revision=r.revision) for r in added.records]
        updated = await client.update_records(2, updates)
        assert [r.revision for r in updated.records] == [2] * 150
        assert await count(client, 2, 'title like "Many" and amount = 42') == 150
        stale = [RecordUpdate({"amount": {"value": "1"}}, id=r.id, revision=1) for r in added.records]
        with pytest.raises(Exception) as info:
            await client.update_records(2, stale)
        assert getattr(info.value, "code", "") == "GAIA_CO02"
        deleted = await client.delete_records(2, added.ids)
        assert deleted.complete and deleted.committed_count == 150
        assert await count(client, 2, 'title like "Many"') == 0


async def test_status_changes_in_bulk(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as client:
        added = await client.add_records(3, [{"subject": {"value": f"Ticket {i}"}} for i in range(120)])
        ids = added.ids
        first = await client.get_record(3, ids[0])
        assert first.value("Status") == "Open"
        for record_id in ids:  # only an assignee may act
            await client.update_assignees(3, record_id, ["Administrator"])
        result = await client.update_statuses(3, [StatusChange(id=i, action="Start work") for i in ids])
        assert result.complete and [r.id for r in result.records] == ids
        assert all(r.revision == 4 for r in result.records)  # +1 assignees, +2 status action
        assert await count(client, 3, 'subject like "Ticket" and Status in ("In progress")') == 120


async def test_bulk_with_api_tokens(sandbox: Sandbox) -> None:
    async with client_for(sandbox, token_credentials(sandbox, 2, 1)) as client:
        result = await client.add_records(2, deals(120, prefix="Tok"))
        assert result.complete
        record = await client.get_record(2, result.ids[0])
        assert record["Created_by"]["value"]["code"] == "Administrator"
