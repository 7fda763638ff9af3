"""Record writes never report as done what was not done (issue 11): numbers with a comma, lookup copies, file names
where file keys go, ranges without nonsense examples, and one index base in every error."""

from __future__ import annotations

import pytest
from mcp import Client

from kintone_mcp.sandbox import Sandbox
from tests.server.conftest import CUSTOMERS, ServerFactory, add_file_field
from tests.server.helpers import call_error, call_ok


async def _count(mcp: Client, app: int = 2) -> int:
    return int((await call_ok(mcp, "get_records", app=app, limit=1))["total_count"])


@pytest.mark.anyio
@pytest.mark.parametrize("amount", ["1,5", "12,34,5", "1,200"])
async def test_a_number_with_a_comma_is_refused_with_how_to_write_it(mcp: Client, amount: str) -> None:
    before = await _count(mcp)
    text = await call_error(mcp, "add_record", record={"title": "comma", "amount": amount})
    assert "comma" in text and "1.5" in text and "12345" in text
    assert await _count(mcp) == before
    old = (await call_ok(mcp, "get_record", id=4))["record"]["amount"]
    text = await call_error(mcp, "update_record", id=4, record={"amount": amount})
    assert "comma" in text
    assert (await call_ok(mcp, "get_record", id=4))["record"]["amount"] == old


@pytest.mark.anyio
async def test_plain_decimal_strings_and_json_numbers_still_work(mcp: Client) -> None:
    for given, stored in (("1.5", 1.5), (" 1200 ", 1200), (-3, -3), (2.25, 2.25), ("7e2", 700)):
        await call_ok(mcp, "update_record", id=4, record={"amount": given})
        assert (await call_ok(mcp, "get_record", id=4))["record"]["amount"] == stored
    text = await call_error(mcp, "update_record", id=4, record={"amount": "$12"})
    assert "not a number" in text


@pytest.mark.anyio
async def test_a_range_error_names_the_range_without_an_example_outside_it(mcp: Client) -> None:
    text = await call_error(mcp, "update_record", id=4, record={"probability": -5})
    assert "between 0 and 100" in text
    assert "1200" not in text


@pytest.mark.anyio
async def test_writing_only_a_lookup_copy_is_refused_and_names_the_key(mcp: Client) -> None:
    before = (await call_ok(mcp, "get_record", id=3))["record"]
    text = await call_error(mcp, "update_record", id=3, record={"customer_name": "Forged name"})
    assert "customer_name" in text and "customer_code" in text and "Nothing to write" in text
    after = (await call_ok(mcp, "get_record", id=3))["record"]
    assert after["$revision"] == before["$revision"] and after["customer_name"] == before["customer_name"]


@pytest.mark.anyio
async def test_a_lookup_copy_beside_writable_fields_is_listed_with_what_to_set(mcp: Client) -> None:
    before = (await call_ok(mcp, "get_record", id=3))["record"]
    done = await call_ok(mcp, "update_record", id=3, record={"customer_name": "Forged name", "notes": "seen"})
    assert done["ignored_fields"] == ["customer_name"]
    assert "customer_code" in done["note"] and "customer_name" in done["note"]
    after = (await call_ok(mcp, "get_record", id=3))["record"]
    assert after["customer_name"] == before["customer_name"] and after["notes"] == "seen"
    added = await call_ok(mcp, "add_record", record={"title": "t", "customer_name": "Forged"})
    assert added["ignored_fields"] == ["customer_name"] and "customer_code" in added["note"]


@pytest.mark.anyio
async def test_bulk_writes_refuse_a_record_with_only_lookup_copies_by_its_index(mcp: Client) -> None:
    before = (await call_ok(mcp, "get_record", id=3))["record"]
    changes = [{"id": 3, "record": {"notes": "fine"}}, {"id": 4, "record": {"customer_name": "Forged"}}]
    text = await call_error(mcp, "update_records", records=changes)
    assert "records[1]" in text and "customer_code" in text and "records[0]" not in text
    assert (await call_ok(mcp, "get_record", id=3))["record"]["$revision"] == before["$revision"]
    done = await call_ok(mcp, "update_records", records=[{"id": 3, "record": {"customer_name": "x", "notes": "y"}}])
    assert done["ignored_fields"] == ["customer_name"] and "customer_code" in done["note"]


@pytest.mark.anyio
async def test_a_file_name_where_a_file_key_goes_points_to_upload_file(
    make_server: ServerFactory, sandbox: Sandbox
) -> None:
    code = await add_file_field(sandbox, CUSTOMERS)
    async with Client(make_server()) as mcp:
        for name in ("report.pdf", "C:\\docs\\report", "./photo.jpeg"):
            text = await call_error(
                mcp, "add_record", app=CUSTOMERS, record={"customer_code": "F1", "company_name": "F", code: [name]}
            )
            assert "upload_file" in text and "file.json" not in text


@pytest.mark.anyio
async def test_errors_from_kintone_and_from_our_checks_number_records_the_same_way(mcp: Client) -> None:
    existing = (await call_ok(mcp, "get_records", app=CUSTOMERS, limit=1, fields=["customer_code"]))["records"][0]
    records = [
        {"customer_code": "NEW-1", "company_name": "A"},
        {"customer_code": existing["customer_code"], "company_name": "B"},  # a duplicate: only Kintone knows
    ]
    from_kintone = await call_error(mcp, "add_records", app=CUSTOMERS, records=records)
    assert "records[1].customer_code" in from_kintone and "record 2" not in from_kintone
    ours = await call_error(mcp, "add_records", app=CUSTOMERS, records=[records[0], {"company_name": "C"}])
    assert "records[1].customer_code" in ours and "counts from 0" in ours
