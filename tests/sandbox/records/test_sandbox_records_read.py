"""Reading records: record.json, records.json with queries, fields, totalCount, limits and the read format."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sandbox_api import Api, assert_error, client_for, password_headers

from kintone_mcp.sandbox import Sandbox, SandboxConfig

pytestmark = pytest.mark.anyio


async def test_record_json_read_format(demo_api: Api) -> None:
    record = (await demo_api.ok("GET", "record.json", params={"app": 2, "id": 1}))["record"]
    assert record["$id"] == {"type": "__ID__", "value": "1"}
    assert record["$revision"]["type"] == "__REVISION__" and record["$revision"]["value"].isdigit()
    assert record["Record_number"] == {"type": "RECORD_NUMBER", "value": "DEALS-1"}
    assert record["Created_by"]["value"]["code"] in {"sato", "suzuki", "tanaka", "takahashi", "watanabe"}
    assert record["Created_datetime"]["value"].endswith(":00Z")
    owner = record["owner"]["value"]
    assert len(owner) == 1 and set(owner[0]) == {"code", "name"} and owner[0]["name"] != owner[0]["code"]
    assert record["department"]["type"] == "ORGANIZATION_SELECT"
    assert isinstance(record["amount"]["value"], str) and float(record["amount"]["value"]) > 0
    rows = record["line_items"]["value"]
    assert rows and set(rows[0]) == {"id", "value"}
    inner = rows[0]["value"]
    assert inner["subtotal"]["type"] == "CALC"
    assert float(inner["subtotal"]["value"]) == float(inner["quantity"]["value"]) * float(inner["unit_price"]["value"])
    assert record["total"]["value"] == record["amount"]["value"]
    assert "Status" not in record and "Assignee" not in record  # process management is off in Deals
    assert record["Categories"] == {"type": "CATEGORY", "value": []}


async def test_status_fields_appear_with_process_management(demo_api: Api) -> None:
    record = (await demo_api.ok("GET", "record.json", params={"app": 3, "id": 1}))["record"]
    assert record["Status"]["value"] in {"Open", "In progress", "Resolved", "Closed"}
    assert isinstance(record["Assignee"]["value"], list)


async def test_unknown_record_is_gaia_re01(demo_api: Api) -> None:
    assert_error(await demo_api.get("record.json", {"app": 2, "id": 99999}), 404, "GAIA_RE01")


async def test_records_default_order_limit_and_total_count(demo_api: Api) -> None:
    page = await demo_api.ok("GET", "records.json", params={"app": 2})
    ids = [int(r["$id"]["value"]) for r in page["records"]]
    assert ids == list(range(300, 200, -1))
    assert page["totalCount"] is None
    counted = await demo_api.ok("GET", "records.json", params={"app": 2, "totalCount": "true", "query": "limit 1"})
    assert counted["totalCount"] == "300" and len(counted["records"]) == 1


async def test_records_query_filters_sorts_and_pages(demo_api: Api) -> None:
    query = 'stage in ("Won") and amount >= 5000 order by amount desc, $id asc limit 5 offset 2'
    page = await demo_api.ok("GET", "records.json", params={"app": 2, "query": query, "totalCount": True})
    amounts = [float(r["amount"]["value"]) for r in page["records"]]
    assert all(r["stage"]["value"] == "Won" for r in page["records"])
    assert amounts == sorted(amounts, reverse=True) and all(a >= 5000 for a in amounts)
    everything = await demo_api.ok(
        "GET",
        "records.json",
        params={"app": 2, "query": 'stage in ("Won") and amount >= 5000 order by amount desc, $id asc limit 500'},
    )
    assert page["records"] == everything["records"][2:7]
    assert page["totalCount"] == str(len(everything["records"]))


async def test_fields_parameter(demo_api: Api) -> None:
    page = await demo_api.ok(
        "GET", "records.json", params={"app": 2, "fields[0]": "title", "fields[1]": "nosuch", "query": "limit 2"}
    )
    assert [set(r) for r in page["records"]] == [{"title"}, {"title"}]
    with_id = await demo_api.call("GET", "records.json", {"app": 2, "fields": ["$id", "stage"], "query": "limit 1"})
    assert set(with_id.json()["records"][0]) == {"$id", "stage"}
    every = await demo_api.call("GET", "records.json", {"app": 2, "fields": [], "query": "limit 1"})
    assert {"$id", "$revision", "title", "line_items"} <= set(every.json()["records"][0])


async def test_query_syntax_error(demo_api: Api) -> None:
    body = assert_error(await demo_api.get("records.json", {"app": 2, "query": "title like"}), 400, "CB_VA01")
    assert body["errors"] == {"query": {"messages": ["The query is invalid."]}}
    single_quotes = await demo_api.get("records.json", {"app": 2, "query": "title = 'x'"})
    assert_error(single_quotes, 400, "CB_VA01")


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("limit 501", 400, "GAIA_QU01"),
        ("offset 10001", 400, "GAIA_QU02"),
        ("nosuch = 1", 400, "GAIA_IQ11"),
        ('notes = "x"', 400, "GAIA_IQ03"),
        ('stage in ("Nope")', 400, "GAIA_IQ10"),
    ],
)
async def test_query_semantic_errors(demo_api: Api, query: str, status: int, code: str) -> None:
    assert_error(await demo_api.get("records.json", {"app": 2, "query": query}), status, code)


async def test_limits_at_the_edge_are_accepted(demo_api: Api) -> None:
    assert len((await demo_api.ok("GET", "records.json", params={"app": 2, "query": "limit 500"}))["records"]) == 300
    assert (await demo_api.ok("GET", "records.json", params={"app": 2, "query": "offset 10000"}))["records"] == []


async def test_loginuser_and_primary_organization_use_the_caller(demo_api: Api) -> None:
    as_sato = demo_api.as_(password_headers("sato"))
    mine = await as_sato.ok(
        "GET", "records.json", params={"app": 2, "query": "owner in (LOGINUSER()) limit 500", "totalCount": True}
    )
    assert int(mine["totalCount"]) > 0
    assert all(r["owner"]["value"][0]["code"] == "sato" for r in mine["records"])
    org = await as_sato.ok(
        "GET",
        "records.json",
        params={"app": 2, "query": "department in (PRIMARY_ORGANIZATION()) limit 500", "totalCount": True},
    )
    assert all(r["department"]["value"][0]["code"] == "sales" for r in org["records"])
    as_admin = await demo_api.ok(
        "GET", "records.json", params={"app": 2, "query": "owner in (LOGINUSER())", "totalCount": True}
    )
    assert as_admin["totalCount"] == "0"


async def test_today_is_evaluated_in_the_callers_time_zone() -> None:
    # 2025-03-01 20:00 UTC is already 2 March in Tokyo but still 1 March in Los Angeles (12:00).
    clock = datetime(2025, 3, 1, 20, 0, tzinfo=UTC)
    sb = Sandbox(SandboxConfig(demo=False, clock=lambda: clock))
    sb.add_user("tokyo", "pw", timezone="Asia/Tokyo")
    sb.add_user("la", "pw", timezone="America/Los_Angeles")
    async with client_for(sb) as client:
        api = Api(client)
        created = await api.ok("POST", "preview/app.json", {"name": "Dates"})
        app = int(created["app"])
        await api.ok("POST", "preview/app/form/fields.json", {"app": app, "properties": {"d": {"type": "DATE"}}})
        await api.ok("POST", "preview/app/deploy.json", {"apps": [{"app": app}]})
        await api.ok(
            "POST",
            "records.json",
            {"app": app, "records": [{"d": {"value": "2025-03-01"}}, {"d": {"value": "2025-03-02"}}]},
        )
        for login, expected in (("tokyo", "2025-03-02"), ("la", "2025-03-01")):
            page = await api.as_(password_headers(login, "pw")).ok(
                "GET", "records.json", params={"app": app, "query": "d = TODAY()"}
            )
            assert [r["d"]["value"] for r in page["records"]] == [expected], login


async def test_records_json_params_in_a_json_body(demo_api: Api) -> None:
    resp = await demo_api.call("GET", "records.json", {"app": 2, "query": "$id = 7", "fields": ["$id"]})
    assert resp.json()["records"] == [{"$id": {"type": "__ID__", "value": "7"}}]


async def test_subtable_and_lookup_values_are_queryable(demo_api: Api) -> None:
    page = await demo_api.ok(
        "GET",
        "records.json",
        params={"app": 2, "query": 'product in ("Onboarding") and customer_code = "C-0001" limit 500'},
    )
    for record in page["records"]:
        assert any(row["value"]["product"]["value"] == "Onboarding" for row in record["line_items"]["value"])
        assert record["customer_code"]["value"] == "C-0001"
