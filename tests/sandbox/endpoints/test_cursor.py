"""The cursor API (records/cursor.json) over HTTP: paging, snapshot semantics, limits, expiry, permissions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import oauth_flow
import pytest
from sandbox_api import Api, assert_error, client_for, error_keys, password_headers, token_headers

from kintone_mcp.sandbox import Sandbox, SandboxConfig, serve_in_thread
from kintone_mcp.sandbox.access.oauthclients import OAuthConfig
from kintone_mcp.sandbox.access.oauthscopes import OAUTH_REFUSED_CODE, OAUTH_REFUSED_STATUS
from kintone_mcp.sandbox.access.principals import Principal
from kintone_mcp.sandbox.endpoints.cursor import CURSOR_NOT_FOUND_CODE, CURSOR_NOT_FOUND_STATUS
from kintone_mcp.sandbox.errors import ErrorReply
from kintone_mcp.sandbox.http.params import Params
from kintone_mcp.sandbox.http.routing import RequestContext

pytestmark = pytest.mark.anyio

CUSTOMERS, DEALS = 1, 2
CUSTOMER_COUNT = 120  # fixed by the demo data


class Clock:
    """A sandbox clock that tests move by hand."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_sandbox(clock: Clock, **config: Any) -> Sandbox:
    return Sandbox(SandboxConfig(demo=True, demo_records=30, clock=clock, **config))


@pytest.fixture
def sandbox(clock: Clock) -> Iterator[Sandbox]:
    sb = make_sandbox(clock)
    yield sb
    sb.close()


async def open_cursor(api: Api, app: int = CUSTOMERS, **body: Any) -> tuple[str, int]:
    created = await api.ok("POST", "records/cursor.json", {"app": app, **body})
    assert set(created) == {"id", "totalCount"}
    assert isinstance(created["totalCount"], str)
    return str(created["id"]), int(created["totalCount"])


async def read_page(api: Api, cursor_id: str) -> tuple[list[dict[str, Any]], bool]:
    page = await api.ok("GET", "records/cursor.json", params={"id": cursor_id})
    assert set(page) == {"records", "next"}
    return page["records"], page["next"]


async def read_all(api: Api, cursor_id: str) -> list[list[dict[str, Any]]]:
    pages = []
    more = True
    while more:
        records, more = await read_page(api, cursor_id)
        pages.append(records)
    return pages


def ids(records: list[dict[str, Any]]) -> list[int]:
    return [int(r["$id"]["value"]) for r in records]


# -- paging ----------------------------------------------------------------------------------------------------------


async def test_pages_cover_every_match_in_query_order_and_the_last_page_removes_the_cursor(
    api: Api, sandbox: Sandbox
) -> None:
    query = 'region in ("East", "West") order by customer_code desc'
    expected = await api.ok(
        "GET", "records.json", params={"app": CUSTOMERS, "query": query + " limit 500", "totalCount": "true"}
    )
    cursor_id, total = await open_cursor(api, query=query, size=7)
    assert total == int(expected["totalCount"]) > 14
    assert sandbox.open_cursor_count() == 1
    pages = await read_all(api, cursor_id)
    assert [len(p) for p in pages[:-1]] == [7] * (len(pages) - 1) and 1 <= len(pages[-1]) <= 7
    assert [r for page in pages for r in page] == expected["records"]
    assert sandbox.open_cursor_count() == 0
    resp = await api.get("records/cursor.json", params={"id": cursor_id})
    assert_error(resp, CURSOR_NOT_FOUND_STATUS, CURSOR_NOT_FOUND_CODE)


async def test_default_size_is_100_and_500_is_allowed(api: Api) -> None:
    cursor_id, total = await open_cursor(api)
    assert total == CUSTOMER_COUNT
    records, more = await read_page(api, cursor_id)
    assert len(records) == 100 and more
    records, more = await read_page(api, cursor_id)
    assert len(records) == CUSTOMER_COUNT - 100 and not more

    cursor_id, _ = await open_cursor(api, size="500")
    records, more = await read_page(api, cursor_id)
    assert len(records) == CUSTOMER_COUNT and not more


async def test_records_have_the_records_json_format_and_default_order(api: Api) -> None:
    expected = await api.ok("GET", "records.json", params={"app": DEALS, "query": "limit 5"})
    cursor_id, _ = await open_cursor(api, DEALS, size=5)
    records, _ = await read_page(api, cursor_id)
    assert records == expected["records"]  # $id desc by default, same field formats (subtables, users, numbers)
    assert ids(records) == sorted(ids(records), reverse=True)
    await api.ok("DELETE", "records/cursor.json", {"id": cursor_id})


