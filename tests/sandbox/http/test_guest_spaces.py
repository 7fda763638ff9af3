"""Guest spaces: an app in a guest space answers only on /k/guest/{space}/v1/, across every app and record endpoint.

Demo facts used here: space 1 "Sales team" is a regular space, space 2 "Partner portal" a guest space holding app 4
"Partner requests" (code PARTNER, 12 records); apps 1-3 are in no space.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
from sandbox_api import Api, assert_error, client_for, token_headers

from kintone_mcp.auth import Credentials, PasswordAuth
from kintone_mcp.client import KintoneClient
from kintone_mcp.sandbox import ApiTokenSpec, Sandbox, SandboxConfig

pytestmark = pytest.mark.anyio

PARTNER = 4
GUEST = 2
REGULAR = 1


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    sb = Sandbox(SandboxConfig(demo=True, demo_records=5, api_tokens=[ApiTokenSpec(PARTNER, "partner-token")]))
    async with client_for(sb) as client:
        yield Api(client)
    sb.close()


#: (method, path, parameters for app ``{app}``): every app or record endpoint, each valid for the PARTNER app.
ENDPOINTS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "app.json", {"id": "{app}"}),
    ("GET", "app/form/fields.json", {"app": "{app}"}),
    ("GET", "app/form/layout.json", {"app": "{app}"}),
    ("GET", "app/views.json", {"app": "{app}"}),
    ("GET", "app/status.json", {"app": "{app}"}),
    ("GET", "app/settings.json", {"app": "{app}"}),
    ("GET", "preview/app/form/fields.json", {"app": "{app}"}),
    ("GET", "preview/app/form/layout.json", {"app": "{app}"}),
    ("GET", "preview/app/views.json", {"app": "{app}"}),
    ("GET", "preview/app/status.json", {"app": "{app}"}),
    ("GET", "preview/app/settings.json", {"app": "{app}"}),
    ("GET", "preview/app/deploy.json", {"apps": ["{app}"]}),
    ("GET", "record.json", {"app": "{app}", "id": 1}),
    ("GET", "records.json", {"app": "{app}", "query": "order by $id asc limit 2"}),
    ("POST", "record.json", {"app": "{app}", "record": {"subject": {"value": "S"}, "partner": {"value": "P"}}}),
    ("POST", "records.json", {"app": "{app}", "records": [{"subject": {"value": "S"}, "partner": {"value": "P"}}]}),
    ("PUT", "record.json", {"app": "{app}", "id": 1, "record": {"details": {"value": "Updated"}}}),
    ("PUT", "records.json", {"app": "{app}", "records": [{"id": 2, "record": {"details": {"value": "U"}}}]}),
    ("DELETE", "records.json", {"app": "{app}", "ids": [3]}),
    ("POST", "records/cursor.json", {"app": "{app}", "size": 5}),
    ("GET", "record/comments.json", {"app": "{app}", "record": 1}),
    ("POST", "record/comment.json", {"app": "{app}", "record": 1, "comment": {"text": "Thanks!"}}),
    ("POST", "preview/app/form/fields.json", {"app": "{app}", "properties": {"notes": {"type": "MULTI_LINE_TEXT"}}}),
    ("PUT", "preview/app/form/fields.json", {"app": "{app}", "properties": {"details": {"label": "More"}}}),
    ("DELETE", "preview/app/form/fields.json", {"app": "{app}", "fields": ["details"]}),
    ("PUT", "preview/app/settings.json", {"app": "{app}", "name": "Partner asks"}),
    ("PUT", "preview/app/views.json", {"app": "{app}", "views": {"All": {"type": "LIST", "fields": ["subject"]}}}),
    ("PUT", "preview/app/status.json", {"app": "{app}", "enable": False}),
    ("POST", "preview/app/deploy.json", {"apps": [{"app": "{app}"}]}),
]


def _fill(value: Any, app: int) -> Any:
    if value == "{app}":
        return app
    if isinstance(value, dict):
        return {k: _fill(v, app) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, app) for v in value]
    return value


async def _call(api: Api, method: str, path: str, params: dict[str, Any], app: int) -> httpx2.Response:
    filled = _fill(params, app)
    if method == "GET":
        return await api.call("GET", path, filled)  # GET parameters in a JSON body, as Kintone allows
    return await api.call(method, path, filled)


@pytest.mark.parametrize(("method", "path", "params"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
async def test_guest_app_answers_only_on_its_guest_path(
    api: Api, method: str, path: str, params: dict[str, Any]
) -> None:
    normal = await _call(api, method, path, params, PARTNER)
    body = assert_error(normal, 400, "GAIA_IL23")
    assert f"/k/guest/{GUEST}/v1/" in body["message"]
    assert_error(await _call(api.guest(REGULAR), method, path, params, PARTNER), 403, "CB_NO02")
    assert_error(await _call(api.guest(99), method, path, params, PARTNER), 403, "CB_NO02")
    # Nothing above changed anything: the guest path still finds the app as it was, and now succeeds.
    resp = await _call(api.guest(GUEST), method, path, params, PARTNER)
    assert resp.status_code == 200, resp.text


@pytest.mark.parametrize(("method", "path", "params"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
async def test_apps_outside_guest_spaces_are_refused_on_a_guest_path(
    api: Api, method: str, path: str, params: dict[str, Any]
) -> None:
    if "record" in path or path == "records/cursor.json":
        app = await _app_like_partner(api)
    else:
        app = 1
    assert_error(await _call(api.guest(GUEST), method, path, params, app), 403, "CB_NO02")


async def _app_like_partner(api: Api) -> int:
    """A non-guest app with the PARTNER app's fields, so record bodies valid for PARTNER are valid for it too."""
    created = await api.ok("POST", "preview/app.json", {"name": "Partner copy"})
    app = int(created["app"])
    props = {
        "subject": {"type": "SINGLE_LINE_TEXT"}, "partner": {"type": "SINGLE_LINE_TEXT"},
        "details": {"type": "MULTI_LINE_TEXT"},
    }
    await api.ok("POST", "preview/app/form/fields.json", {"app": app, "properties": props})
    await api.ok("POST", "preview/app/deploy.json", {"apps": [{"app": app}]})
    for _ in range(3):
        await api.ok("POST", "record.json", {"app": app, "record": {"subject": {"value": "x"}}})
    return app


