"""The client against a sandbox that misbehaves on purpose: what is retried, what is never retried, and what a
caller is told. Every test counts what went over the wire, and every write test reads back what was written."""

from __future__ import annotations

import time
from typing import Any

import httpx2
import pytest

from kintone_mcp.client import (
    ApiError,
    NetworkError,
    NoRetry,
    RateLimitError,
    RecordUpdate,
    ServerError,
    ValidationError,
    WriteOutcomeUnknownError,
)
from kintone_mcp.sandbox import Sandbox
from kintone_mcp.sandbox.operations.faults import FaultRule
from tests.reliability.conftest import (
    CUSTOMERS,
    DEALS,
    client_for,
    count_records,
    fast_retries,
    faults,
    refuse_connections,
    wire_for,
)

pytestmark = pytest.mark.anyio

APP = "/k/v1/app.json"
RECORD = "/k/v1/record.json"
RECORDS = "/k/v1/records.json"


def customer(code: str) -> dict[str, Any]:
    return {"customer_code": {"value": code}, "company_name": {"value": f"{code} Ltd."}}


# --- reads --------------------------------------------------------------------------------------------------------

TRANSIENT = {
    "502 gateway page": FaultRule("error", status=502),
    "503 maintenance page": FaultRule("error", status=503),
    "504 gateway timeout": FaultRule("error", status=504),
    "520 generic failure": FaultRule("error", status=520, code="GAIA_UN01"),
    "429 GAIA_TO04": FaultRule("error", status=429, code="GAIA_TO04"),
    "lock GAIA_DA02": FaultRule("error", status=520, code="GAIA_DA02"),
    "lock GAIA_LT01": FaultRule("error", status=409, code="GAIA_LT01"),
    "deadlock GAIA_RE18": FaultRule("error", status=400, code="GAIA_RE18"),
    "dropped connection": FaultRule("drop"),
    "truncated answer": FaultRule("truncate", keep=0.3),
    "malformed answer": FaultRule("malformed"),
    "slow answer": FaultRule("latency", ms=(400, 400)),
}


@pytest.mark.parametrize("name", list(TRANSIENT))
async def test_a_read_is_retried_after_each_transient_failure(sandbox: Sandbox, name: str) -> None:
    rule = TRANSIENT[name]
    faults(sandbox).faults.replace([FaultRule(**{**rule.__dict__, "paths": (APP,), "max_count": 2})])
    wire = wire_for(sandbox)
    async with client_for(sandbox, wire=wire, retry=fast_retries(3), timeout=0.2) as client:
        assert (await client.get_app(CUSTOMERS)).app_id == CUSTOMERS
    assert faults(sandbox).faults.injected() == [2]
    assert len(wire.sent("GET", APP)) == 3  # two failures, then the answer


@pytest.mark.parametrize(
    "rule",
    [
        FaultRule("error", status=500, code="CB_IL02"),
        FaultRule("error", status=400, code="CB_VA01"),
        FaultRule("error", status=401, code="CB_WA01"),
        FaultRule("error", status=403, code="CB_NO02"),
        FaultRule("error", status=404, code="GAIA_AP01"),
        FaultRule("error", status=400, code="GAIA_TM12"),
    ],
    ids=lambda r: f"{r.status} {r.code}",
)
async def test_an_answer_that_would_come_again_is_not_retried(sandbox: Sandbox, rule: FaultRule) -> None:
    faults(sandbox).faults.replace([FaultRule(**{**rule.__dict__, "paths": (APP,)})])
    wire = wire_for(sandbox)
    async with client_for(sandbox, wire=wire, retry=fast_retries(5)) as client:
        with pytest.raises(ApiError) as info:
            await client.get_app(CUSTOMERS)
    assert info.value.code == rule.code
    assert len(wire.sent("GET", APP)) == 1


async def test_attempts_are_bounded_and_the_error_says_how_many(sandbox: Sandbox) -> None:
    faults(sandbox).faults.replace([FaultRule("error", status=503, paths=(APP,))])
    wire = wire_for(sandbox)
    async with client_for(sandbox, wire=wire, retry=fast_retries(2)) as client:
        with pytest.raises(ServerError) as info:
            await client.get_app(CUSTOMERS)
    assert len(wire.sent("GET", APP)) == 3
    assert "gave up after 3 attempts" in str(info.value) and "maintenance" in str(info.value)


async def test_the_total_deadline_bounds_the_whole_call(sandbox: Sandbox) -> None:
    faults(sandbox).faults.replace([FaultRule("latency", ms=(300, 300), paths=(APP,))])
    wire = wire_for(sandbox)
    started = time.monotonic()
    async with client_for(sandbox, wire=wire, retry=fast_retries(50, total=0.5), timeout=0.1) as client:
        with pytest.raises(NetworkError, match=r"did not answer GET /k/v1/app\.json within"):
            await client.get_app(CUSTOMERS)
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, elapsed
    assert 2 <= len(wire.sent("GET", APP)) <= 6  # ~0.1 s each, until the 0.5 s were spent


