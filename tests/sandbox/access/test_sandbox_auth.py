"""Authentication and permission matrix of the sandbox (docs/kintone-api.md §2)."""

from __future__ import annotations

import base64

import pytest
from sandbox_api import Api, assert_error, client_for, password_headers, token_headers

from kintone_mcp.sandbox import ApiTokenSpec, Sandbox, SandboxConfig

pytestmark = pytest.mark.anyio


async def test_no_credentials_is_cb_au01(demo_api: Api) -> None:
    assert_error(await demo_api.as_({}).get("app.json", {"id": 1}), 401, "CB_AU01")


@pytest.mark.parametrize(
    "header",
    [
        password_headers("Administrator", "wrong"),
        password_headers("nobody", "sandbox"),
        {"X-Cybozu-Authorization": "not base64!"},
        {"X-Cybozu-Authorization": base64.b64encode(b"no-colon").decode()},
    ],
    ids=["wrong-password", "unknown-user", "not-base64", "no-colon"],
)
async def test_failed_password_is_cb_wa01_and_does_not_echo_it(demo_api: Api, header: dict[str, str]) -> None:
    resp = await demo_api.as_(header).get("app.json", {"id": 1})
    body = assert_error(resp, 401, "CB_WA01")
    assert "wrong" not in resp.text and header["X-Cybozu-Authorization"] not in resp.text, body


async def test_each_error_gets_a_fresh_id(demo_api: Api) -> None:
    first = assert_error(await demo_api.as_({}).get("app.json", {"id": 1}), 401, "CB_AU01")
    second = assert_error(await demo_api.as_({}).get("app.json", {"id": 1}), 401, "CB_AU01")
    assert first["id"] != second["id"]


async def test_demo_users_log_in(demo_api: Api) -> None:
    for login in ("Administrator", "sato", "suzuki", "tanaka", "takahashi", "watanabe"):
        resp = await demo_api.as_(password_headers(login)).get("app.json", {"id": 1})
        assert resp.status_code == 200, (login, resp.text)


async def test_token_reads_its_app_only(demo_api: Api, demo_sandbox: Sandbox) -> None:
    tokens = demo_sandbox.demo_tokens
    assert sorted(tokens) == [1, 2, 3, 5]
    api = demo_api.as_(token_headers(tokens[1]))
    assert (await api.get("app.json", {"id": 1})).json()["appId"] == "1"
    body = assert_error(await api.get("records.json", {"app": 2}), 403, "GAIA_NO01")
    assert tokens[1] not in body["message"]


async def test_unknown_token_is_gaia_ia02_without_echo(demo_api: Api) -> None:
    resp = await demo_api.as_(token_headers("nosuchtoken123")).get("app.json", {"id": 1})
    assert_error(resp, 400, "GAIA_IA02")
    assert "nosuchtoken123" not in resp.text


async def test_apps_json_refuses_tokens(demo_api: Api, demo_sandbox: Sandbox) -> None:
    resp = await demo_api.as_(token_headers(demo_sandbox.demo_tokens[1])).get("apps.json")
    assert_error(resp, 403, "GAIA_NO01")


async def test_token_permissions_are_enforced_per_operation() -> None:
    sb = Sandbox(
        SandboxConfig(
            demo=True,
            api_tokens=[
                ApiTokenSpec(2, "viewonly", frozenset({"view"})),
                ApiTokenSpec(3, "addonly", frozenset({"add"})),
            ],
        )
    )
    async with client_for(sb) as client:
        view = Api(client, token_headers("viewonly"))
        assert (await view.get("records.json", {"app": 2})).status_code == 200
        assert_error(await view.post("record.json", {"app": 2, "record": {"title": {"value": "x"}}}), 403, "GAIA_NO01")
        assert_error(await view.put("record.json", {"app": 2, "id": 1, "record": {}}), 403, "GAIA_NO01")
        assert_error(await view.delete("records.json", {"app": 2, "ids": [1]}), 403, "GAIA_NO01")
        assert_error(await view.get("preview/app/form/fields.json", {"app": 2}), 403, "GAIA_NO01")
        add = Api(client, token_headers("addonly"))
        assert (await add.post("record.json", {"app": 3, "record": {"subject": {"value": "x"}}})).status_code == 200
        assert_error(await add.get("records.json", {"app": 3}), 403, "GAIA_NO01")
        # Upsert may insert, so it needs add as well as edit.
        assert_error(await view.put("records.json", {"app": 2, "upsert": True, "records": []}), 403, "GAIA_NO01")


async def test_two_tokens_for_one_app_is_gaia_da03() -> None:
    sb = Sandbox(SandboxConfig(demo=True, api_tokens=[ApiTokenSpec(1, "second")]))
    async with client_for(sb) as client:
        resp = await Api(client, token_headers(sb.demo_tokens[1], "second")).get("app.json", {"id": 1})
        assert_error(resp, 400, "GAIA_DA03")


async def test_token_count_limit_is_nine(demo_api: Api) -> None:
    # Nine unknown tokens get as far as the token check; ten are refused before it.
    nine = [f"unknown{i}" for i in range(9)]
    assert_error(await demo_api.as_(token_headers(*nine)).get("app.json", {"id": 1}), 400, "GAIA_IA02")
    ten = [*nine, "unknown9"]
    body = assert_error(await demo_api.as_(token_headers(*ten)).get("app.json", {"id": 1}), 400, "CB_VA01")
    assert "9" in body["message"]


