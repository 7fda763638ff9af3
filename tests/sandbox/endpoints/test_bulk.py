"""bulkRequest.json over HTTP: results, one transaction across apps, the failure shape, and refused envelopes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import oauth_flow
import pytest
from sandbox_api import Api, assert_error, client_for, error_keys, password_headers, token_headers

from kintone_mcp.sandbox import Sandbox, SandboxConfig, serve_in_thread
from kintone_mcp.sandbox.access.oauthclients import OAuthConfig
from kintone_mcp.sandbox.access.oauthscopes import OAUTH_REFUSED_CODE, OAUTH_REFUSED_STATUS
from kintone_mcp.sandbox.access.principals import Principal
from kintone_mcp.sandbox.errors import ErrorReply
from kintone_mcp.sandbox.http.params import Params
from kintone_mcp.sandbox.http.routing import RequestContext

pytestmark = pytest.mark.anyio

CUSTOMERS, DEALS, TICKETS = 1, 2, 3


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    sb = Sandbox(SandboxConfig(demo=True, demo_records=10))
    yield sb
    sb.close()


def req(method: str, endpoint: str, payload: Any, prefix: str = "/k/v1/") -> dict[str, Any]:
    return {"method": method, "api": prefix + endpoint, "payload": payload}


def customer(code: str) -> dict[str, Any]:
    return {"customer_code": {"value": code}, "company_name": {"value": f"{code} Ltd."}}


async def count(api: Api, app: int, query: str) -> int:
    found = await api.ok("GET", "records.json", params={"app": app, "query": query, "totalCount": "true"})
    return int(found["totalCount"])


async def deal(api: Api, record_id: int = 1) -> dict[str, Any]:
    record: dict[str, Any] = (await api.ok("GET", "record.json", params={"app": DEALS, "id": record_id}))["record"]
    return record


def assert_failure_shape(resp: httpx2.Response, status: int, code: str, index: int, size: int) -> dict[str, Any]:
    """The failing sub-request holds Kintone's error object, every other position {}."""
    assert resp.status_code == status, resp.text
    assert resp.headers["X-Cybozu-Error"] == code
    body = resp.json()
    assert set(body) == {"results"} and len(body["results"]) == size
    assert [r for i, r in enumerate(body["results"]) if i != index] == [{}] * (size - 1)
    failed: dict[str, Any] = body["results"][index]
    assert failed["code"] == code and failed["message"] and isinstance(failed["id"], str) and failed["id"]
    assert set(failed) <= {"code", "id", "message", "errors"}
    return failed


# -- success ---------------------------------------------------------------------------------------------------------


async def test_writes_across_apps_answer_each_apis_own_result(api: Api) -> None:
    before = await deal(api)
    ticket = await api.ok("POST", "record.json", {"app": TICKETS, "record": {"subject": {"value": "Bulk"}}})
    result = await api.ok(
        "POST",
        "bulkRequest.json",
        {
            "requests": [
                req("POST", "record.json", {"app": CUSTOMERS, "record": customer("B-1")}),
                req("POST", "records.json", {"app": CUSTOMERS, "records": [customer("B-2"), customer("B-3")]}),
                req(
                    "PUT",
                    "record.json",
                    {
                        "app": DEALS,
                        "id": 1,
                        "record": {"notes": {"value": "bulk"}},
                        "revision": before["$revision"]["value"],
                    },
                ),
                req(
                    "PUT",
                    "records.json",
                    {"app": DEALS, "records": [{"id": 2, "record": {"notes": {"value": "bulk"}}}]},
                ),
                req(
                    "PUT", "record/assignees.json", {"app": TICKETS, "id": ticket["id"], "assignees": ["Administrator"]}
                ),
                req("PUT", "record/status.json", {"app": TICKETS, "id": ticket["id"], "action": "Start work"}),
                req("DELETE", "records.json", {"app": DEALS, "ids": [3]}),
            ]
        },
    )
    results = result["results"]
    assert set(results[0]) == {"id", "revision"} and results[0]["revision"] == "1"
    assert len(results[1]["ids"]) == 2 and results[1]["revisions"] == ["1", "1"]
    assert results[2] == {"revision": str(int(before["$revision"]["value"]) + 1)}
    assert results[3]["records"][0]["id"] == "2"
    assert results[4] == {"revision": "2"} and results[5] == {"revision": "4"}
    assert results[6] == {}
    assert await count(api, CUSTOMERS, 'customer_code in ("B-1", "B-2", "B-3")') == 3
    assert (await deal(api))["notes"]["value"] == "bulk"
    assert_error(await api.get("record.json", params={"app": DEALS, "id": 3}), 404, "GAIA_RE01")