async def test_retry_after_is_honoured(sandbox: Sandbox) -> None:
    rule = FaultRule("error", status=429, code="GAIA_TO04", retry_after=1, paths=(APP,), max_count=1)
    faults(sandbox).faults.replace([rule])
    started = time.monotonic()
    async with client_for(sandbox, retry=fast_retries(3)) as client:
        await client.get_app(CUSTOMERS)
    assert time.monotonic() - started >= 1.0  # the backoff alone would have waited milliseconds


async def test_without_a_policy_nothing_is_retried(sandbox: Sandbox) -> None:
    faults(sandbox).faults.replace([FaultRule("error", status=503, paths=(APP,), max_count=1)])
    wire = wire_for(sandbox)
    async with client_for(sandbox, wire=wire, retry=NoRetry()) as client:
        with pytest.raises(ServerError):
            await client.get_app(CUSTOMERS)
    assert len(wire.sent("GET", APP)) == 1


async def test_a_long_read_sent_as_post_with_method_override_is_retried(sandbox: Sandbox) -> None:
    # Past 4096 characters of URL a GET goes as POST + X-HTTP-Method-Override: GET; it is still a read.
    faults(sandbox).faults.replace([FaultRule("drop", paths=(RECORDS,), max_count=1)])
    wire = wire_for(sandbox)
    query = " or ".join(f'customer_code = "C-{n:04d}"' for n in range(1, 200))
    async with client_for(sandbox, wire=wire) as client:
        page = await client.get_records(CUSTOMERS, query=query, total_count=True)
    assert page.total_count == 120
    assert [e.method for e in wire.exchanges] == ["GET", "GET"]
    assert all(e.path == RECORDS for e in wire.exchanges)


# --- writes that are not idempotent -------------------------------------------------------------------------------

POSSIBLY_PROCESSED = {
    "520 GAIA_DA02 after the commit": (FaultRule("error", status=520, code="GAIA_DA02", after_commit=True), 1),
    "503 before the app": (FaultRule("error", status=503), 0),
    "connection dropped after the commit": (FaultRule("drop", after_commit=True), 1),
    "connection dropped before the app": (FaultRule("drop"), 0),
    "answer cut short": (FaultRule("truncate"), 1),
    "answer unreadable": (FaultRule("malformed", after_commit=True), 1),
    "answer too slow": (FaultRule("latency", ms=(400, 400), after_commit=True), 1),
}


@pytest.mark.parametrize("name", list(POSSIBLY_PROCESSED))
async def test_an_add_that_may_have_reached_kintone_is_not_sent_again(sandbox: Sandbox, name: str) -> None:
    rule, written = POSSIBLY_PROCESSED[name]
    faults(sandbox).faults.replace([FaultRule(**{**rule.__dict__, "paths": (RECORD,), "methods": ("POST",)})])
    wire = wire_for(sandbox)
    code = f"NI-{abs(hash(name)) % 10**6}"
    async with client_for(sandbox, wire=wire, retry=fast_retries(5), timeout=0.2) as client:
        with pytest.raises(WriteOutcomeUnknownError) as info:
            await client.add_record(CUSTOMERS, customer(code))
    assert len(wire.sent("POST", RECORD)) == 1
    error = info.value
    assert error.operation == "add" and "may or may not have been applied" in str(error)
    assert "duplicate" in str(error) and "look for the record" in str(error)
    # The error is honest: sometimes it was written, sometimes not, and the caller cannot know without reading.
    assert await count_records(sandbox, CUSTOMERS, f'customer_code = "{code}"') == written


async def test_an_add_refused_by_the_concurrency_limit_is_sent_again(sandbox: Sandbox) -> None:
    # Kintone answers 429 GAIA_TO04 before doing anything, so a second copy cannot duplicate.
    faults(sandbox).faults.replace([FaultRule("error", status=429, code="GAIA_TO04", paths=(RECORD,), max_count=2)])
    wire = wire_for(sandbox)
    async with client_for(sandbox, wire=wire) as client:
        written = await client.add_record(CUSTOMERS, customer("TO04-1"))
    assert written.id > 0 and len(wire.sent("POST", RECORD)) == 3
    assert await count_records(sandbox, CUSTOMERS, 'customer_code = "TO04-1"') == 1


async def test_an_add_whose_connection_was_refused_is_sent_again(sandbox: Sandbox) -> None:
    wire = wire_for(sandbox)
    wire.before = refuse_connections(2)
    async with client_for(sandbox, wire=wire) as client:
        written = await client.add_record(CUSTOMERS, customer("REFUSED-1"))
    assert [e.error for e in wire.sent("POST", RECORD)] == ["ConnectError", "ConnectError", None]
    assert written.id > 0 and await count_records(sandbox, CUSTOMERS, 'customer_code = "REFUSED-1"') == 1


