"""Smaller facts of docs/kintone-api.md a client can run into: the apis.json catalogue, views refused to API tokens when
an app has a custom view, and the assignee a status action must name."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import httpx2
import pytest
from sandbox_api import Api, assert_error, client_for, password_headers, token_headers

from kintone_mcp.sandbox import Sandbox, SandboxConfig

pytestmark = pytest.mark.anyio

TICKETS = 3


async def test_apis_json_lists_the_apis_without_credentials(demo_sandbox: Sandbox) -> None:
    transport = httpx2.ASGITransport(app=demo_sandbox.asgi_app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://kintone.test:8787") as anonymous:
        resp = await anonymous.get("/k/v1/apis.json")
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["baseUrl"] == "http://kintone.test:8787/k/v1/"
        apis = body["apis"]
        assert apis["records/get"] == {"link": "apis/records/get.json"}
        expected = {
            "record/post",
            "records/put",
            "records/delete",
            "records/cursor/post",
            "bulkRequest/post",
            "file/post",
            "record/comments/get",
            "preview/app/deploy/post",
            "app/form/fields/get",
        }
        assert expected <= set(apis)
        # The catalogue does not list itself, nor the cybozu.com User API (/v1/).
        assert "apis/get" not in apis and "users/get" not in apis
        guest = (await anonymous.get("/k/guest/2/v1/apis.json")).json()
        assert guest["baseUrl"] == "http://kintone.test:8787/k/guest/2/v1/" and guest["apis"] == apis


async def test_apis_json_is_still_behind_the_basic_gate() -> None:
    sb = Sandbox(SandboxConfig(demo=False, basic_auth=("gate", "secret")))
    async with client_for(sb) as client:
        assert_error(await client.get("/k/v1/apis.json"), 401, "CB_AU01")
        basic = {"Authorization": "Basic " + base64.b64encode(b"gate:secret").decode()}
        assert (await client.get("/k/v1/apis.json", headers=basic)).status_code == 200
    sb.close()


async def test_views_of_an_app_with_a_custom_view_are_refused_to_tokens(demo_api: Api, demo_sandbox: Sandbox) -> None:
    token = demo_api.as_(token_headers(demo_sandbox.demo_tokens[2]))
    assert "Pipeline" in (await token.ok("GET", "app/views.json", params={"app": 2}))["views"]
    views = {
        "Pipeline": {"type": "LIST", "index": 0, "fields": ["title"]},
        "Board": {"type": "CUSTOM", "index": 1, "html": "<div id='board'></div>"},
    }
    await demo_api.ok("PUT", "preview/app/views.json", {"app": 2, "views": views})
    await demo_api.ok("POST", "preview/app/deploy.json", {"apps": [{"app": 2}]})
    assert_error(await token.get("app/views.json", {"app": 2}), 403, "GAIA_NO01")
    assert set((await demo_api.ok("GET", "app/views.json", params={"app": 2}))["views"]) == {"Pipeline", "Board"}
    # Other settings stay open to the token.
    assert (await token.ok("GET", "app/form/fields.json", params={"app": 2}))["properties"]


@pytest.fixture
async def strict() -> AsyncIterator[Api]:
    """Kintone's documented rule, which is also the default."""
    sb = Sandbox(SandboxConfig(demo=True, demo_records=5))
    assert sb.config.status_assignee_required
    async with client_for(sb) as client:
        yield Api(client)
    sb.close()


@pytest.fixture
async def lenient() -> AsyncIterator[Api]:
    sb = Sandbox(SandboxConfig(demo=True, demo_records=5, status_assignee_required=False))
    async with client_for(sb) as client:
        yield Api(client)
    sb.close()


async def _ticket_for(api: Api, assignee: str) -> int:
    record = {"subject": {"value": "Jammed"}, "assigned_to": {"value": [{"code": assignee}]}}
    return int(
        (await api.as_(password_headers("sato")).ok("POST", "record.json", {"app": TICKETS, "record": record}))["id"]
    )