async def test_later_requests_see_earlier_ones(api: Api) -> None:
    result = await api.ok(
        "POST",
        "bulkRequest.json",
        {
            "requests": [
                req("POST", "record.json", {"app": CUSTOMERS, "record": customer("SEQ-1")}),
                req(
                    "PUT",
                    "record.json",
                    {
                        "app": CUSTOMERS,
                        "updateKey": {"field": "customer_code", "value": "SEQ-1"},
                        "record": {"notes": {"value": "second"}},
                    },
                ),
            ]
        },
    )
    assert result["results"][1] == {"revision": "2"}
    found = await api.ok("GET", "records.json", params={"app": CUSTOMERS, "query": 'customer_code = "SEQ-1"'})
    assert found["records"][0]["notes"]["value"] == "second"


async def test_twenty_requests_are_allowed(api: Api) -> None:
    requests = [req("POST", "record.json", {"app": CUSTOMERS, "record": customer(f"T-{i}")}) for i in range(20)]
    result = await api.ok("POST", "bulkRequest.json", {"requests": requests})
    assert len(result["results"]) == 20
    assert await count(api, CUSTOMERS, 'customer_code like "T-"') == 20


# -- one transaction -------------------------------------------------------------------------------------------------


async def test_a_failing_third_request_leaves_the_first_two_uncommitted(api: Api) -> None:
    before = await deal(api)
    resp = await api.post(
        "bulkRequest.json",
        {
            "requests": [
                req("POST", "record.json", {"app": CUSTOMERS, "record": customer("ATOM-1")}),
                req("PUT", "record.json", {"app": DEALS, "id": 1, "record": {"notes": {"value": "never"}}}),
                req("POST", "record.json", {"app": CUSTOMERS, "record": customer("C-0001")}),  # a duplicate unique code
            ]
        },
    )
    failed = assert_failure_shape(resp, 400, "CB_VA01", 2, 3)
    assert failed["errors"] == {
        "record.customer_code.value": {"messages": ["This value already exists in another record."]}
    }
    assert await count(api, CUSTOMERS, 'customer_code = "ATOM-1"') == 0
    after = await deal(api)
    assert after["notes"] == before["notes"] and after["$revision"] == before["$revision"]


async def test_the_envelope_status_is_the_failing_requests(api: Api) -> None:
    resp = await api.post(
        "bulkRequest.json",
        {
            "requests": [
                req("PUT", "record.json", {"app": DEALS, "id": 1, "record": {}, "revision": 999}),
                req("POST", "record.json", {"app": CUSTOMERS, "record": customer("NEVER")}),
            ]
        },
    )
    assert "999" in assert_failure_shape(resp, 409, "GAIA_CO02", 0, 2)["message"]
    resp = await api.post(
        "bulkRequest.json",
        {
            "requests": [
                req("POST", "record.json", {"app": CUSTOMERS, "record": customer("NEVER")}),
                req("DELETE", "records.json", {"app": DEALS, "ids": [1, 99999]}),
            ]
        },
    )
    assert_failure_shape(resp, 404, "GAIA_RE01", 1, 2)
    resp = await api.post(
        "bulkRequest.json",
        {
            "requests": [
                req("POST", "record.json", {"app": CUSTOMERS, "record": customer("NEVER")}),
                req("PUT", "record/status.json", {"app": CUSTOMERS, "id": 1, "action": "Start work"}),
            ]
        },
    )
    assert_failure_shape(resp, 400, "GAIA_ST02", 1, 2)
    assert await count(api, CUSTOMERS, 'customer_code = "NEVER"') == 0
    assert (await deal(api))["$id"]["value"] == "1"  # the delete of record 1 was undone with the rest


async def test_records_json_errors_keep_their_keys(api: Api) -> None:
    resp = await api.post(
        "bulkRequest.json",
        {
            "requests": [
                req(
                    "POST",
                    "records.json",
                    {"app": CUSTOMERS, "records": [customer("K-1"), {"company_name": {"value": "no code"}}]},
                ),
            ]
        },
    )
    failed = assert_failure_shape(resp, 400, "CB_VA01", 0, 1)
    assert "records[1].customer_code.value" in failed["errors"]