async def test_a_refused_connection_that_never_recovers_says_nothing_was_written(sandbox: Sandbox) -> None:
    wire = wire_for(sandbox)
    wire.before = refuse_connections(100)
    async with client_for(sandbox, wire=wire, retry=fast_retries(2)) as client:
        with pytest.raises(NetworkError) as info:
            await client.add_record(CUSTOMERS, customer("REFUSED-2"))
    assert not isinstance(info.value, WriteOutcomeUnknownError)
    assert "Could not reach Kintone" in str(info.value) and "gave up after 3 attempts" in str(info.value)
    assert len(wire.exchanges) == 3


async def test_an_unguarded_update_is_not_sent_again(sandbox: Sandbox) -> None:
    faults(sandbox).faults.replace([FaultRule("error", status=503, paths=(RECORD,), methods=("PUT",))])
    wire = wire_for(sandbox)
    async with client_for(sandbox, wire=wire) as client:
        with pytest.raises(WriteOutcomeUnknownError) as info:
            await client.update_record(CUSTOMERS, {"notes": {"value": "x"}}, id=1)
    assert info.value.operation == "update" and len(wire.sent("PUT", RECORD)) == 1


async def test_status_actions_comments_and_upserts_are_not_sent_again(sandbox: Sandbox) -> None:
    faults(sandbox).faults.replace([FaultRule("drop", after_commit=True, methods=("POST", "PUT"))])
    wire = wire_for(sandbox)
    async with client_for(sandbox, wire=wire) as client:
        with pytest.raises(WriteOutcomeUnknownError) as comment:
            await client.add_comment(DEALS, 1, "hello")
        with pytest.raises(WriteOutcomeUnknownError) as upsert:
            await client.upsert_records(CUSTOMERS, [RecordUpdate(record=customer("UP-1"), update_key=_key("UP-1"))])
    assert (comment.value.operation, upsert.value.operation) == ("comment", "update")
    assert "posting twice would duplicate" in str(comment.value)
    assert [e.method for e in wire.exchanges if e.method != "GET"] == ["POST", "PUT"]


def _key(code: str) -> Any:
    from kintone_mcp.client import UpdateKey

    return UpdateKey("customer_code", code)


# --- writes guarded by a revision: safe to repeat -----------------------------------------------------------------


async def test_a_guarded_update_is_retried_when_the_first_copy_was_not_applied(sandbox: Sandbox) -> None:
    faults(sandbox).faults.replace([FaultRule("error", status=503, paths=(RECORD,), methods=("PUT",), max_count=1)])
    wire = wire_for(sandbox)
    async with client_for(sandbox, wire=wire) as client:
        before = (await client.get_record(CUSTOMERS, 5)).revision
        written = await client.update_record(CUSTOMERS, {"notes": {"value": "guarded"}}, id=5, revision=before)
        after = await client.get_record(CUSTOMERS, 5)
    assert written.revision == before + 1 == after.revision
    assert after.value("notes") == "guarded" and len(wire.sent("PUT", RECORD)) == 2


async def test_a_guarded_update_applied_before_its_answer_was_lost_is_reported_not_repeated(sandbox: Sandbox) -> None:
    rule = FaultRule("drop", after_commit=True, paths=(RECORD,), methods=("PUT",), max_count=1)
    faults(sandbox).faults.replace([rule])
    wire = wire_for(sandbox)
    async with client_for(sandbox, wire=wire) as client:
        before = (await client.get_record(CUSTOMERS, 6)).revision
        with pytest.raises(WriteOutcomeUnknownError) as info:
            await client.update_record(CUSTOMERS, {"notes": {"value": "once"}}, id=6, revision=before)
        after = await client.get_record(CUSTOMERS, 6)
    # The second copy was refused (GAIA_CO02): the update happened exactly once, and the caller is told so.
    assert after.revision == before + 1 and after.value("notes") == "once"
    assert len(wire.sent("PUT", RECORD)) == 2
    assert "GAIA_CO02" in str(info.value) and "first one was applied" in str(info.value)


