"""create_app, add_fields and deploy_app end to end through mcp.Client against the sandbox: the app is built in
preview, deployed, and then used by the record tools; every validation refuses with nothing sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client

from kintone_mcp.sandbox import Sandbox
from kintone_mcp.server.policy import Policy
from tests.server.conftest import CUSTOMERS, ServerFactory
from tests.server.helpers import call_error, call_ok

LOAN_FIELDS: list[dict[str, Any]] = [
    {"code": "item", "type": "SINGLE_LINE_TEXT", "label": "Item", "required": True, "max": 80},
    {"code": "notes", "type": "MULTI_LINE_TEXT", "label": "Notes"},
    {"code": "qty", "type": "NUMBER", "label": "Quantity", "min": 1, "max": 10, "default": 1},
    {"code": "price", "type": "NUMBER", "label": "Unit price", "decimals": 2, "unit": "EUR"},
    {"code": "total", "type": "CALC", "label": "Total", "expression": "qty * price"},
    {"code": "due", "type": "DATE", "label": "Due"},
    {"code": "state", "type": "DROP_DOWN", "label": "State", "options": ["Out", "Back"], "default": "Out"},
    {"code": "kind", "type": "RADIO_BUTTON", "label": "Kind", "options": ["Laptop", "Phone"]},
    {"code": "tags", "type": "CHECK_BOX", "label": "Tags", "options": ["fragile", "new"], "default": ["new"]},
    {"code": "borrower", "type": "USER_SELECT", "label": "Borrower"},
    {"code": "customer_city", "type": "SINGLE_LINE_TEXT", "label": "City"},
    {
        "code": "customer",
        "type": "SINGLE_LINE_TEXT",
        "label": "Customer",
        "lookup": {"app": CUSTOMERS, "key": "company_name", "copy": {"customer_city": "region"}},
    },
    {
        "code": "parts",
        "type": "SUBTABLE",
        "label": "Parts",
        "fields": [{"code": "part", "type": "SINGLE_LINE_TEXT"}, {"code": "serial", "type": "NUMBER"}],
    },
]


@pytest.fixture
async def designer(make_server: ServerFactory) -> AsyncIterator[Client]:
    async with Client(make_server(Policy.build(toolsets=["all"], default_app=2))) as mcp:
        yield mcp


async def _fields_of(mcp: Client, app: int) -> dict[str, Any]:
    return {f["code"]: f for f in (await call_ok(mcp, "get_app", app=app))["fields"]}


@pytest.mark.anyio
async def test_build_deploy_and_use_an_app(designer: Client, sandbox: Sandbox) -> None:
    created = await call_ok(designer, "create_app", name="Equipment loans")
    app = created["app"]
    assert created["deployed"] is False and "deploy_app" in created["note"]
    added = await call_ok(designer, "add_fields", app=app, fields=LOAN_FIELDS)
    assert added["added"] == [f["code"] for f in LOAN_FIELDS] and "deploy_app" in added["note"]
    # Not live yet: the record tools cannot write the new fields before the deploy.
    early = await call_error(designer, "add_record", app=app, record={"item": "Laptop 7"})
    assert "item" in early
    deployed = await call_ok(designer, "deploy_app", apps=[app])
    assert deployed["apps"] == [{"app": app, "status": "SUCCESS"}]
    fields = await _fields_of(designer, app)
    assert fields["state"]["options"] == ["Out", "Back"]
    assert fields["kind"].get("default") == "Laptop"  # a radio button gets its first option as the default
    assert fields["customer"]["lookup"]["app"] == CUSTOMERS
    company = (await call_ok(designer, "get_records", app=CUSTOMERS, limit=1, fields=["company_name"]))["records"][0]
    written = await call_ok(
        designer,
        "add_records",
        app=app,
        records=[
            {"item": "Laptop 7", "qty": 2, "price": 10.5, "customer": company["company_name"], "parts": [{"part": "A"}]}
        ],
    )
    assert len(written["ids"]) == 1
    record = await call_ok(designer, "get_record", app=app, id=written["ids"][0])
    values = record["record"]
    assert values["total"] in ("21", 21, 21.0, "21.00")
    assert values["state"] == "Out" and values["tags"] == ["new"]
    assert values["customer_city"]  # copied by the lookup from the customers app


@pytest.mark.anyio
async def test_revert_discards_pending_fields(designer: Client) -> None:
    app = (await call_ok(designer, "create_app", name="Scratch"))["app"]
    await call_ok(designer, "add_fields", app=app, fields=[{"code": "a", "type": "SINGLE_LINE_TEXT"}])
    await call_ok(designer, "deploy_app", apps=[app])
    await call_ok(designer, "add_fields", app=app, fields=[{"code": "b", "type": "NUMBER"}])
    reverted = await call_ok(designer, "deploy_app", apps=[app], revert=True)
    assert reverted["reverted"] is True and reverted["apps"][0]["status"] in ("SUCCESS", "CANCEL")
    assert "discarded" in reverted["note"]
    # b is gone from the preview too: adding it again is accepted
    again = await call_ok(designer, "add_fields", app=app, fields=[{"code": "b", "type": "NUMBER"}])
    assert again["added"] == ["b"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ([{"code": "x", "type": "TEXT"}], "unknown type 'TEXT'; known types: SINGLE_LINE_TEXT"),
        ([{"code": "x", "type": "NUMBER"}, {"code": "x", "type": "DATE"}], "x: the code is given twice"),
        ([{"code": "company_name", "type": "NUMBER"}], "already has a field with this code"),
        ([{"code": "x", "type": "DROP_DOWN"}], "needs options"),
        ([{"code": "x", "type": "DROP_DOWN", "options": ["a", "a"]}], "options repeat a"),
        ([{"code": "x", "type": "DROP_DOWN", "options": ["a"], "default": "b"}], "not among the options"),
        ([{"code": "x", "type": "DATE", "options": ["a"]}], "a DATE field takes no options"),
        ([{"code": "x", "type": "NUMBER", "min": 5, "max": 1}], "min (5) is greater than max (1)"),
        ([{"code": "x", "type": "CALC", "expression": "qty * nope"}], "names 'qty', which is no field code"),
        ([{"code": "x", "type": "CALC"}], "needs an expression"),
        ([{"code": "9x", "type": "NUMBER"}], "does not start with a digit"),
        ([{"code": "t", "type": "SUBTABLE"}], "needs its columns"),
        ([{"code": "x", "type": "DATE", "lookup": {"app": 2, "key": "a"}}], "must be SINGLE_LINE_TEXT or NUMBER"),
        (
            [{"code": "x", "type": "SINGLE_LINE_TEXT", "lookup": {"app": 999, "key": "a"}}],
            "does not exist or this connection cannot read",
        ),
        (
            [{"code": "x", "type": "SINGLE_LINE_TEXT", "lookup": {"app": CUSTOMERS, "key": "nokey"}}],
            "the lookup's key 'nokey' is no field of app 1",
        ),
        (
            [{"code": "x", "type": "SINGLE_LINE_TEXT", "lookup": {"app": CUSTOMERS, "key": "company_name",
                                                                 "copy": {"missing": "region"}}}],
            "copies into 'missing'",
        ),
        ([{"code": "x", "type": "NUMBER", "colour": "red"}], "not understood (fields[0].colour: Extra inputs"),
    ],
)
async def test_bad_fields_are_refused_with_nothing_sent(
    designer: Client, fields: list[dict[str, Any]], expected: str
) -> None:
    app = CUSTOMERS
    before = await designer.call_tool("get_app", {"app": app})
    text = await call_error(designer, "add_fields", app=app, fields=fields)
    assert expected in text, text
    assert "Nothing was sent" in text
    after = await designer.call_tool("get_app", {"app": app})
    assert before.structured_content == after.structured_content


@pytest.mark.anyio
async def test_a_lookup_to_a_blocked_app_is_refused(make_server: ServerFactory) -> None:
    policy = Policy.build(toolsets=["all"], deny_apps=[CUSTOMERS])
    async with Client(make_server(policy)) as mcp:
        text = await call_error(
            mcp, "add_fields", app=2,
            fields=[{"code": "c2", "type": "SINGLE_LINE_TEXT", "lookup": {"app": CUSTOMERS, "key": "company_name"}}],
        )
        assert "app allow/deny settings block" in text and "Nothing was sent" in text


@pytest.mark.anyio
async def test_an_app_created_under_an_allow_list_is_usable(make_server: ServerFactory) -> None:
    async with Client(make_server(Policy.build(toolsets=["all"], allow_apps=[2]))) as mcp:
        app = (await call_ok(mcp, "create_app", name="Mine"))["app"]
        await call_ok(mcp, "add_fields", app=app, fields=[{"code": "a", "type": "SINGLE_LINE_TEXT"}])
        await call_ok(mcp, "deploy_app", apps=[app])
        assert (await call_ok(mcp, "add_record", app=app, record={"a": "x"}))["id"] == 1
        # the allow list still holds for every other app
        assert "blocked" in await call_error(mcp, "add_fields", app=3, fields=[{"code": "z", "type": "DATE"}])


@pytest.mark.anyio
async def test_the_schema_cache_is_refreshed_by_a_deploy(designer: Client) -> None:
    await call_ok(designer, "get_records", app=3, limit=1)  # fills the cache with app 3's fields
    await call_ok(designer, "add_fields", app=3, fields=[{"code": "urgency", "type": "NUMBER"}])
    await call_ok(designer, "deploy_app", apps=[3])
    written = await call_ok(designer, "add_record", app=3, record={"subject": "Broken", "urgency": 5})
    assert written["id"] > 0


@pytest.mark.anyio
async def test_the_field_types_resource_comes_with_add_fields(designer: Client, make_server: ServerFactory) -> None:
    text = (await designer.read_resource("kintone://docs/field-types")).contents[0]
    assert "DROP_DOWN" in getattr(text, "text", "") and "lookup" in getattr(text, "text", "")
    async with Client(make_server()) as default:
        uris = {str(r.uri) for r in (await default.list_resources()).resources}
        assert "kintone://docs/field-types" not in uris


@pytest.mark.anyio
async def test_delete_fields_counts_the_records_that_lose_values(designer: Client) -> None:
    app = (await call_ok(designer, "create_app", name="Doomed"))["app"]
    await call_ok(designer, "add_fields", app=app, fields=[
        {"code": "a", "type": "SINGLE_LINE_TEXT"}, {"code": "c", "type": "DROP_DOWN", "options": ["x", "y"]},
        {"code": "n", "type": "NUMBER"}, {"code": "keep", "type": "SINGLE_LINE_TEXT"},
    ])
    await call_ok(designer, "deploy_app", apps=[app])
    await call_ok(designer, "add_records", app=app, records=[
        {"a": "1", "c": "x", "keep": "k"}, {"a": "2", "keep": "k"}, {"keep": "k"},
    ])
    tool = next(t for t in (await designer.list_tools()).tools if t.name == "delete_fields")
    assert tool.annotations is not None and tool.annotations.destructive_hint is True
    gone = await call_ok(designer, "delete_fields", app=app, codes=["a", "c", "n"])
    assert gone["records_with_values"]["a"] == 2 and gone["records_with_values"]["c"] == 1
    assert str(gone["records_with_values"]["n"]).startswith("at most 3")
    assert "for good" in gone["note"]
    await call_ok(designer, "deploy_app", apps=[app])
    rows = (await call_ok(designer, "get_records", app=app))["records"]
    assert all("a" not in r and "c" not in r for r in rows) and len(rows) == 3


@pytest.mark.anyio
async def test_delete_fields_refuses_unknown_system_and_column_codes(designer: Client) -> None:
    app = (await call_ok(designer, "create_app", name="Careful"))["app"]
    await call_ok(designer, "add_fields", app=app, fields=[
        {"code": "t", "type": "SUBTABLE", "fields": [{"code": "col", "type": "NUMBER"}]},
    ])
    text = await call_error(designer, "delete_fields", app=app, codes=["nope", "col", "Record_number"])
    assert "Nothing was deleted" in text and "nope is no field" in text and "col is a column of the table t" in text
    assert "system field" in text
    assert await call_ok(designer, "delete_fields", app=app, codes=["t"])