async def test_demo_guest_app(api: Api) -> None:
    guest = api.guest(GUEST)
    info = await guest.ok("GET", "app.json", params={"id": PARTNER})
    assert (info["code"], info["name"], info["spaceId"], info["threadId"]) == ("PARTNER", "Partner requests", "2", "2")
    page = await guest.ok("GET", "records.json", params={"app": PARTNER, "totalCount": "true"})
    assert page["totalCount"] == "12"
    assert {"subject", "partner", "category", "requested_on", "details"} <= set(page["records"][0])
    # The record ids continue after the demo rows.
    assert (await guest.ok("POST", "record.json", {"app": PARTNER, "record": {
        "subject": {"value": "New"}, "partner": {"value": "Sora"}}}))["id"] == "13"


async def test_apps_json_per_path_and_space_ids(api: Api) -> None:
    async def ids(a: Api, params: Any = None) -> list[str]:
        return [x["appId"] for x in (await a.ok("GET", "apps.json", params=params))["apps"]]

    guest = api.guest(GUEST)
    assert await ids(api) == ["1", "2", "3", "5"]
    assert await ids(guest) == ["4"]
    assert await ids(guest, {"spaceIds[0]": str(GUEST)}) == ["4"]
    assert await ids(guest, {"spaceIds[0]": str(REGULAR)}) == []
    assert await ids(guest, {"codes[0]": "PARTNER"}) == ["4"]
    # Guest-space apps are listed through their guest path only, even when the normal path names the space.
    assert await ids(api, {"spaceIds[0]": str(GUEST)}) == []
    regular = await api.ok("POST", "preview/app.json", {"name": "Team app", "space": REGULAR})
    assert await ids(api, {"spaceIds[0]": str(REGULAR)}) == ["2", regular["app"]]  # Deals is in the Sales space
    assert_error(await api.guest(REGULAR).get("apps.json"), 403, "CB_NO02")