async def test_fields_limits_the_output_like_records_json(api: Api) -> None:
    cursor_id, _ = await open_cursor(api, fields=["customer_code", "no_such_field"], size=3)
    records, _ = await read_page(api, cursor_id)
    assert [set(r) for r in records] == [{"customer_code"}] * 3
    cursor_id, _ = await open_cursor(api, fields=[], size=1)
    records, _ = await read_page(api, cursor_id)
    assert {"$id", "$revision", "customer_code", "company_name"} <= set(records[0])


async def test_an_empty_result_gives_one_empty_last_page(api: Api, sandbox: Sandbox) -> None:
    cursor_id, total = await open_cursor(api, query='customer_code = "nobody"')
    assert total == 0
    assert await read_page(api, cursor_id) == ([], False)
    assert sandbox.open_cursor_count() == 0


async def test_pages_are_a_snapshot_of_the_matching_ids(api: Api) -> None:
    query = 'region in ("East") order by $id asc'
    cursor_id, total = await open_cursor(api, query=query, size=5)
    first, _ = await read_page(api, cursor_id)
    snapshot = (await api.ok("GET", "records.json", params={"app": CUSTOMERS, "query": query + " limit 500"}))[
        "records"
    ]
    later = ids(snapshot)[5:]
    # After the cursor was opened: a new matching record, one record leaves the condition, one is deleted,
    # one is edited. None of it moves records between pages.
    await api.ok(
        "POST",
        "record.json",
        {
            "app": CUSTOMERS,
            "record": {
                "customer_code": {"value": "NEW-1"},
                "company_name": {"value": "New Ltd."},
                "region": {"value": "East"},
            },
        },
    )
    await api.ok("PUT", "record.json", {"app": CUSTOMERS, "id": later[0], "record": {"region": {"value": "West"}}})
    await api.ok("DELETE", "records.json", {"app": CUSTOMERS, "ids": [later[1]]})
    await api.ok("PUT", "record.json", {"app": CUSTOMERS, "id": later[2], "record": {"notes": {"value": "edited"}}})
    rest = [r for page in await read_all(api, cursor_id) for r in page]
    assert ids(first) == ids(snapshot)[:5]
    assert ids(rest) == [i for i in later if i != later[1]]  # deleted records are skipped, nothing is added
    by_id = {int(r["$id"]["value"]): r for r in rest}
    assert by_id[later[0]]["region"]["value"] == "West"  # content is read at page time
    assert by_id[later[2]]["notes"]["value"] == "edited"
    assert total == len(snapshot)


# -- validation ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 501, -1, "ten", 2.5])
async def test_size_must_be_1_to_500(api: Api, size: Any) -> None:
    assert "size" in error_keys(await api.post("records/cursor.json", {"app": CUSTOMERS, "size": size}))


@pytest.mark.parametrize("query", ["limit 10", "offset 5", 'region in ("East") order by $id asc limit 10 offset 20'])
async def test_limit_and_offset_are_refused_in_the_query(api: Api, sandbox: Sandbox, query: str) -> None:
    errors = error_keys(await api.post("records/cursor.json", {"app": CUSTOMERS, "query": query}))
    assert "limit" in errors["query"][0] and "size" in errors["query"][0]
    assert sandbox.open_cursor_count() == 0


async def test_query_errors_are_those_of_records_json(api: Api) -> None:
    errors = error_keys(await api.post("records/cursor.json", {"app": CUSTOMERS, "query": "region in ("}))
    assert errors == {"query": ["The query is invalid."]}
    resp = await api.post("records/cursor.json", {"app": CUSTOMERS, "query": 'nope = "x"'})
    assert_error(resp, 400, "GAIA_IQ11")


async def test_app_is_required_and_must_exist(api: Api) -> None:
    assert "app" in error_keys(await api.post("records/cursor.json", {"size": 10}))
    assert_error(await api.post("records/cursor.json", {"app": 999}), 404, "GAIA_AP01")


async def test_unknown_ids_and_missing_ids(api: Api) -> None:
    for method in ("GET", "DELETE"):
        resp = await api.call(method, "records/cursor.json", params={"id": "00000000-0000-0000-0000-000000000000"})
        body = assert_error(resp, CURSOR_NOT_FOUND_STATUS, CURSOR_NOT_FOUND_CODE)
        assert "POST records/cursor.json" in body["message"]
        assert "id" in error_keys(await api.call(method, "records/cursor.json"))