async def test_failure_messages_follow_accept_language(api: Api) -> None:
    resp = await api.post(
        "bulkRequest.json",
        {
            "requests": [req("PUT", "record.json", {"app": DEALS, "id": 1, "record": {}, "revision": 999})],
        },
        headers={"Accept-Language": "ja"},
    )
    failed = assert_failure_shape(resp, 409, "GAIA_CO02", 0, 1)
    assert "リビジョン" in failed["message"]


# -- credentials -----------------------------------------------------------------------------------------------------


async def test_api_tokens_apply_per_app(api: Api, sandbox: Sandbox) -> None:
    tokens = sandbox.demo_tokens
    requests = [
        req("POST", "record.json", {"app": CUSTOMERS, "record": customer("TOK-1")}),
        req("PUT", "record.json", {"app": DEALS, "id": 1, "record": {"notes": {"value": "token"}}}),
    ]
    resp = await api.as_(token_headers(tokens[CUSTOMERS])).post("bulkRequest.json", {"requests": requests})
    assert "app 2" in assert_failure_shape(resp, 403, "GAIA_NO01", 1, 2)["message"]
    assert await count(api, CUSTOMERS, 'customer_code = "TOK-1"') == 0
    both = api.as_(token_headers(tokens[CUSTOMERS], tokens[DEALS]))
    assert len((await both.ok("POST", "bulkRequest.json", {"requests": requests}))["results"]) == 2
    record = (await api.ok("GET", "records.json", params={"app": CUSTOMERS, "query": 'customer_code = "TOK-1"'}))[
        "records"
    ][0]
    assert record["Created_by"]["value"]["code"] == "Administrator"


async def test_sub_requests_act_as_the_caller(api: Api) -> None:
    ticket = await api.ok("POST", "record.json", {"app": TICKETS, "record": {"subject": {"value": "Who"}}})
    action = req("PUT", "record/status.json", {"app": TICKETS, "id": ticket["id"], "action": "Start work"})
    resp = await api.as_(password_headers("sato")).post("bulkRequest.json", {"requests": [action]})
    assert_failure_shape(resp, 400, "GAIA_NT01", 0, 1)
    await api.as_(password_headers("suzuki")).ok("POST", "bulkRequest.json", {"requests": [action]})


async def test_guest_space_paths(api: Api) -> None:
    guest = api.guest(2)
    app = int((await guest.ok("POST", "preview/app.json", {"name": "Guest bulk"}))["app"])
    await guest.ok(
        "POST",
        "preview/app/form/fields.json",
        {"app": app, "properties": {"title": {"type": "SINGLE_LINE_TEXT", "code": "title", "label": "Title"}}},
    )
    await guest.ok("POST", "preview/app/deploy.json", {"apps": [{"app": app}]})
    payload = {"app": app, "record": {"title": {"value": "from bulk"}}}
    resp = await api.post("bulkRequest.json", {"requests": [req("POST", "record.json", payload)]})
    assert_failure_shape(resp, 400, "GAIA_IL23", 0, 1)
    result = await api.ok(
        "POST",
        "bulkRequest.json",
        {
            "requests": [
                req("POST", "record.json", {"app": CUSTOMERS, "record": customer("G-1")}),
                req("POST", "record.json", payload, prefix="/k/guest/2/v1/"),
            ]
        },
    )
    created = await guest.ok("GET", "record.json", params={"app": app, "id": result["results"][1]["id"]})
    assert created["record"]["title"]["value"] == "from bulk"
    resp = await api.post(
        "bulkRequest.json",
        {
            "requests": [
                req("POST", "record.json", {"app": CUSTOMERS, "record": customer("G-2")}, prefix="/k/guest/2/v1/")
            ]
        },
    )
    assert_failure_shape(resp, 403, "CB_NO02", 0, 1)


