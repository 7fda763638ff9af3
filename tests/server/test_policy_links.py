"""The app lists hold across apps (issue 17, item 4): with app 1 blocked, app 2 cannot copy its values through a
lookup, answer questions about its records through a related-records condition (in get_records and
aggregate_records, as a query or a filter), nor confirm through Kintone's "no such key" error whether a key exists
there. Each refusal names the field and the app; with app 1 allowed, the same calls work."""

from __future__ import annotations

import base64
from typing import Any

import httpx2
import pytest
from mcp import Client

from kintone_mcp.sandbox import Sandbox
from kintone_mcp.server.policy import AppNotAllowedError, Policy
from tests.server.conftest import BASE_URL, CUSTOMERS, DEALS, ServerFactory
from tests.server.helpers import call_error, call_ok

pytestmark = pytest.mark.anyio

BLOCKED = Policy.build(allow_apps=[2, 3], deny_apps=[1], default_app=DEALS)
OPEN = Policy.build(default_app=DEALS)
RELATED = 'cust_ref.company_name like "a"'


async def add_deal_fields(sandbox: Sandbox) -> None:
    """Deals get a related-records field showing the deal's customer (app 1), and a unique key for upserts, through
    the settings API."""
    auth = {"X-Cybozu-Authorization": base64.b64encode(b"Administrator:sandbox").decode()}
    key = {"type": "NUMBER", "code": "ext_id", "label": "External id", "unique": True}
    field = {
        "type": "REFERENCE_TABLE",
        "code": "cust_ref",
        "label": "Customer",
        "referenceTable": {
            "relatedApp": {"app": str(CUSTOMERS), "code": ""},
            "condition": {"field": "customer_code", "relatedField": "customer_code"},
            "filterCond": "",
            "displayFields": ["company_name", "region"],
            "sort": "customer_code asc",
            "size": "5",
        },
    }
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=sandbox.asgi_app), base_url=BASE_URL) as http:
        body = {"app": DEALS, "properties": {"cust_ref": field, "ext_id": key}}
        (await http.post("/k/v1/preview/app/form/fields.json", json=body, headers=auth)).raise_for_status()
        deploy = {"apps": [{"app": DEALS}]}
        (await http.post("/k/v1/preview/app/deploy.json", json=deploy, headers=auth)).raise_for_status()


async def _count(mcp: Client) -> int:
    return int((await call_ok(mcp, "get_records", app=DEALS, limit=1, fields=["$id"]))["total_count"])


async def test_a_lookup_from_a_blocked_app_is_refused_in_every_write(
    make_server: ServerFactory, sandbox: Sandbox
) -> None:
    await add_deal_fields(sandbox)
    async with Client(make_server(OPEN)) as mcp:
        code = (await call_ok(mcp, "get_records", app=CUSTOMERS, limit=1, fields=["customer_code"]))["records"][0][
            "customer_code"
        ]
    calls: list[tuple[str, dict[str, Any]]] = [
        ("add_record", {"record": {"title": "x", "customer_code": code}}),
        ("add_record", {"record": {"title": "x", "customer_code": "NO-SUCH-KEY"}}),  # would be GAIA_LO04
        ("add_records", {"records": [{"title": "x"}, {"title": "y", "customer_code": code}]}),
        ("update_record", {"id": 1, "record": {"customer_code": code}}),
        ("update_records", {"records": [{"id": 1, "record": {"customer_code": code}}]}),
        ("upsert_records", {"key_field": "ext_id", "records": [{"ext_id": 7, "title": "z", "customer_code": code}]}),
    ]
    async with Client(make_server(BLOCKED)) as mcp:
        before = await _count(mcp)
        for tool, args in calls:
            text = await call_error(mcp, tool, **args)
            assert "customer_code is a lookup that copies values from app 1" in text, (tool, text)
            assert "GAIA_LO04" not in text and "get_records app=1" not in text
        assert await _count(mcp) == before
        # Without the lookup key the write does not touch app 1, and works.
        await call_ok(mcp, "add_record", record={"title": "no lookup"})
        assert await _count(mcp) == before + 1
    async with Client(make_server(OPEN)) as mcp:
        written = await call_ok(mcp, "add_record", record={"title": "copied", "customer_code": code})
        record = (await call_ok(mcp, "get_record", id=written["id"]))["record"]
        assert record["customer_name"]  # the lookup copied app 1's value: what the rule keeps from a blocked app


async def test_a_related_records_condition_on_a_blocked_app_is_refused(
    make_server: ServerFactory, sandbox: Sandbox
) -> None:
    await add_deal_fields(sandbox)
    flt = {"conditions": [{"field": "cust_ref.company_name", "op": "like", "value": "a"}]}
    calls: list[tuple[str, dict[str, Any]]] = [
        ("get_records", {"query": RELATED}),
        ("get_records", {"filter": flt}),
        ("get_records", {"query": f'stage in ("Won") or ({RELATED})'}),
        ("aggregate_records", {"query": RELATED}),
        ("aggregate_records", {"filter": flt, "group_by": ["stage"]}),
    ]
    async with Client(make_server(BLOCKED)) as mcp:
        for tool, args in calls:
            text = await call_error(mcp, tool, **args)
            assert "related-records field cust_ref, which shows records of app 1" in text, (tool, text)
        await call_ok(mcp, "get_records", query='stage in ("Won")', limit=1)  # other conditions still work
    async with Client(make_server(OPEN)) as mcp:
        for tool, args in calls:
            await call_ok(mcp, tool, **args)


def test_lookups_inside_tables_are_checked_too() -> None:
    props = {
        "items": {
            "type": "SUBTABLE",
            "fields": {"sku": {"type": "SINGLE_LINE_TEXT", "lookup": {"relatedApp": {"app": "1"}}}},
        }
    }
    BLOCKED.check_record_links([{"items": [{"sku": ""}]}], props)  # empty: nothing is looked up
    with pytest.raises(AppNotAllowedError, match=r"sku \(in the table items\) is a lookup .* app 1"):
        BLOCKED.check_record_links([{"items": [{"sku": "A-1"}]}], props)
    with pytest.raises(AppNotAllowedError, match="app 1"):
        BLOCKED.check_record_links([{"items": {"value": [{"value": {"sku": {"value": "A-1"}}}]}}], props)
    OPEN.check_record_links([{"items": [{"sku": "A-1"}]}], props)