# -- limits and life time --------------------------------------------------------------------------------------------


async def test_ten_cursors_per_domain_then_gaia_tm12(api: Api, sandbox: Sandbox) -> None:
    opened = [(await open_cursor(api, size=1))[0] for _ in range(10)]
    assert sandbox.open_cursor_count() == 10
    # Other users count towards the same domain-wide limit.
    resp = await api.as_(password_headers("sato")).post("records/cursor.json", {"app": DEALS})
    body = assert_error(resp, 400, "GAIA_TM12")
    assert "(10)" in body["message"]
    assert await api.ok("DELETE", "records/cursor.json", {"id": opened[0]}) == {}
    assert sandbox.open_cursor_count() == 9
    await open_cursor(api)
    assert_error(await api.post("records/cursor.json", {"app": CUSTOMERS}), 400, "GAIA_TM12")
    # Reading a cursor to its end frees its place as well.
    await read_all(api, opened[1])
    await open_cursor(api)


async def test_the_limit_is_configurable(clock: Clock) -> None:
    sb = make_sandbox(clock, cursor_limit=2)
    try:
        async with client_for(sb) as client:
            api = Api(client)
            await open_cursor(api)
            await open_cursor(api)
            assert_error(await api.post("records/cursor.json", {"app": CUSTOMERS}), 400, "GAIA_TM12")
    finally:
        sb.close()


async def test_a_cursor_expires_after_ten_idle_minutes(api: Api, sandbox: Sandbox, clock: Clock) -> None:
    kept, _ = await open_cursor(api, size=10)
    idle, _ = await open_cursor(api, size=10)
    clock.advance(minutes=9)
    await read_page(api, kept)  # use restarts the idle time
    clock.advance(minutes=1, seconds=1)
    assert sandbox.open_cursor_count() == 1
    resp = await api.get("records/cursor.json", params={"id": idle})
    assert_error(resp, CURSOR_NOT_FOUND_STATUS, CURSOR_NOT_FOUND_CODE)
    clock.advance(minutes=8)
    records, more = await read_page(api, kept)
    assert ids(records) == list(range(CUSTOMER_COUNT - 10, CUSTOMER_COUNT - 20, -1)) and more
    clock.advance(minutes=10, seconds=1)
    assert sandbox.open_cursor_count() == 0
    assert_error(
        await api.get("records/cursor.json", params={"id": kept}), CURSOR_NOT_FOUND_STATUS, CURSOR_NOT_FOUND_CODE
    )


async def test_expired_cursors_free_their_place(api: Api, clock: Clock) -> None:
    for _ in range(10):
        await open_cursor(api)
    assert_error(await api.post("records/cursor.json", {"app": CUSTOMERS}), 400, "GAIA_TM12")
    clock.advance(minutes=10, seconds=1)
    await open_cursor(api)


async def test_the_idle_timeout_is_configurable(clock: Clock) -> None:
    sb = make_sandbox(clock, cursor_idle_timeout=timedelta(seconds=30))
    try:
        async with client_for(sb) as client:
            api = Api(client)
            cursor_id, _ = await open_cursor(api, size=1)
            clock.advance(seconds=29)
            await read_page(api, cursor_id)
            clock.advance(seconds=31)
            assert sb.open_cursor_count() == 0
    finally:
        sb.close()


# -- who may use a cursor --------------------------------------------------------------------------------------------


async def test_a_cursor_belongs_to_its_creator(api: Api, sandbox: Sandbox) -> None:
    cursor_id, _ = await open_cursor(api, size=1)
    sato = api.as_(password_headers("sato"))
    for method in ("GET", "DELETE"):
        resp = await sato.call(method, "records/cursor.json", params={"id": cursor_id})
        assert_error(resp, CURSOR_NOT_FOUND_STATUS, CURSOR_NOT_FOUND_CODE)
    assert sandbox.open_cursor_count() == 1
    records, _ = await read_page(api, cursor_id)
    assert len(records) == 1


