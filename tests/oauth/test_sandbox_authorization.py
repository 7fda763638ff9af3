"""The sandbox's authorization endpoint and code exchange, driven the way a browser and a client would."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import httpx2
import pytest

from kintone_mcp.sandbox import Sandbox
from kintone_mcp.sandbox.access.oauthclients import OAuthClientSpec
from tests.oauth.browser import BASE, Clock, approve, demo_client, form_fields, make_sandbox, query_of

pytestmark = pytest.mark.anyio


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


def auth_url(spec: OAuthClientSpec, **overrides: str | None) -> str:
    params = {
        "client_id": spec.client_id,
        "redirect_uri": spec.redirect_uri,
        "state": "st-123",
        "response_type": "code",
        "scope": "k:app_record:read k:app_record:write",
        **overrides,
    }
    return "/oauth2/authorization?" + urlencode({k: v for k, v in params.items() if v is not None})


async def exchange(http: httpx2.AsyncClient, spec: OAuthClientSpec, code: str, **extra: str) -> httpx2.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": spec.redirect_uri, **extra}
    return await http.post("/oauth2/token", data=form, auth=(spec.client_id, spec.client_secret))


async def code_for(http: httpx2.AsyncClient, spec: OAuthClientSpec, **overrides: str | None) -> str:
    answer = await approve(http, auth_url(spec, **overrides))
    assert answer.status_code == 302, answer.text
    return query_of(answer.headers["location"])["code"]


async def test_approval_redirects_with_code_and_state_and_the_code_buys_working_tokens(
    sb: Sandbox, http: httpx2.AsyncClient
) -> None:
    spec = demo_client(sb)
    page = await http.get(auth_url(spec))
    assert "k:app_record:read" in page.text and "k:app_record:write" in page.text
    assert "no-store" in page.headers["cache-control"]

    answer = await approve(http, auth_url(spec), login="sato")
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(spec.redirect_uri + "?")
    params = query_of(location)
    assert params["state"] == "st-123" and params["code"]

    tokens = await exchange(http, spec, params["code"])
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"].split() == ["k:app_record:read", "k:app_record:write"]
    assert body["refresh_token"] and body["access_token"] != body["refresh_token"]

    # The token acts as the user who approved: a record written with it is sato's.
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    added = await http.post("/k/v1/record.json", json={"app": 3, "record": {"subject": {"value": "t"}}},
                            headers=bearer)
    assert added.status_code == 200, added.text
    got = await http.get("/k/v1/record.json", params={"app": 3, "id": added.json()["id"]}, headers=bearer)
    assert got.json()["record"]["Created_by"]["value"]["code"] == "sato"


async def test_client_secret_in_the_form_body_is_accepted(sb: Sandbox, http: httpx2.AsyncClient) -> None:
    spec = demo_client(sb)
    code = await code_for(http, spec)
    answer = await http.post("/oauth2/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": spec.redirect_uri,
        "client_id": spec.client_id, "client_secret": spec.client_secret,
    })
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    ("auth", "form"),
    [
        (("kintone-mcp-demo", "wrong-secret"), {}),
        (None, {"client_id": "kintone-mcp-demo", "client_secret": "wrong-secret"}),
        (None, {}),
        (("nobody", "x"), {}),
    ],
    ids=["basic-wrong", "form-wrong", "none", "unknown-client"],
)
async def test_client_authentication_failures_are_invalid_client(
    sb: Sandbox, http: httpx2.AsyncClient, auth: tuple[str, str] | None, form: dict[str, str]
) -> None:
    spec = demo_client(sb)
    code = await code_for(http, spec)
    answer = await http.post(
        "/oauth2/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": spec.redirect_uri, **form},
        auth=auth,
    )
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"
    assert "wrong-secret" not in answer.text


async def test_basic_credentials_are_form_decoded_as_rfc_6749_says() -> None:
    sb = make_sandbox(clients=[OAuthClientSpec("id with space", "s:e/c+r%t", "http://127.0.0.1:9/cb")])
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=sb.asgi_app), base_url=BASE) as client:
        spec = OAuthClientSpec("id with space", "s:e/c+r%t", "http://127.0.0.1:9/cb")
        code = await code_for(client, spec)
        encoded = base64.b64encode(b"id+with+space:s%3Ae%2Fc%2Br%25t").decode()
        answer = await client.post(
            "/oauth2/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": spec.redirect_uri},
            headers={"Authorization": f"Basic {encoded}"},
        )
    assert answer.status_code == 200, answer.text


async def test_denying_redirects_with_access_denied(sb: Sandbox, http: httpx2.AsyncClient) -> None:
    answer = await approve(http, auth_url(demo_client(sb)), action="deny")
    assert answer.status_code == 302
    params = query_of(answer.headers["location"])
    assert params["error"] == "access_denied" and params["state"] == "st-123"
    assert "code" not in params


async def test_a_wrong_password_shows_the_page_again_without_redirecting(sb: Sandbox, http: httpx2.AsyncClient) -> None:
    answer = await approve(http, auth_url(demo_client(sb)), password="not-the-password")
    assert answer.status_code == 401
    assert "location" not in answer.headers
    assert "incorrect" in answer.text
    assert "not-the-password" not in answer.text
    # The form still carries the request, so the user can try again.
    assert form_fields(answer.text)["state"] == "st-123"


@pytest.mark.parametrize(
    "overrides",
    [{"client_id": "unknown"}, {"redirect_uri": "http://127.0.0.1:1/elsewhere"}, {"redirect_uri": None}],
    ids=["unknown-client", "other-redirect", "no-redirect"],
)
async def test_unknown_client_or_redirect_mismatch_never_redirects(
    sb: Sandbox, http: httpx2.AsyncClient, overrides: dict[str, str | None]
) -> None:
    answer = await http.get(auth_url(demo_client(sb), **overrides))
    assert answer.status_code == 400
    assert "location" not in answer.headers
    assert "<form" not in answer.text


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"state": None}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "k:app_record:read g:schedule:read"}, "invalid_scope"),
        ({"scope": None}, "invalid_scope"),
        ({"code_challenge": "abc", "code_challenge_method": "MD5"}, "invalid_request"),
    ],
    ids=["no-state", "implicit", "unknown-scope", "no-scope", "bad-pkce-method"],
)
async def test_bad_requests_from_a_known_client_are_reported_by_redirect(
    sb: Sandbox, http: httpx2.AsyncClient, overrides: dict[str, str | None], error: str
) -> None:
    answer = await http.get(auth_url(demo_client(sb), **overrides))
    assert answer.status_code == 302
    params = query_of(answer.headers["location"])
    assert params["error"] == error
    assert params.get("state") == overrides.get("state", "st-123")


async def test_codes_are_single_use_and_a_replay_revokes_what_the_first_use_issued(
    sb: Sandbox, http: httpx2.AsyncClient
) -> None:
    spec = demo_client(sb)
    code = await code_for(http, spec)
    first = await exchange(http, spec, code)
    assert first.status_code == 200
    access = first.json()["access_token"]
    assert (await http.get("/k/v1/records.json", params={"app": 1},
                           headers={"Authorization": f"Bearer {access}"})).status_code == 200

    replay = await exchange(http, spec, code)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert "already used" in replay.json()["error_description"]
    after = await http.get("/k/v1/records.json", params={"app": 1}, headers={"Authorization": f"Bearer {access}"})
    assert after.status_code == 401
    refreshed = await http.post("/oauth2/token", data={"grant_type": "refresh_token",
                                                       "refresh_token": first.json()["refresh_token"]},
                                auth=(spec.client_id, spec.client_secret))
    assert refreshed.json()["error"] == "invalid_grant"


async def test_codes_expire(sb: Sandbox, http: httpx2.AsyncClient, clock: Clock) -> None:
    spec = demo_client(sb)
    code = await code_for(http, spec)
    clock.advance(10 * 60 + 1)
    answer = await exchange(http, spec, code)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
    assert "expired" in answer.json()["error_description"]


async def test_a_code_is_bound_to_its_redirect_uri_and_its_client(sb: Sandbox, http: httpx2.AsyncClient) -> None:
    spec = demo_client(sb)
    code = await code_for(http, spec)
    wrong = await http.post("/oauth2/token", data={"grant_type": "authorization_code", "code": code,
                                                   "redirect_uri": "http://127.0.0.1:1/other"},
                            auth=(spec.client_id, spec.client_secret))
    assert wrong.json()["error"] == "invalid_grant"
    assert "redirect_uri" in wrong.json()["error_description"]

    other = make_sandbox(clients=[OAuthClientSpec("other", "other-secret", spec.redirect_uri)])
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=other.asgi_app), base_url=BASE) as client:
        own = await code_for(client, demo_client(other))
        stolen = await client.post("/oauth2/token", data={"grant_type": "authorization_code", "code": own,
                                                          "redirect_uri": spec.redirect_uri},
                                   auth=("other", "other-secret"))
    assert stolen.json()["error"] == "invalid_grant"


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("pkce", "verifier", "ok"),
    [("verify", "v" * 50, True), ("verify", "w" * 50, False), ("verify", None, False), ("ignore", "w" * 50, True)],
    ids=["verify-match", "verify-mismatch", "verify-missing", "ignore"],
)
async def test_pkce(clock: Clock, pkce: str, verifier: str | None, ok: bool) -> None:
    sb = make_sandbox(clock, pkce=pkce)
    spec = demo_client(sb)
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=sb.asgi_app), base_url=BASE) as http:
        code = await code_for(http, spec, code_challenge=_s256("v" * 50), code_challenge_method="S256")
        answer = await exchange(http, spec, code, **({"code_verifier": verifier} if verifier else {}))
    assert (answer.status_code == 200) is ok, answer.text


@pytest.mark.parametrize(
    ("form", "headers", "error"),
    [
        ({"grant_type": "password", "username": "sato", "password": "sandbox"}, {}, "unsupported_grant_type"),
        ({"grant_type": "client_credentials"}, {}, "unsupported_grant_type"),
    ],
)
async def test_only_the_code_and_refresh_grants_exist(
    sb: Sandbox, http: httpx2.AsyncClient, form: dict[str, str], headers: dict[str, str], error: str
) -> None:
    spec = demo_client(sb)
    answer = await http.post("/oauth2/token", data=form, headers=headers, auth=(spec.client_id, spec.client_secret))
    assert answer.status_code == 400 and answer.json()["error"] == error


async def test_the_token_endpoint_wants_a_form(sb: Sandbox, http: httpx2.AsyncClient) -> None:
    spec = demo_client(sb)
    answer = await http.post("/oauth2/token", json={"grant_type": "refresh_token"},
                             auth=(spec.client_id, spec.client_secret))
    assert answer.status_code == 400
    assert "x-www-form-urlencoded" in answer.json()["error_description"]