async def test_creating_apps_in_a_guest_space(api: Api) -> None:
    guest = api.guest(GUEST)
    created = await guest.ok("POST", "preview/app.json", {"name": "Partner orders"})
    info = await guest.ok("GET", "app.json", params={"id": created["app"]})
    assert info["spaceId"] == "2" and info["threadId"] == "2"
    explicit = await guest.ok("POST", "preview/app.json", {"name": "Partner FAQ", "space": GUEST})
    assert (await guest.ok("GET", "app.json", params={"id": explicit["app"]}))["spaceId"] == "2"
    assert [a["appId"] for a in (await guest.ok("GET", "apps.json"))["apps"]] == ["4", created["app"], explicit["app"]]
    # The wrong way round: the guest space on the normal path, another space on the guest path, a regular space
    # through a guest path, and a space that does not exist.
    assert_error(await api.post("preview/app.json", {"name": "x", "space": GUEST}), 400, "GAIA_IL23")
    assert_error(await guest.post("preview/app.json", {"name": "x", "space": REGULAR}), 403, "CB_NO02")
    assert_error(await api.guest(REGULAR).post("preview/app.json", {"name": "x"}), 403, "CB_NO02")
    assert_error(await api.guest(99).post("preview/app.json", {"name": "x"}), 403, "CB_NO02")
    assert_error(await api.post("preview/app.json", {"name": "x", "space": 99}), 400, "CB_VA01")
    names = [a["name"] for a in (await api.ok("GET", "apps.json"))["apps"]]
    assert "x" not in names


async def test_app_tokens_follow_the_same_paths(api: Api) -> None:
    token = api.as_(token_headers("partner-token"))
    records = await token.guest(GUEST).ok("GET", "records.json", params={"app": PARTNER})
    assert len(records["records"]) == 12
    assert_error(await token.get("records.json", {"app": PARTNER}), 400, "GAIA_IL23")
    assert_error(await token.guest(REGULAR).get("records.json", {"app": PARTNER}), 403, "CB_NO02")


async def test_a_cursor_made_on_the_guest_path_is_read_there_only(api: Api) -> None:
    guest = api.guest(GUEST)
    cursor = await guest.ok("POST", "records/cursor.json", {"app": PARTNER, "size": 10})
    assert cursor["totalCount"] == "12"
    assert_error(await api.get("records/cursor.json", {"id": cursor["id"]}), 400, "GAIA_IL23")
    page = await guest.ok("GET", "records/cursor.json", params={"id": cursor["id"]})
    assert len(page["records"]) == 10 and page["next"] is True
    await guest.ok("DELETE", "records/cursor.json", {"id": cursor["id"]})


async def test_the_client_in_a_guest_space() -> None:
    sb = Sandbox(SandboxConfig(demo=True, demo_records=5))
    auth = PasswordAuth("Administrator", "sandbox")
    transport = httpx2.ASGITransport(app=sb.asgi_app)
    async with KintoneClient(
        "http://sandbox.test", credentials=Credentials(rest=auth, user_api=auth), guest_space_id=GUEST,
        transport=transport,
    ) as client:
        app = await client.get_app(PARTNER)
        assert app.code == "PARTNER" and app.space_id == GUEST
        records = await client.get_records(PARTNER, query="order by $id asc limit 3")
        assert [r.id for r in records.records] == [1, 2, 3]
        # The User API has no guest form: the same client reaches /v1/ as usual.
        assert len(await client.list_users()) == 6
    async with KintoneClient(
        "http://sandbox.test", credentials=Credentials(rest=auth), transport=transport
    ) as outside:
        # Not configured for the guest space, the client learns the app's path from Kintone's GAIA_IL23.
        assert (await outside.get_app(PARTNER)).space_id == GUEST
    sb.close()


async def test_comments_delete_on_the_guest_path_only(api: Api) -> None:
    guest = api.guest(GUEST)
    comment = await guest.ok("POST", "record/comment.json", {"app": PARTNER, "record": 2, "comment": {"text": "x"}})
    body = {"app": PARTNER, "record": 2, "comment": comment["id"]}
    assert_error(await api.delete("record/comment.json", body), 400, "GAIA_IL23")
    assert_error(await api.guest(REGULAR).delete("record/comment.json", body), 403, "CB_NO02")
    await guest.ok("DELETE", "record/comment.json", body)