async def test_several_tokens_comma_separated_or_repeated_headers(demo_api: Api, demo_sandbox: Sandbox) -> None:
    t = demo_sandbox.demo_tokens
    # A lookup in Deals reads Customers, so writing it with tokens needs both apps' tokens.
    record = {"app": 2, "record": {"title": {"value": "via tokens"}, "customer_code": {"value": "C-0001"}}}
    single = await demo_api.as_(token_headers(t[2])).post("record.json", record)
    assert_error(single, 403, "GAIA_NO01")
    comma = await demo_api.as_(token_headers(t[2], t[1])).post("record.json", record)
    assert comma.status_code == 200, comma.text
    repeated = await demo_api.client.post(
        "/k/v1/record.json",
        json=record,
        headers=[("X-Cybozu-API-Token", t[2]), ("X-Cybozu-API-Token", t[1])],
    )
    assert repeated.status_code == 200, repeated.text


async def test_token_writes_are_attributed_to_administrator(demo_api: Api, demo_sandbox: Sandbox) -> None:
    api = demo_api.as_(token_headers(demo_sandbox.demo_tokens[3]))
    created = await api.ok("POST", "record.json", {"app": 3, "record": {"subject": {"value": "token"}}})
    record = (await api.ok("GET", "record.json", params={"app": 3, "id": created["id"]}))["record"]
    assert record["Created_by"]["value"] == {"code": "Administrator", "name": "Administrator"}
    assert record["Updated_by"]["value"]["code"] == "Administrator"


async def test_password_wins_over_token(demo_api: Api) -> None:
    headers = {**password_headers("sato"), **token_headers("not-a-real-token")}
    resp = await demo_api.as_(headers).post("record.json", {"app": 3, "record": {"subject": {"value": "p"}}})
    assert resp.status_code == 200, resp.text
    got = await demo_api.ok("GET", "record.json", params={"app": 3, "id": resp.json()["id"]})
    assert got["record"]["Created_by"]["value"]["code"] == "sato"


async def test_oauth_bearer_has_its_own_clear_answer(demo_api: Api) -> None:
    body = assert_error(await demo_api.as_({"Authorization": "Bearer abc"}).get("app.json", {"id": 1}), 401, "CB_AU01")
    assert "OAuth" in body["message"]


async def test_basic_gate_is_checked_in_addition() -> None:
    sb = Sandbox(SandboxConfig(demo=True, basic_auth=("gate", "secret")))
    gate = {"Authorization": "Basic " + base64.b64encode(b"gate:secret").decode()}
    wrong = {"Authorization": "Basic " + base64.b64encode(b"gate:nope").decode()}
    async with client_for(sb) as client:
        api = Api(client)
        missing = await api.get("app.json", {"id": 1})
        assert missing.status_code == 401 and "Basic" in missing.json()["message"]
        assert missing.headers["WWW-Authenticate"].startswith("Basic")
        assert (await api.get("app.json", {"id": 1}, headers=wrong)).status_code == 401
        assert (await api.get("app.json", {"id": 1}, headers=gate)).status_code == 200
        token = Api(client, {**gate, **token_headers(sb.demo_tokens[1])})
        assert (await token.get("app.json", {"id": 1})).status_code == 200
        # The gate alone is not a Kintone login.
        assert_error(await Api(client, gate).get("app.json", {"id": 1}), 401, "CB_AU01")


async def test_per_app_user_allow_list(demo_api: Api, demo_sandbox: Sandbox) -> None:
    demo_sandbox.set_allowed_users(2, ["sato"])
    assert (await demo_api.as_(password_headers("sato")).get("records.json", {"app": 2})).status_code == 200
    assert (await demo_api.get("records.json", {"app": 2})).status_code == 200  # Administrator
    assert_error(await demo_api.as_(password_headers("suzuki")).get("records.json", {"app": 2}), 403, "CB_NO02")
    listed = await demo_api.as_(password_headers("suzuki")).ok("GET", "apps.json")
    assert [a["appId"] for a in listed["apps"]] == ["1", "3", "5"]


async def test_extra_users_from_config_and_python() -> None:
    from kintone_mcp.sandbox import UserSpec

    sb = Sandbox(SandboxConfig(demo=False, users=[UserSpec("alice", "pw1")]))
    sb.add_user("bob", "pw2", name="Bob")
    async with client_for(sb) as client:
        for login, pw in (("alice", "pw1"), ("bob", "pw2"), ("Administrator", "sandbox")):
            api = Api(client, password_headers(login, pw))
            assert (await api.get("apps.json")).status_code == 200
        assert_error(await Api(client, password_headers("sato")).get("apps.json"), 401, "CB_WA01")


async def test_preview_settings_need_manage_permission(demo_api: Api, demo_sandbox: Sandbox) -> None:
    demo_sandbox.add_api_token(1, "no-manage", ["view", "add", "edit", "delete"])
    demo_sandbox.add_api_token(2, "manager", ["manage"])
    body = {"app": 1, "properties": {"extra": {"type": "NUMBER"}}}
    no_manage = demo_api.as_(token_headers("no-manage"))
    assert_error(await no_manage.post("preview/app/form/fields.json", body), 403, "GAIA_NO01")
    manager = demo_api.as_(token_headers("manager"))
    assert (await manager.post("preview/app/form/fields.json", {**body, "app": 2})).status_code == 200
    assert (await manager.post("preview/app/deploy.json", {"apps": [{"app": 2}]})).status_code == 200
    # Creating an app belongs to no app, so no token may do it.
    assert_error(await manager.post("preview/app.json", {"name": "x"}), 403, "GAIA_NO01")