async def test_a_single_candidate_must_still_be_named_as_kintone_documents(strict: Api) -> None:
    suzuki = strict.as_(password_headers("suzuki"))
    record_id = await _ticket_for(strict, "tanaka")
    action = {"app": TICKETS, "id": record_id, "action": "Start work"}
    body = assert_error(await suzuki.put("record/status.json", action), 400, "GAIA_SA01")
    assert "tanaka" in body["message"]
    ja = await suzuki.put("record/status.json", action, headers={"Accept-Language": "ja"})
    assert (
        assert_error(ja, 400, "GAIA_SA01")["message"]
        == "ステータス「In progress」の作業者を「assignee」に指定してください。"
    )
    assert await suzuki.ok("PUT", "record/status.json", {**action, "assignee": "tanaka"}) == {"revision": "3"}
    # A state with no candidate at all needs no assignee (Resolved -> Closed has nobody to pick).
    tanaka = strict.as_(password_headers("tanaka"))
    await tanaka.ok(
        "PUT", "record/status.json", {"app": TICKETS, "id": record_id, "action": "Resolve", "assignee": "sato"}
    )
    sato = strict.as_(password_headers("sato"))
    assert await sato.ok("PUT", "record/status.json", {"app": TICKETS, "id": record_id, "action": "Close"}) == {
        "revision": "7"
    }


async def test_with_the_rule_off_a_single_candidate_is_taken(lenient: Api) -> None:
    record_id = await _ticket_for(lenient, "tanaka")
    suzuki = lenient.as_(password_headers("suzuki"))
    await suzuki.ok("PUT", "record/status.json", {"app": TICKETS, "id": record_id, "action": "Start work"})
    record = (await lenient.ok("GET", "record.json", params={"app": TICKETS, "id": record_id}))["record"]
    assert [a["code"] for a in record["Assignee"]["value"]] == ["tanaka"]


async def test_a_url_over_8_kb_is_refused_before_kintone_sees_it(demo_api: Api) -> None:
    ids = ", ".join(str(i) for i in range(1, 1800))
    query = f"$id in ({ids}) order by $id asc limit 500"
    resp = await demo_api.get("records.json", {"app": 1, "query": query})
    assert resp.status_code == 414
    assert resp.headers["content-type"].startswith("text/html") and "X-HTTP-Method-Override" in resp.text
    # The same request as a POST with the override and a JSON body is fine, as on Kintone.
    overridden = await demo_api.post(
        "records.json", {"app": 1, "query": query}, headers={"X-HTTP-Method-Override": "GET"}
    )
    assert overridden.status_code == 200 and len(overridden.json()["records"]) == 120
    # A shorter one is served.
    short = "$id in (" + ", ".join(str(i) for i in range(1, 600)) + ")"
    assert (await demo_api.get("records.json", {"app": 1, "query": short})).status_code == 200


async def test_the_url_limit_can_be_lifted() -> None:
    from kintone_mcp.sandbox.operations.middleware import OperationsConfig

    sb = Sandbox(SandboxConfig(demo=True, demo_records=5, operations=OperationsConfig(max_url_length=None)))
    async with client_for(sb) as client:
        query = "$id in (" + ", ".join(str(i) for i in range(1, 1800)) + ")"
        resp = await Api(client).get("records.json", {"app": 1, "query": query})
        assert resp.status_code == 200
    sb.close()


async def test_a_new_apps_process_management_was_never_set_up(demo_api: Api) -> None:
    created = await demo_api.ok("POST", "preview/app.json", {"name": "Fresh"})
    app = int(created["app"])
    await demo_api.ok("POST", "preview/app/deploy.json", {"apps": [{"app": app}]})
    for path in ("app/status.json", "preview/app/status.json"):
        status = await demo_api.ok("GET", path, params={"app": app})
        assert status == {"enable": False, "states": None, "actions": None, "revision": "1"}
    # The demo apps without a process read the same way.
    customers = await demo_api.ok("GET", "app/status.json", params={"app": 1})
    assert (customers["states"], customers["actions"]) == (None, None)
    refused = await demo_api.put("preview/app/status.json", {"app": app, "enable": True})
    assert "states" in assert_error(refused, 400, "CB_VA01")["errors"]


async def test_a_very_long_text_value_in_a_query_is_answered(demo_api: Api) -> None:
    # 60,000 characters: past SQLite's LIKE pattern limit, which the raw-JSON prefilter must not run into.
    long = "x" * 60_000
    for query in (f'company_name = "{long}"', f'company_name like "{long}"', f'company_name in ("{long}", "y")'):
        resp = await demo_api.post(
            "records.json", {"app": 1, "query": query, "totalCount": True}, headers={"X-HTTP-Method-Override": "GET"}
        )
        assert resp.status_code == 200, resp.text[:300]
        assert resp.json()["totalCount"] == "0"