async def test_a_guarded_delete_is_retried_and_a_lost_success_is_reported(sandbox: Sandbox) -> None:
    faults(sandbox).faults.replace([FaultRule("error", status=504, paths=(RECORDS,), methods=("DELETE",), max_count=1)])
    wire = wire_for(sandbox)
    async with client_for(sandbox, wire=wire) as client:
        revision = (await client.get_record(CUSTOMERS, 7)).revision
        await client.delete_records(CUSTOMERS, [7], revisions=[revision])
        assert len(wire.sent("DELETE", RECORDS)) == 2
        lost = FaultRule("drop", after_commit=True, paths=(RECORDS,), methods=("DELETE",), max_count=1)
        faults(sandbox).faults.replace([lost])
        revision = (await client.get_record(CUSTOMERS, 8)).revision
        with pytest.raises(WriteOutcomeUnknownError) as info:
            await client.delete_records(CUSTOMERS, [8], revisions=[revision])
    assert info.value.operation == "delete" and "GAIA_RE01" in str(info.value)
    assert await count_records(sandbox, CUSTOMERS, "$id in (7, 8)") == 0


async def test_a_delete_without_revisions_is_not_sent_again(sandbox: Sandbox) -> None:
    faults(sandbox).faults.replace([FaultRule("error", status=502, paths=(RECORDS,), methods=("DELETE",))])
    wire = wire_for(sandbox)
    async with client_for(sandbox, wire=wire) as client:
        with pytest.raises(WriteOutcomeUnknownError):
            await client.delete_records(CUSTOMERS, [9])
    assert len(wire.sent("DELETE", RECORDS)) == 1


# --- many records -------------------------------------------------------------------------------------------------


async def test_a_bulk_transaction_with_an_unknown_outcome_is_all_or_nothing(sandbox: Sandbox) -> None:
    faults(sandbox).faults.replace([FaultRule("truncate", paths=("/k/v1/bulkRequest.json",))])
    records = [customer(f"BULK-{n:03d}") for n in range(150)]
    async with client_for(sandbox) as client:
        with pytest.raises(WriteOutcomeUnknownError) as info:
            await client.add_records(CUSTOMERS, records)
    assert info.value.operation == "bulk" and "entirely or not at all" in str(info.value)
    assert await count_records(sandbox, CUSTOMERS, 'customer_code like "BULK-"') == 150


async def test_a_later_transaction_with_an_unknown_outcome_keeps_the_earlier_ones_in_view(sandbox: Sandbox) -> None:
    bulk = "/k/v1/bulkRequest.json"

    def break_the_second_transaction(request: httpx2.Request, n: int) -> None:
        if request.url.path == bulk and any(e.path == bulk for e in wire.exchanges[:n]):
            faults(sandbox).faults.replace([FaultRule("drop", after_commit=True, paths=(bulk,))])

    wire = wire_for(sandbox)
    wire.before = break_the_second_transaction
    records = [customer(f"TX-{n:04d}") for n in range(2100)]
    async with client_for(sandbox, wire=wire) as client:
        with pytest.raises(WriteOutcomeUnknownError) as info:
            await client.add_records(CUSTOMERS, records)
    error = info.value
    assert error.result is not None and error.result.committed_count == 2000
    assert "records #2000-#2099" in str(error) and "2000 records before them were committed" in str(error)
    assert len(wire.sent("POST", bulk)) == 2  # the second was not repeated


async def test_guarded_updates_of_many_records_are_retried(sandbox: Sandbox) -> None:
    faults(sandbox).faults.replace([FaultRule("error", status=503, paths=(RECORDS,), methods=("PUT",), max_count=1)])
    async with client_for(sandbox) as client:
        page = await client.get_records(CUSTOMERS, query="$id <= 3 order by $id asc")
        updates = [
            RecordUpdate(record={"notes": {"value": "many"}}, id=r.id or 0, revision=r.revision) for r in page.records
        ]
        result = await client.update_records(CUSTOMERS, updates)
    assert [r.revision for r in result.records] == [(r.revision or 0) + 1 for r in page.records]


async def test_validation_errors_are_never_retried(sandbox: Sandbox) -> None:
    wire = wire_for(sandbox)
    async with client_for(sandbox, wire=wire) as client:
        with pytest.raises(ValidationError):
            await client.add_record(CUSTOMERS, {"employees": {"value": "many"}, **customer("VAL-1")})
    assert len(wire.sent("POST", RECORD)) == 1


async def test_a_streamed_upload_is_never_sent_twice(sandbox: Sandbox) -> None:
    faults(sandbox).faults.replace([FaultRule("error", status=503, paths=("/k/v1/file.json",), max_count=1)])
    wire = wire_for(sandbox)
    async with client_for(sandbox, wire=wire) as client:
        with pytest.raises(ServerError):
            await client.upload_file(b"hello", filename="a.txt")
    assert len(wire.sent("POST", "/k/v1/file.json")) == 1


async def test_a_rate_limit_that_persists_is_reported_as_such(sandbox: Sandbox) -> None:
    faults(sandbox).faults.replace([FaultRule("error", status=429, code="GAIA_TO04", paths=(APP,))])
    async with client_for(sandbox, retry=fast_retries(2)) as client:
        with pytest.raises(RateLimitError, match="gave up after 3 attempts"):
            await client.get_app(CUSTOMERS)