PROCESS = {
    "enable": True,
    "states": {
        "New": {"name": "New", "index": "0",
                "assignee": {"type": "ONE", "entities": [{"entity": {"type": "USER", "code": "sato"}}]}},
        "Done": {"name": "Done", "index": "1", "assignee": {"type": "ONE", "entities": []}},
    },
    "actions": [{"name": "Finish", "from": "New", "to": "Done"}],
}
PROCESS_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("record/assignees.json", {"app": PARTNER, "id": 1, "assignees": ["sato"]}),
    ("record/status.json", {"app": PARTNER, "id": 3, "action": "Finish"}),
    ("records/status.json", {"app": PARTNER, "records": [{"id": 2, "action": "Finish"}]}),
]


async def test_process_management_endpoints_on_a_guest_app(api: Api) -> None:
    guest = api.guest(GUEST)
    await guest.ok("PUT", "preview/app/status.json", {"app": PARTNER, **PROCESS})
    await guest.ok("POST", "preview/app/deploy.json", {"apps": [{"app": PARTNER}]})
    for path, body in PROCESS_CALLS:
        assert_error(await api.put(path, body), 400, "GAIA_IL23")
        assert_error(await api.guest(REGULAR).put(path, body), 403, "CB_NO02")
        assert_error(await api.guest(99).put(path, body), 403, "CB_NO02")
        await guest.ok("PUT", path, body)
    statuses = await guest.ok("GET", "records.json", params={"app": PARTNER, "query": "$id <= 3 order by $id asc"})
    assert [r["Status"]["value"] for r in statuses["records"]] == ["New", "Done", "Done"]


def _bulk(api_path: str, app: int) -> dict[str, Any]:
    record = {"subject": {"value": "S"}, "partner": {"value": "P"}} if app == PARTNER else {
        "customer_code": {"value": f"B-{api_path.count('guest')}"}, "company_name": {"value": "Bulk"}}
    return {"method": "POST", "api": api_path, "payload": {"app": app, "record": record}}


@pytest.mark.parametrize("outer", ["bulkRequest.json", "/k/guest/2/v1/bulkRequest.json"])
async def test_bulk_sub_requests_carry_their_own_path(api: Api, outer: str) -> None:
    ok = await api.ok("POST", outer, {"requests": [
        _bulk("/k/v1/record.json", 1), _bulk(f"/k/guest/{GUEST}/v1/record.json", PARTNER),
        {"method": "PUT", "api": f"/k/guest/{GUEST}/v1/records.json",
         "payload": {"app": PARTNER, "records": [{"id": 1, "record": {"details": {"value": "bulk"}}}]}},
        {"method": "DELETE", "api": f"/k/guest/{GUEST}/v1/records.json", "payload": {"app": PARTNER, "ids": [2]}},
    ]})
    assert ok["results"][1] == {"id": "13", "revision": "1"}
    count = (await api.guest(GUEST).ok("GET", "records.json", params={"app": PARTNER, "totalCount": True}))
    assert count["totalCount"] == "12"  # one added, one deleted
    wrong = [
        (_bulk("/k/v1/record.json", PARTNER), 400, "GAIA_IL23"),
        (_bulk(f"/k/guest/{REGULAR}/v1/record.json", PARTNER), 403, "CB_NO02"),
        (_bulk(f"/k/guest/{GUEST}/v1/record.json", 1), 403, "CB_NO02"),
        (_bulk("/k/guest/99/v1/record.json", PARTNER), 403, "CB_NO02"),
    ]
    for sub, status, code in wrong:
        resp = await api.post(outer, {"requests": [_bulk(f"/k/guest/{GUEST}/v1/record.json", PARTNER), sub]})
        assert resp.status_code == status, resp.text
        results = resp.json()["results"]
        assert results[0] == {} and results[1]["code"] == code
    # Every refused bulk request was rolled back whole.
    after = (await api.guest(GUEST).ok("GET", "records.json", params={"app": PARTNER, "totalCount": True}))
    assert after["totalCount"] == "12"