# -- refused envelopes -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requests", "key"),
    [
        (None, "requests"),
        ([], "requests"),
        ("nope", "requests"),
        ([req("POST", "record.json", {"app": 1, "record": {}})] * 21, "requests"),
        (["POST record.json"], "requests[0]"),
        ([req("GET", "record.json", {"app": 1, "id": 1})], "requests[0].method"),
        ([req("GET", "records.json", {"app": 1})], "requests[0].method"),
        ([req("DELETE", "record.json", {"app": 1, "id": 1})], "requests[0].method"),
        ([req("POST", "record/comment.json", {"app": 1, "record": 1, "comment": {"text": "x"}})], "requests[0].api"),
        ([req("POST", "file.json", {})], "requests[0].api"),
        ([req("POST", "bulkRequest.json", {"requests": []})], "requests[0].api"),
        ([req("PUT", "preview/app/status.json", {"app": 1})], "requests[0].api"),
        ([{"method": "POST", "api": "record.json", "payload": {}}], "requests[0].api"),
        ([{"method": "POST", "api": "https://example.cybozu.com/k/v1/record.json", "payload": {}}], "requests[0].api"),
        ([{"method": "POST", "api": "/k/v1/record.json"}], "requests[0].payload"),
        ([{"api": "/k/v1/record.json", "payload": {}}], "requests[0].method"),
        ([{"method": "POST", "payload": {}}], "requests[0].api"),
    ],
)
async def test_malformed_envelopes_are_refused_before_anything_runs(api: Api, requests: Any, key: str) -> None:
    body: dict[str, Any] = {} if requests is None else {"requests": requests}
    if isinstance(requests, list) and 0 < len(requests) < 20:
        body["requests"] = [req("POST", "record.json", {"app": CUSTOMERS, "record": customer("RUN-1")}), *requests]
        key = key.replace("requests[0]", "requests[1]")
    errors = error_keys(await api.post("bulkRequest.json", body))
    assert key in errors and errors[key][0]
    assert await count(api, CUSTOMERS, 'customer_code = "RUN-1"') == 0


async def test_refusals_say_what_bulk_requests_can_run(api: Api) -> None:
    resp = await api.post("bulkRequest.json", {"requests": [req("GET", "records.json", {"app": 1})]})
    message = error_keys(resp)["requests[0].method"][0]
    assert "GET records.json" in message and "PUT record/status.json" in message
    resp = await api.post("bulkRequest.json", {"requests": [req("POST", "record.json", {})] * 21})
    assert "20" in error_keys(resp)["requests"][0]


async def test_oauth_callers_are_refused(sandbox: Sandbox) -> None:
    # OAuth authentication is not wired into the sandbox yet, so the handler is given an OAuth principal directly.
    endpoint = sandbox.router.resolve("kintone", "POST", "bulkRequest.json")
    assert endpoint is not None
    payload = {"requests": [req("POST", "record.json", {"app": CUSTOMERS, "record": customer("OA-1")})]}
    with sandbox.store.transaction() as conn:
        ctx = RequestContext(
            services=sandbox.services,
            conn=conn,
            principal=Principal(scheme="oauth", login="Administrator"),
            params=Params(payload),
            guest_space=None,
            now=sandbox.now(),
        )
        with pytest.raises(ErrorReply) as refused:
            endpoint.handler(ctx)
    assert (refused.value.status, refused.value.code) == (OAUTH_REFUSED_STATUS, OAUTH_REFUSED_CODE)
    with sandbox.store.reading() as conn:
        assert conn.execute("SELECT COUNT(*) FROM records WHERE data LIKE '%OA-1%'").fetchone()[0] == 0


async def test_over_a_real_socket(sandbox: Sandbox) -> None:
    with serve_in_thread(sandbox) as base_url:
        async with httpx2.AsyncClient(base_url=base_url, headers=password_headers()) as client:
            api = Api(client)
            resp = await api.post(
                "bulkRequest.json",
                {
                    "requests": [
                        req("POST", "record.json", {"app": CUSTOMERS, "record": customer("S-1")}),
                        req("POST", "record.json", {"app": CUSTOMERS, "record": customer("S-1")}),
                    ]
                },
            )
            assert_failure_shape(resp, 400, "CB_VA01", 1, 2)
            result = await api.ok(
                "POST",
                "bulkRequest.json",
                {"requests": [req("POST", "record.json", {"app": CUSTOMERS, "record": customer("S-1")})]},
            )
            assert result["results"][0]["revision"] == "1"


async def test_oauth_access_tokens_are_refused_over_http() -> None:
    sb = Sandbox(SandboxConfig(demo=True, demo_records=10, oauth=OAuthConfig(clients=[oauth_flow.CLIENT])))
    try:
        async with client_for(sb) as client:
            bearer = Api(client, {"Authorization": f"Bearer {await oauth_flow.access_token(client)}"})
            payload = {"app": CUSTOMERS, "record": customer("OA-2")}
            resp = await bearer.post("bulkRequest.json", {"requests": [req("POST", "record.json", payload)]})
            assert "OAuth" in assert_error(resp, OAUTH_REFUSED_STATUS, OAUTH_REFUSED_CODE)["message"]
            assert await count(Api(client), CUSTOMERS, 'customer_code = "OA-2"') == 0
            # The same token may write the record directly: only the bulk endpoint refuses it.
            await bearer.ok("POST", "record.json", payload)
    finally:
        sb.close()
