"""upsert_records end to end: insert or update by a unique key."""

from __future__ import annotations

import pytest
from mcp import Client

from kintone_mcp.server.tools.outputs import parse_id_ranges
from tests.server.helpers import call_error, call_ok


@pytest.mark.anyio
async def test_update_and_upsert_by_key(mcp: Client) -> None:
    # Customers (app 1) has a unique customer_code.
    text = await call_error(mcp, "update_record", app=1, update_key={"field": "company_name", "value": "x"}, record={})
    assert "Usable keys in this app" in text
    created = await call_ok(
        mcp,
        "upsert_records",
        app=1,
        key_field="customer_code",
        records=[
            {"customer_code": "C-9001", "company_name": "New Co"},
            {"customer_code": "C-0001", "company_name": "Renamed"},
        ],
    )
    new, old = parse_id_ranges(created["ids"])
    assert created["inserted"] == str(new) and old == 1  # C-0001 is customer 1
    page = await call_ok(
        mcp, "get_records", app=1, query='customer_code in ("C-9001", "C-0001")', fields=["company_name"]
    )
    assert sorted(r["company_name"] for r in page["records"]) == ["New Co", "Renamed"]
