"""Sandbox access and refresh tokens: expiry on the sandbox clock, refresh in every rotation mode, revocation,
per-endpoint scopes and the endpoints that refuse OAuth."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx2
import pytest

from kintone_mcp.sandbox import Sandbox
from kintone_mcp.sandbox.access import oauthstore
from kintone_mcp.sandbox.access.oauthscopes import REFUSED, required_scope
from tests.oauth.browser import ALL_SCOPES, BASE, Clock, approve, demo_client, make_sandbox, query_of

pytestmark = pytest.mark.anyio


async def sign_in(
    http: httpx2.AsyncClient, sb: Sandbox, scope: str = ALL_SCOPES, login: str = "sato"
) -> dict[str, Any]:
    spec = demo_client(sb)
    url = "/oauth2/authorization?" + urlencode({
        "client_id": spec.client_id, "redirect_uri": spec.redirect_uri, "state": "s", "response_type": "code",
        "scope": scope,
    })
    answer = await approve(http, url, login=login)
    code = query_of(answer.headers["location"])["code"]
    tokens = await http.post("/oauth2/token", data={"grant_type": "authorization_code", "code": code,
                                                    "redirect_uri": spec.redirect_uri},
                             auth=(spec.client_id, spec.client_secret))
    assert tokens.status_code == 200, tokens.text
    body: dict[str, Any] = tokens.json()
    return body


async def refresh(http: httpx2.AsyncClient, sb: Sandbox, refresh_token: str, **extra: str) -> httpx2.Response:
    spec = demo_client(sb)
    return await http.post("/oauth2/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token,
                                                  **extra}, auth=(spec.client_id, spec.client_secret))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sb(clock: Clock) -> Sandbox:
    return make_sandbox(clock)


@pytest.fixture
async def http(sb: Sandbox) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=sb.asgi_app), base_url=BASE) as client:
        yield client


async def records(http: httpx2.AsyncClient, token: str) -> httpx2.Response:
    return await http.get("/k/v1/records.json", params={"app": 1}, headers=bearer(token))


async def test_access_tokens_expire_on_the_sandbox_clock(sb: Sandbox, http: httpx2.AsyncClient, clock: Clock) -> None:
    tokens = await sign_in(http, sb)
    clock.advance(3599)
    assert (await records(http, tokens["access_token"])).status_code == 200
    clock.advance(1)
    expired = await records(http, tokens["access_token"])
    assert expired.status_code == 401
    assert expired.json()["code"] == "CB_AU01"
    assert 'error="invalid_token"' in expired.headers["www-authenticate"]
    assert "expired" in expired.json()["message"]


async def test_the_lifetime_is_configurable(clock: Clock) -> None:
    sb = make_sandbox(clock, access_token_lifetime=timedelta(seconds=60))
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=sb.asgi_app), base_url=BASE) as http:
        tokens = await sign_in(http, sb)
        assert tokens["expires_in"] == 60
        clock.advance(60)
        assert (await records(http, tokens["access_token"])).status_code == 401


@pytest.mark.parametrize("rotation", ["reuse", "rotate", "omit"])
async def test_refresh_in_every_rotation_mode(clock: Clock, rotation: str) -> None:
    sb = make_sandbox(clock, refresh_rotation=rotation)
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=sb.asgi_app), base_url=BASE) as http:
        tokens = await sign_in(http, sb)
        clock.advance(4000)
        answer = await refresh(http, sb, tokens["refresh_token"])
        assert answer.status_code == 200, answer.text
        fresh = answer.json()
        assert fresh["access_token"] != tokens["access_token"]
        assert (await records(http, fresh["access_token"])).status_code == 200
        again = await refresh(http, sb, tokens["refresh_token"])
        if rotation == "reuse":
            assert fresh["refresh_token"] == tokens["refresh_token"]
            assert again.status_code == 200
        elif rotation == "rotate":
            assert fresh["refresh_token"] != tokens["refresh_token"]
            assert again.json()["error"] == "invalid_grant"
            assert (await refresh(http, sb, fresh["refresh_token"])).status_code == 200
        else:
            assert "refresh_token" not in fresh
            assert again.status_code == 200


async def test_refresh_tokens_can_have_a_lifetime(clock: Clock) -> None:
    sb = make_sandbox(clock, refresh_token_lifetime=timedelta(days=1))
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=sb.asgi_app), base_url=BASE) as http:
        tokens = await sign_in(http, sb)
        clock.advance(86400)
        answer = await refresh(http, sb, tokens["refresh_token"])
    assert answer.json()["error"] == "invalid_grant" and "expired" in answer.json()["error_description"]


async def test_a_refresh_may_narrow_the_scope_but_not_widen_it(sb: Sandbox, http: httpx2.AsyncClient) -> None:
    tokens = await sign_in(http, sb, scope="k:app_record:read k:app_settings:read")
    narrowed = await refresh(http, sb, tokens["refresh_token"], scope="k:app_record:read")
    assert narrowed.json()["scope"] == "k:app_record:read"
    widened = await refresh(http, sb, tokens["refresh_token"], scope="k:app_record:read k:file:write")
    assert widened.json()["error"] == "invalid_scope"
    assert "k:file:write" in widened.json()["error_description"]


async def test_revocation_kills_access_and_refresh_tokens(sb: Sandbox, http: httpx2.AsyncClient) -> None:
    sato = await sign_in(http, sb, login="sato")
    suzuki = await sign_in(http, sb, login="suzuki")
    with sb.store.transaction() as conn:
        assert oauthstore.revoke(conn, login="sato") == 2
    assert (await records(http, sato["access_token"])).status_code == 401
    dead = await refresh(http, sb, sato["refresh_token"])
    assert dead.status_code == 400 and dead.json()["error"] == "invalid_grant"
    assert "revoked" in dead.json()["error_description"]
    assert (await records(http, suzuki["access_token"])).status_code == 200


async def test_tokens_are_stored_as_digests_only(sb: Sandbox, http: httpx2.AsyncClient) -> None:
    tokens = await sign_in(http, sb)
    with sb.store.reading() as conn:
        dump = "\n".join(conn.iterdump())
    assert tokens["access_token"] not in dump and tokens["refresh_token"] not in dump


# -- scopes ---------------------------------------------------------------------------------------------------------

#: (method, path, params or body, the scope it needs)
SCOPED_CALLS: list[tuple[str, str, dict[str, Any], str]] = [
    ("GET", "record.json", {"app": 1, "id": 1}, "k:app_record:read"),
    ("GET", "records.json", {"app": 1}, "k:app_record:read"),
    ("GET", "record/comments.json", {"app": 1, "record": 1}, "k:app_record:read"),
    ("POST", "record.json", {"app": 3, "record": {}}, "k:app_record:write"),
    ("PUT", "records.json", {"app": 1, "records": []}, "k:app_record:write"),
    ("DELETE", "records.json", {"app": 1, "ids": []}, "k:app_record:write"),
    ("POST", "record/comment.json", {"app": 1, "record": 1, "comment": {"text": "x"}}, "k:app_record:write"),
    ("PUT", "record/status.json", {"app": 3, "id": 1, "action": "x"}, "k:app_record:write"),
    ("GET", "apps.json", {}, "k:app_settings:read"),
    ("GET", "app.json", {"id": 1}, "k:app_settings:read"),
    ("GET", "app/form/fields.json", {"app": 1}, "k:app_settings:read"),
    ("GET", "preview/app/form/fields.json", {"app": 1}, "k:app_settings:read"),
    ("PUT", "preview/app/settings.json", {"app": 1, "name": "Customers"}, "k:app_settings:write"),
    ("POST", "preview/app/deploy.json", {"apps": [{"app": 1}]}, "k:app_settings:write"),
    ("GET", "file.json", {"fileKey": "none"}, "k:file:read"),
]


@pytest.mark.parametrize(
    ("method", "path", "args", "scope"), SCOPED_CALLS, ids=[f"{c[0]} {c[1]}" for c in SCOPED_CALLS]
)
async def test_each_endpoint_needs_its_scope(
    sb: Sandbox, http: httpx2.AsyncClient, method: str, path: str, args: dict[str, Any], scope: str
) -> None:
    assert required_scope(method, path) == scope
    others = " ".join(s for s in ALL_SCOPES.split() if s != scope)
    without = await sign_in(http, sb, scope=others, login="Administrator")
    with_it = await sign_in(http, sb, scope=scope, login="Administrator")

    async def call(token: str) -> httpx2.Response:
        if method == "GET":
            return await http.get(f"/k/v1/{path}", params=args, headers=bearer(token))
        return await http.request(method, f"/k/v1/{path}", json=args, headers=bearer(token))

    refused = await call(without["access_token"])
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "CB_NO02"
    assert scope in refused.json()["message"]
    assert f'scope="{scope}"' in refused.headers["www-authenticate"]
    allowed = await call(with_it["access_token"])
    # Past the scope check the call may still fail for its own reasons (a missing file), never for the scope.
    assert "OAuth scope" not in allowed.text, allowed.text


async def test_file_upload_needs_file_write(sb: Sandbox, http: httpx2.AsyncClient) -> None:
    read_only = await sign_in(http, sb, scope="k:file:read")
    writer = await sign_in(http, sb, scope="k:file:write")
    files = {"file": ("a.txt", b"hello", "text/plain")}
    refused = await http.post("/k/v1/file.json", files=files, headers=bearer(read_only["access_token"]))
    assert refused.status_code == 403 and "k:file:write" in refused.json()["message"]
    uploaded = await http.post("/k/v1/file.json", files=files, headers=bearer(writer["access_token"]))
    assert uploaded.status_code == 200 and uploaded.json()["fileKey"]


async def test_the_scope_error_answer_is_configurable(clock: Clock) -> None:
    sb = make_sandbox(clock, scope_error_status=401, scope_error_code="CB_OA01")
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=sb.asgi_app), base_url=BASE) as http:
        tokens = await sign_in(http, sb, scope="k:app_record:read")
        answer = await http.get("/k/v1/app.json", params={"id": 1}, headers=bearer(tokens["access_token"]))
    assert answer.status_code == 401 and answer.json()["code"] == "CB_OA01"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "records/cursor.json", {"app": 1}),
        ("POST", "bulkRequest.json", {"requests": [{"method": "POST", "api": "/k/v1/record.json",
                                                     "payload": {"app": 3, "record": {}}}]}),
    ],
)
async def test_cursor_and_bulk_refuse_oauth_whatever_the_scopes(
    sb: Sandbox, http: httpx2.AsyncClient, method: str, path: str, body: dict[str, Any]
) -> None:
    tokens = await sign_in(http, sb, login="Administrator")
    answer = await http.request(method, f"/k/v1/{path}", json=body, headers=bearer(tokens["access_token"]))
    assert answer.status_code == 403
    assert "cannot be used with OAuth" in answer.json()["message"]


@pytest.mark.parametrize("path", ["space.json", "space/members.json", "space/thread.json", "spaces/statistics.json",
                                  "guests.json", "template/space.json", "records/cursor.json", "bulkRequest.json"])
def test_the_space_cursor_and_bulk_apis_are_marked_refused(path: str) -> None:
    for method in ("GET", "POST", "PUT", "DELETE"):
        assert required_scope(method, path) == REFUSED


async def test_the_user_api_does_not_take_oauth_tokens(sb: Sandbox, http: httpx2.AsyncClient) -> None:
    tokens = await sign_in(http, sb, login="Administrator")
    answer = await http.get("/v1/users.json", headers=bearer(tokens["access_token"]))
    assert answer.status_code == 401
