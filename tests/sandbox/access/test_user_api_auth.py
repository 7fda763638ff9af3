"""Who may call the User API: passwords (administrators for writes), User API tokens (scope, expiry, revocation),
app API tokens refused on /v1/, User API tokens refused on /k/, the Basic gate, the CLI flag and the demo token."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
from sandbox_api import Api, assert_error, client_for, password_headers, token_headers

from kintone_mcp.commands.main import build_parser
from kintone_mcp.commands.sandbox import banner, build_config
from kintone_mcp.sandbox import Sandbox, SandboxConfig, UserApiTokenSpec, serve_in_thread

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
READ = "cy.s.api1.read.token.one"
READ_WRITE = "cy.s.api1.readwrite.token.two"
DANGEROUS = "cy.s.api1.dangerous.token.three"
EXPIRING = "cy.s.api1.expiring.token.four"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sandbox(clock: Clock) -> Iterator[Sandbox]:
    sb = Sandbox(
        SandboxConfig(
            demo=True,
            demo_records=5,
            clock=clock,
            user_api_tokens=[
                UserApiTokenSpec(READ, "read"),
                UserApiTokenSpec(READ_WRITE, "read_write"),
                UserApiTokenSpec(DANGEROUS, "dangerous"),
                UserApiTokenSpec(EXPIRING, "read_write", NOW + timedelta(hours=1)),
            ],
        )
    )
    yield sb
    sb.close()


NEW_USER = {"users": [{"code": "newbie", "password": "pw", "name": "New Bie"}]}

#: One request per write endpoint, each valid for the demo data, and the scope a User API token needs for it.
WRITES: list[tuple[str, str, dict[str, Any], str]] = [
    ("POST", "users.json", NEW_USER, "read_write"),
    ("PUT", "users.json", {"users": [{"code": "sato", "phone": "03-0000"}]}, "read_write"),
    ("DELETE", "users.json", {"codes": ["watanabe"]}, "read_write"),
    ("PUT", "userOrganizations.json", {"userOrganizations": [{"code": "sato", "organizations": []}]}, "read_write"),
    ("POST", "organizations.json", {"organizations": [{"code": "legal", "name": "Legal"}]}, "read_write"),
    ("PUT", "organizations.json", {"organizations": [{"code": "sales", "name": "Sales & Marketing"}]}, "read_write"),
    ("DELETE", "organizations.json", {"codes": ["engineering"]}, "read_write"),
    ("POST", "groups.json", {"groups": [{"code": "auditors", "name": "Auditors"}]}, "read_write"),
    ("PUT", "groups.json", {"groups": [{"code": "managers", "description": "People managers"}]}, "read_write"),
    ("DELETE", "groups.json", {"codes": ["managers"]}, "read_write"),
    ("PUT", "user/groups.json", {"code": "sato", "groups": ["everyone"]}, "dangerous"),
    ("PUT", "group/users.json", {"code": "managers", "users": ["sato"]}, "dangerous"),
    # Anything touching the Administrators group or its members.
    ("PUT", "users.json", {"users": [{"code": "Administrator", "phone": "1"}]}, "dangerous"),
    (
        "PUT",
        "userOrganizations.json",
        {"userOrganizations": [{"code": "Administrator", "organizations": [{"orgCode": "sales"}]}]},
        "dangerous",
    ),
    ("PUT", "groups.json", {"groups": [{"code": "Administrators", "description": "Admins"}]}, "dangerous"),
]
SCOPE_TOKENS = {"read": READ, "read_write": READ_WRITE, "dangerous": DANGEROUS}
RANK = ["read", "read_write", "dangerous"]
GETS = [
    ("users.json", {}),
    ("organizations.json", {}),
    ("groups.json", {}),
    ("user/organizations.json", {"code": "sato"}),
    ("user/groups.json", {"code": "sato"}),
    ("organization/users.json", {"code": "sales"}),
    ("group/users.json", {"code": "managers"}),
]


@pytest.mark.parametrize("scope", RANK)
async def test_every_scope_reads_everything(api: Api, scope: str) -> None:
    as_token = api.as_(bearer(SCOPE_TOKENS[scope]))
    for path, params in GETS:
        await as_token.ok("GET", f"/v1/{path}", params=params)


@pytest.mark.parametrize(("method", "path", "body", "needed"), WRITES)
@pytest.mark.parametrize("scope", RANK)
async def test_each_write_needs_its_scope(
    api: Api, method: str, path: str, body: dict[str, Any], needed: str, scope: str
) -> None:
    resp = await api.as_(bearer(SCOPE_TOKENS[scope])).call(method, f"/v1/{path}", body)
    if RANK.index(scope) >= RANK.index(needed):
        assert resp.status_code == 200, resp.text
        assert resp.json() == {}
    else:
        message = assert_error(resp, 403, "CB_NO02")["message"]
        # The message names the token's scope and a wider one it lacks (read_write first, for a read token).
        wider = RANK[RANK.index(scope) + 1 :]
        assert f"has '{scope}'" in message and any(f"'{w}' scope" in message for w in wider), message
        assert SCOPE_TOKENS[scope] not in message


@pytest.mark.parametrize(("method", "path", "body", "needed"), WRITES)
async def test_writes_with_a_password_need_an_administrator(
    api: Api, method: str, path: str, body: dict[str, Any], needed: str
) -> None:
    message = assert_error(await api.as_(password_headers("sato")).call(method, f"/v1/{path}", body), 403, "CB_NO02")
    assert "sato is not in the Administrators group" in message["message"]
    assert (await api.ok(method, f"/v1/{path}", body)) == {}


async def test_a_member_of_administrators_may_write_with_a_password(api: Api) -> None:
    as_tanaka = api.as_(password_headers("tanaka"))
    assert_error(await as_tanaka.post("/v1/groups.json", {"groups": [{"code": "x", "name": "X"}]}), 403, "CB_NO02")
    await api.ok("PUT", "/v1/group/users.json", {"code": "Administrators", "users": ["Administrator", "tanaka"]})
    assert await as_tanaka.ok("POST", "/v1/groups.json", {"groups": [{"code": "x", "name": "X"}]}) == {}
    # tanaka is now a member of Administrators, so changing tanaka needs the dangerous scope.
    resp = await api.as_(bearer(READ_WRITE)).put("/v1/users.json", {"users": [{"code": "tanaka", "phone": "1"}]})
    assert_error(resp, 403, "CB_NO02")


async def test_a_refused_write_changes_nothing(api: Api) -> None:
    before = await api.ok("GET", "/v1/users.json")
    assert_error(await api.as_(bearer(READ)).post("/v1/users.json", NEW_USER), 403, "CB_NO02")
    assert_error(
        await api.as_(password_headers("sato")).delete("/v1/users.json", {"codes": ["tanaka"]}), 403, "CB_NO02"
    )
    assert await api.ok("GET", "/v1/users.json") == before


async def test_expiry_follows_the_sandbox_clock(api: Api, clock: Clock) -> None:
    as_token = api.as_(bearer(EXPIRING))
    await as_token.ok("GET", "/v1/users.json")
    await as_token.ok("POST", "/v1/groups.json", {"groups": [{"code": "g1", "name": "G1"}]})
    clock.now = NOW + timedelta(minutes=59, seconds=59)
    await as_token.ok("GET", "/v1/users.json")
    clock.now = NOW + timedelta(hours=1)
    body = assert_error(await as_token.get("/v1/users.json"), 401, "CB_AU01")
    assert "expired at 2026-03-01T10:00:00Z" in body["message"] and EXPIRING not in body["message"]
    # Other tokens keep working.
    await api.as_(bearer(READ)).ok("GET", "/v1/users.json")


async def test_unknown_and_revoked_tokens_are_401_without_echo(api: Api, sandbox: Sandbox) -> None:
    for token in ("cy.s.api1.not.a.token", "plainstring"):
        resp = await api.as_(bearer(token)).get("/v1/users.json")
        assert_error(resp, 401, "CB_AU01")
        assert token not in resp.text
    await api.as_(bearer(READ_WRITE)).ok("GET", "/v1/users.json")
    assert sandbox.revoke_user_api_token(READ_WRITE) is True
    assert sandbox.revoke_user_api_token("never-issued") is False
    body = assert_error(await api.as_(bearer(READ_WRITE)).get("/v1/users.json"), 401, "CB_AU01")
    assert "revoked" in body["message"]
    # Issuing it again (as the CLI does at start-up) makes it usable again.
    sandbox.add_user_api_token(READ_WRITE, "read")
    await api.as_(bearer(READ_WRITE)).ok("GET", "/v1/users.json")
    assert_error(await api.as_(bearer(READ_WRITE)).post("/v1/users.json", NEW_USER), 403, "CB_NO02")


async def test_app_api_tokens_cannot_call_the_user_api(api: Api, sandbox: Sandbox) -> None:
    app_token = sandbox.demo_tokens[1]
    for path, params in GETS:
        resp = await api.as_(token_headers(app_token)).get(f"/v1/{path}", params)
        body = assert_error(resp, 403, "GAIA_NO01")
        assert "app API tokens cannot call the User API" in body["message"]
        assert app_token not in resp.text
    # Even an unknown app token gets the same clear answer (the kind of credential is wrong, not its value).
    assert_error(await api.as_(token_headers("nosuchtoken")).post("/v1/users.json", NEW_USER), 403, "GAIA_NO01")


@pytest.mark.parametrize("path", ["app.json?id=1", "records.json?app=1", "apps.json"])
async def test_user_api_tokens_are_refused_on_kintone_paths(api: Api, path: str) -> None:
    for token in (READ, DANGEROUS):
        resp = await api.client.get(f"/k/v1/{path}", headers=bearer(token))
        body = assert_error(resp, 401, "CB_AU01")
        assert "only the cybozu.com User API" in body["message"] and token not in resp.text
    resp = await api.client.get(f"/k/guest/2/v1/{path.replace('=1', '=4')}", headers=bearer(DANGEROUS))
    assert_error(resp, 401, "CB_AU01")


async def test_password_wins_over_a_bearer_token(api: Api) -> None:
    headers = {**password_headers("sato"), **bearer(DANGEROUS)}
    resp = await api.as_(headers).post("/v1/users.json", NEW_USER)
    assert "sato is not in the Administrators group" in assert_error(resp, 403, "CB_NO02")["message"]


async def test_login_errors(api: Api) -> None:
    body = assert_error(await api.as_({}).get("/v1/users.json"), 401, "CB_AU01")
    assert "User API token" in body["message"]
    assert_error(await api.as_(password_headers("sato", "wrong")).get("/v1/users.json"), 401, "CB_WA01")


async def test_the_basic_gate_leaves_no_room_for_a_user_api_token() -> None:
    sb = Sandbox(
        SandboxConfig(
            demo=True,
            demo_records=5,
            basic_auth=("gate", "gatepw"),
            user_api_tokens=[UserApiTokenSpec(DANGEROUS, "dangerous")],
        )
    )
    gate = {"Authorization": "Basic " + base64.b64encode(b"gate:gatepw").decode()}
    async with client_for(sb) as client:
        body = assert_error(await Api(client, bearer(DANGEROUS)).get("/v1/users.json"), 401, "CB_AU01")
        assert "Bearer token" in body["message"] and "cannot be used" in body["message"]
        # With the gate's credentials in Authorization there is nowhere left for the token.
        assert_error(await Api(client, gate).get("/v1/users.json"), 401, "CB_AU01")
        users = await Api(client, {**gate, **password_headers()}).ok("GET", "/v1/users.json")
        assert len(users["users"]) == 6
    sb.close()


async def test_user_api_token_over_a_real_socket(sandbox: Sandbox) -> None:
    with serve_in_thread(sandbox) as base_url:
        async with httpx2.AsyncClient(base_url=base_url) as client:
            resp = await client.get("/v1/group/users.json", params={"code": "managers"}, headers=bearer(READ))
            assert resp.status_code == 200, resp.text
            assert [u["code"] for u in resp.json()["users"]] == ["sato", "takahashi"]
            resp = await client.post("/v1/users.json", json=NEW_USER, headers=bearer(READ))
            assert_error(resp, 403, "CB_NO02")


# -- the demo token and the CLI ---------------------------------------------------------------------------------------


def _b64url_json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


async def test_demo_token_is_realistic_deterministic_and_read_only() -> None:
    a, b, c = (Sandbox(SandboxConfig(demo=True, demo_records=5, seed=s)) for s in (1, 1, 2))
    token = a.demo_user_api_token
    assert token is not None and token == b.demo_user_api_token and token != c.demo_user_api_token
    prefix, header, payload, signature = token.rsplit(".", 3)
    assert prefix == "cy.s.api1"
    assert _b64url_json(header)["typ"] == "JWT" and "rand" in _b64url_json(payload)
    assert len(base64.urlsafe_b64decode(signature + "=")) == 32
    async with client_for(a) as client:
        api = Api(client, bearer(token))
        assert len((await api.ok("GET", "/v1/users.json"))["users"]) == 6
        assert_error(await api.post("/v1/users.json", NEW_USER), 403, "CB_NO02")
    for sb in (a, b, c):
        sb.close()


def test_no_demo_token_without_demo_data_or_when_tokens_are_given() -> None:
    assert Sandbox(SandboxConfig(demo=False)).demo_user_api_token is None
    given = Sandbox(SandboxConfig(demo=True, demo_records=5, user_api_tokens=[UserApiTokenSpec(READ)]))
    assert given.demo_user_api_token is None


def _config(*argv: str) -> SandboxConfig:
    return build_config(build_parser().parse_args(["sandbox", *argv]))


def test_cli_user_api_token_flag() -> None:
    config = _config(
        "--user-api-token",
        "cy.s.api1.a.b.c:read",
        "--user-api-token",
        "cy.s.api1.d.e.f:dangerous:2026-12-31T18:00:00+09:00",
        "--user-api-token",
        "cy.s.api1.g.h.i:read_write:2026-12-31",
    )
    assert [(t.token, t.scope) for t in config.user_api_tokens] == [
        ("cy.s.api1.a.b.c", "read"),
        ("cy.s.api1.d.e.f", "dangerous"),
        ("cy.s.api1.g.h.i", "read_write"),
    ]
    assert config.user_api_tokens[0].expires is None
    assert config.user_api_tokens[1].expires == datetime(2026, 12, 31, 9, 0, tzinfo=UTC)
    # A bare date is valid through that (UTC) day.
    assert config.user_api_tokens[2].expires == datetime(2027, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("value", ["tok", "tok:admin", ":read", "tok:read:tomorrow", "tok:read:2026-13-01"])
def test_cli_user_api_token_flag_rejects_bad_values(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _config("--user-api-token", value)
    assert "--user-api-token" in capsys.readouterr().err


def test_banner_prints_the_demo_token_and_given_tokens() -> None:
    demo_config = _config("--demo-records", "5")
    sb = Sandbox(demo_config)
    lines = banner(sb, "http://127.0.0.1:1", demo_config, fresh=True)
    assert f"  {sb.demo_user_api_token}  (demo, read)" in lines
    assert any(line.startswith("User API tokens (Authorization: Bearer TOKEN") for line in lines)
    given = _config("--empty", "--basic-auth", "g:p", "--user-api-token", "cy.s.api1.x.y.z:read_write:2027-01-01")
    lines = banner(Sandbox(given), "http://127.0.0.1:1", given, fresh=True)
    assert "  cy.s.api1.x.y.z  (read_write, expires 2027-01-02T00:00:00+00:00)" in lines
    assert any("unusable while the Basic gate is on" in line for line in lines)