async def test_api_tokens_need_the_view_permission_of_the_app(sandbox: Sandbox, api: Api) -> None:
    tokens = sandbox.demo_tokens
    as_token = api.as_(token_headers(tokens[CUSTOMERS]))
    cursor_id, total = await open_cursor(as_token, size=50)
    assert total == CUSTOMER_COUNT
    records, _ = await read_page(as_token, cursor_id)
    assert len(records) == 50
    resp = await api.as_(token_headers(tokens[DEALS])).post("records/cursor.json", {"app": CUSTOMERS})
    assert_error(resp, 403, "GAIA_NO01")
    sandbox.add_api_token(CUSTOMERS, "add-only-token", ["add"])
    resp = await api.as_(token_headers("add-only-token")).post("records/cursor.json", {"app": CUSTOMERS})
    assert_error(resp, 403, "GAIA_NO01")


async def test_guest_space_apps_need_the_guest_path(api: Api) -> None:
    space = 2  # the demo guest space "Partner portal"
    guest = api.guest(space)
    created = await guest.ok("POST", "preview/app.json", {"name": "Guest app"})
    app = int(created["app"])
    await guest.ok(
        "POST",
        "preview/app/form/fields.json",
        {"app": app, "properties": {"title": {"type": "SINGLE_LINE_TEXT", "code": "title", "label": "Title"}}},
    )
    await guest.ok("POST", "preview/app/deploy.json", {"apps": [{"app": app}]})
    await guest.ok("POST", "records.json", {"app": app, "records": [{"title": {"value": f"t{i}"}} for i in range(3)]})
    assert_error(await api.post("records/cursor.json", {"app": app}), 400, "GAIA_IL23")
    cursor_id, total = await open_cursor(guest, app)
    assert total == 3
    assert_error(await api.get("records/cursor.json", params={"id": cursor_id}), 400, "GAIA_IL23")
    records, more = await read_page(guest, cursor_id)
    assert sorted(r["title"]["value"] for r in records) == ["t0", "t1", "t2"] and not more


async def test_over_a_real_socket(sandbox: Sandbox) -> None:
    with serve_in_thread(sandbox) as base_url:
        async with httpx2.AsyncClient(base_url=base_url, headers=password_headers()) as client:
            api = Api(client)
            cursor_id, total = await open_cursor(api, size=500)
            records, more = await read_page(api, cursor_id)
            assert len(records) == total == CUSTOMER_COUNT and not more
            assert sandbox.open_cursor_count() == 0


@pytest.mark.parametrize("method", ["POST", "GET", "DELETE"])
async def test_oauth_callers_are_refused(sandbox: Sandbox, api: Api, method: str) -> None:
    # OAuth authentication is not wired into the sandbox yet, so the handler is given an OAuth principal directly;
    # everything else about the call is real.
    cursor_id, _ = await open_cursor(api, size=1)
    endpoint = sandbox.router.resolve("kintone", method, "records/cursor.json")
    assert endpoint is not None
    with sandbox.store.reading() as conn:
        ctx = RequestContext(
            services=sandbox.services,
            conn=conn,
            principal=Principal(scheme="oauth", login="Administrator"),
            params=Params({"app": CUSTOMERS, "id": cursor_id}),
            guest_space=None,
            now=sandbox.now(),
        )
        with pytest.raises(ErrorReply) as refused:
            endpoint.handler(ctx)
    assert (refused.value.status, refused.value.code) == (OAUTH_REFUSED_STATUS, OAUTH_REFUSED_CODE)
    assert "OAuth" in refused.value.message
    assert sandbox.open_cursor_count() == 1


async def test_oauth_access_tokens_are_refused_over_http(clock: Clock) -> None:
    sb = make_sandbox(clock, oauth=OAuthConfig(clients=[oauth_flow.CLIENT]))
    try:
        async with client_for(sb) as client:
            bearer = Api(client, {"Authorization": f"Bearer {await oauth_flow.access_token(client)}"})
            # The same token reads records, so it is the cursor API that refuses it, not the token that is bad.
            assert (await bearer.ok("GET", "records.json", params={"app": CUSTOMERS}))["records"]
            cursor_id, _ = await open_cursor(Api(client), size=1)
            for resp in (
                await bearer.post("records/cursor.json", {"app": CUSTOMERS}),
                await bearer.get("records/cursor.json", params={"id": cursor_id}),
                await bearer.delete("records/cursor.json", {"id": cursor_id}),
            ):
                assert "OAuth" in assert_error(resp, OAUTH_REFUSED_STATUS, OAUTH_REFUSED_CODE)["message"]
            assert sb.open_cursor_count() == 1
    finally:
        sb.close()
