"""User API writes: users, organizations, groups and memberships, their validation, and their effect elsewhere."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sandbox_api import Api, assert_error, client_for, error_keys, password_headers

from kintone_mcp.sandbox import Sandbox, SandboxConfig

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 5, 1, 12, 34, tzinfo=UTC)

FULL_USER: dict[str, Any] = {
    "code": "kato", "password": "s3cret", "name": "Kato Misaki", "valid": True, "surName": "Kato",
    "givenName": "Misaki", "surNameReading": "かとう", "givenNameReading": "みさき", "localName": "Misaki Kato",
    "localNameLocale": "en", "timezone": "Europe/Paris", "locale": "en", "description": "Joined for the pilot.",
    "phone": "03-1234-5678", "mobilePhone": "090-0000-0000", "extensionNumber": "123", "email": "kato@example.com",
    "callto": "kato.skype", "url": "https://example.com/kato", "employeeNumber": "E-042", "birthDate": "1990-04-01",
    "joinDate": "2024-04-01", "primaryOrganization": "support", "sortOrder": 7,
    "customItemValues": [{"code": "badge", "value": "B-7"}],
}


@pytest.fixture
async def api() -> Any:
    sb = Sandbox(SandboxConfig(demo=True, demo_records=5, clock=lambda: NOW))
    async with client_for(sb) as client:
        yield Api(client)
    sb.close()


async def _user(api: Api, code: str) -> dict[str, Any]:
    users = (await api.ok("GET", "/v1/users.json", params={"codes[0]": code}))["users"]
    assert len(users) == 1, users
    user: dict[str, Any] = users[0]
    return user


async def _codes(api: Api, path: str, key: str, params: Any = None) -> list[str]:
    items = (await api.ok("GET", f"/v1/{path}", params=params))[key]
    if key == "organizationTitles":
        return [i["organization"]["code"] for i in items]
    if key == "userTitles":
        return [i["user"]["code"] for i in items]
    return [i["code"] for i in items]


# -- users ----------------------------------------------------------------------------------------------------------


async def test_add_a_user_with_every_attribute(api: Api) -> None:
    assert await api.ok("POST", "/v1/users.json", {"users": [FULL_USER]}) == {}
    user = await _user(api, "kato")
    expected = {k: v for k, v in FULL_USER.items() if k not in ("password", "primaryOrganization")}
    assert {k: user[k] for k in expected} == expected
    support = (await api.ok("GET", "/v1/organizations.json", params={"codes[0]": "support"}))["organizations"][0]
    assert user["primaryOrganization"] == support["id"]
    assert user["id"] == "7" and user["ctime"] == user["mtime"] == "2026-05-01T12:34:00Z"
    # The primary organization makes kato a member; the password works on both APIs.
    assert "kato" in await _codes(api, "organization/users.json", "userTitles", {"code": "support"})
    as_kato = api.as_(password_headers("kato", "s3cret"))
    await as_kato.ok("GET", "/v1/users.json")
    await as_kato.ok("GET", "/k/v1/app.json", params={"id": 1})


async def test_minimal_user_gets_defaults_and_nulls(api: Api) -> None:
    await api.ok("POST", "/v1/users.json", {"users": [{"code": "min", "password": "pw", "name": "Min"}]})
    user = await _user(api, "min")
    assert user["valid"] is True and user["timezone"] == "Asia/Tokyo" and user["locale"] == "auto"
    assert user["email"] is None and user["surName"] is None and user["primaryOrganization"] is None
    assert user["customItemValues"] == [] and user["sortOrder"] is None


async def test_new_users_can_be_put_in_user_fields(api: Api) -> None:
    await api.ok("POST", "/v1/users.json", {"users": [{"code": "newowner", "password": "pw", "name": "New Owner"}]})
    created = await api.ok("POST", "/k/v1/record.json", {
        "app": 2, "record": {"title": {"value": "Deal"}, "owner": {"value": [{"code": "newowner"}]}}})
    record = (await api.ok("GET", "/k/v1/record.json", params={"app": 2, "id": created["id"]}))["record"]
    assert record["owner"]["value"] == [{"code": "newowner", "name": "New Owner"}]


async def test_add_users_reports_every_problem_and_writes_nothing(api: Api) -> None:
    body = {"users": [
        {"code": "ok1", "password": "pw", "name": "Fine"},
        {"code": "", "password": "pw", "name": "No code"},
        {"code": "sato", "password": "pw", "name": "Exists"},
        {"code": "a:b", "password": "pw", "name": "Colon"},
        {"code": "nopw", "name": "No password"},
        {"code": "noname", "password": "pw", "name": "   "},
        {"code": "bad", "password": "pw", "name": "Bad", "timezone": "Mars/Olympus", "locale": "fr",
         "birthDate": "1990-02-30", "joinDate": "2024/04/01", "sortOrder": -1, "email": 5,
         "primaryOrganization": "nowhere", "customItemValues": [{"value": "x"}], "nickname": "Bo",
         "localNameLocale": "auto", "valid": "yes"},
        {"code": "ok1", "password": "pw", "name": "Duplicate"},
        {"code": "x" * 129, "password": "pw", "name": "Long"},
        {"code": "longpw", "password": "p" * 65, "name": "Long password"},
    ]}
    keys = error_keys(await api.post("/v1/users.json", body))
    assert set(keys) == {
        "users[1].code", "users[2].code", "users[3].code", "users[4].password", "users[5].name",
        "users[6].timezone", "users[6].locale", "users[6].birthDate", "users[6].joinDate", "users[6].sortOrder",
        "users[6].email", "users[6].primaryOrganization", "users[6].customItemValues[0]", "users[6].nickname",
        "users[6].localNameLocale", "users[6].valid", "users[7].code", "users[8].code", "users[9].password",
    }
    assert "already exists" in keys["users[2].code"][0] and "appears more than once" in keys["users[7].code"][0]
    assert "Mars/Olympus" in keys["users[6].timezone"][0]
    assert await _codes(api, "users.json", "users") == ["Administrator", "sato", "suzuki", "tanaka", "takahashi",
                                                         "watanabe"]


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({}, "users"),
        ({"users": []}, "users"),
        ({"users": {"code": "x"}}, "users"),
        ({"users": ["sato"]}, "users[0]"),
        ({"users": [{"code": f"u{i}", "password": "p", "name": "n"} for i in range(101)]}, "users"),
    ],
)
async def test_add_users_body_shape(api: Api, body: dict[str, Any], key: str) -> None:
    assert set(error_keys(await api.post("/v1/users.json", body))) == {key}


async def test_update_users_changes_only_what_is_sent(api: Api) -> None:
    before = await _user(api, "sato")
    await api.ok("PUT", "/v1/users.json", {"users": [{"code": "sato", "phone": "03-1111", "surName": "Sato"}]})
    after = await _user(api, "sato")
    assert after["phone"] == "03-1111" and after["surName"] == "Sato"
    assert after["mtime"] == "2026-05-01T12:34:00Z" and after["ctime"] == before["ctime"]
    unchanged = {k: v for k, v in before.items() if k not in ("phone", "surName", "mtime")}
    assert {k: after[k] for k in unchanged} == unchanged
    # null and "" clear; a read object can be sent back whole (id, ctime and mtime are ignored).
    after["phone"] = None
    after["email"] = ""
    after["name"] = "Sato H."
    await api.ok("PUT", "/v1/users.json", {"users": [after]})
    again = await _user(api, "sato")
    assert again["phone"] is None and again["email"] is None and again["name"] == "Sato H."
    assert again["surName"] == "Sato"


async def test_update_password_and_deactivate(api: Api) -> None:
    await api.ok("PUT", "/v1/users.json", {"users": [{"code": "tanaka", "password": "n3w"}]})
    assert_error(await api.as_(password_headers("tanaka")).get("/v1/users.json"), 401, "CB_WA01")
    await api.as_(password_headers("tanaka", "n3w")).ok("GET", "/v1/users.json")
    await api.ok("PUT", "/v1/users.json", {"users": [{"code": "tanaka", "valid": False}]})
    assert (await _user(api, "tanaka"))["valid"] is False
    assert_error(await api.as_(password_headers("tanaka", "n3w")).get("/k/v1/app.json", {"id": 1}), 401, "CB_WA01")


async def test_update_users_errors(api: Api) -> None:
    keys = error_keys(await api.put("/v1/users.json", {"users": [
        {"code": "ghost", "name": "Nobody"},
        {"code": "sato", "name": ""},
        {"code": "Administrator", "valid": False},
    ]}))
    assert set(keys) == {"users[0].code", "users[1].name", "users[2].valid"}
    assert "POST users.json" in keys["users[0].code"][0]


async def test_delete_users(api: Api) -> None:
    assert "watanabe" in await _codes(api, "group/users.json", "users", {"code": "everyone"})
    assert await api.ok("DELETE", "/v1/users.json", {"codes": ["watanabe"]}) == {}
    assert "watanabe" not in await _codes(api, "users.json", "users")
    assert "watanabe" not in await _codes(api, "group/users.json", "users", {"code": "everyone"})
    assert await _codes(api, "organization/users.json", "userTitles", {"code": "sales"}) == ["sato"]
    assert_error(await api.as_(password_headers("watanabe")).get("/v1/users.json"), 401, "CB_WA01")
    keys = error_keys(await api.delete("/v1/users.json", {"codes": ["Administrator", "watanabe"]}))
    assert set(keys) == {"codes[0]", "codes[1]"}
    assert set(error_keys(await api.delete("/v1/users.json", {}))) == {"codes"}
    # DELETE parameters may also come in the query string.
    resp = await api.call("DELETE", "/v1/users.json", params={"codes[0]": "suzuki"})
    assert resp.status_code == 200, resp.text
    assert "suzuki" not in await _codes(api, "users.json", "users")


# -- memberships ----------------------------------------------------------------------------------------------------


async def test_user_organizations_replace_and_keep_a_valid_primary(api: Api) -> None:
    await api.ok("PUT", "/v1/userOrganizations.json", {"userOrganizations": [
        {"code": "sato", "organizations": [{"orgCode": "engineering"}, {"orgCode": "sales"}]},
        {"code": "tanaka", "organizations": [{"orgCode": "engineering"}]},
    ]})
    assert await _codes(api, "user/organizations.json", "organizationTitles", {"code": "sato"}) == [
        "sales", "engineering"]
    sato = await _user(api, "sato")
    sales = (await api.ok("GET", "/v1/organizations.json", params={"codes[0]": "sales"}))["organizations"][0]
    assert sato["primaryOrganization"] == sales["id"]  # still a member of sales: primary kept
    tanaka = await _user(api, "tanaka")
    engineering = (await api.ok("GET", "/v1/organizations.json", params={"codes[0]": "engineering"}))
    assert tanaka["primaryOrganization"] == engineering["organizations"][0]["id"]  # support gone: first listed
    await api.ok("PUT", "/v1/userOrganizations.json", {"userOrganizations": [{"code": "tanaka", "organizations": []}]})
    assert (await _user(api, "tanaka"))["primaryOrganization"] is None
    assert await _codes(api, "user/organizations.json", "organizationTitles", {"code": "tanaka"}) == []


async def test_user_organizations_errors(api: Api) -> None:
    keys = error_keys(await api.put("/v1/userOrganizations.json", {"userOrganizations": [
        {"code": "ghost", "organizations": []},
        {"code": "sato", "organizations": [{"orgCode": "nowhere"}, {"orgCode": "sales", "titleCode": "Lead"}, 7]},
        {"code": "tanaka"},
    ]}))
    assert set(keys) == {
        "userOrganizations[0].code", "userOrganizations[1].organizations[0].orgCode",
        "userOrganizations[1].organizations[1].titleCode", "userOrganizations[1].organizations[2]",
        "userOrganizations[2].organizations",
    }
    assert "Titles are not modelled" in keys["userOrganizations[1].organizations[1].titleCode"][0]


async def test_group_memberships_both_ways(api: Api) -> None:
    await api.ok("PUT", "/v1/user/groups.json", {"code": "suzuki", "groups": ["managers", "everyone", "managers"]})
    assert await _codes(api, "user/groups.json", "groups", {"code": "suzuki"}) == ["managers", "everyone"]
    await api.ok("PUT", "/v1/group/users.json", {"code": "managers", "users": ["tanaka"]})
    assert await _codes(api, "group/users.json", "users", {"code": "managers"}) == ["tanaka"]
    assert await _codes(api, "user/groups.json", "groups", {"code": "suzuki"}) == ["everyone"]
    await api.ok("PUT", "/v1/group/users.json", {"code": "managers", "users": []})
    assert await _codes(api, "group/users.json", "users", {"code": "managers"}) == []


async def test_group_membership_errors_and_the_administrator_stays_an_administrator(api: Api) -> None:
    keys = error_keys(await api.put("/v1/user/groups.json", {"code": "ghost", "groups": ["nope", 3]}))
    assert set(keys) == {"code", "groups[0]", "groups[1]"}
    assert set(error_keys(await api.put("/v1/group/users.json", {"code": "managers"}))) == {"users"}
    resp = await api.put("/v1/user/groups.json", {"code": "Administrator", "groups": ["everyone"]})
    assert set(error_keys(resp)) == {"groups"}
    resp = await api.put("/v1/group/users.json", {"code": "Administrators", "users": ["sato"]})
    assert set(error_keys(resp)) == {"users"}
    assert await _codes(api, "group/users.json", "users", {"code": "Administrators"}) == ["Administrator"]


# -- organizations and groups ---------------------------------------------------------------------------------------


async def test_organizations_add_update_delete(api: Api) -> None:
    await api.ok("POST", "/v1/organizations.json", {"organizations": [
        {"code": "ops", "name": "Operations", "description": "Runs things", "localName": "運用",
         "localNameLocale": "ja"},
        {"code": "ops-tokyo", "name": "Operations Tokyo", "parentCode": "ops"},
    ]})
    orgs = {o["code"]: o for o in (await api.ok("GET", "/v1/organizations.json"))["organizations"]}
    assert orgs["ops"] == {**orgs["ops"], "name": "Operations", "description": "Runs things", "localName": "運用",
                           "localNameLocale": "ja", "parentCode": None}
    assert orgs["ops-tokyo"]["parentCode"] == "ops"
    await api.ok("PUT", "/v1/organizations.json", {"organizations": [{"code": "ops", "description": None}]})
    ops = (await api.ok("GET", "/v1/organizations.json", params={"codes[0]": "ops"}))["organizations"][0]
    assert ops["description"] is None and ops["name"] == "Operations" and ops["localName"] == "運用"
    # A parent cannot go while its children stay, and no cycle may form.
    assert set(error_keys(await api.delete("/v1/organizations.json", {"codes": ["ops"]}))) == {"codes[0]"}
    keys = error_keys(await api.put("/v1/organizations.json", {"organizations": [
        {"code": "ops", "parentCode": "ops-tokyo"}]}))
    assert "cycle" in keys["organizations[0].parentCode"][0]
    await api.ok("DELETE", "/v1/organizations.json", {"codes": ["ops", "ops-tokyo"]})
    assert "ops" not in await _codes(api, "organizations.json", "organizations")


async def test_deleting_an_organization_clears_memberships_and_primaries(api: Api) -> None:
    await api.ok("DELETE", "/v1/organizations.json", {"codes": ["sales"]})
    assert (await _user(api, "sato"))["primaryOrganization"] is None
    assert await _codes(api, "user/organizations.json", "organizationTitles", {"code": "sato"}) == []


async def test_organization_errors(api: Api) -> None:
    keys = error_keys(await api.post("/v1/organizations.json", {"organizations": [
        {"code": "sales", "name": "Again"},
        {"code": "lonely", "name": "Lonely", "parentCode": "nowhere"},
        {"code": "selfish", "name": "Selfish", "parentCode": "selfish"},
        {"code": "nameless"},
        {"code": "odd", "name": "Odd", "localNameLocale": "auto", "head": "sato"},
    ]}))
    assert set(keys) == {
        "organizations[0].code", "organizations[1].parentCode", "organizations[2].parentCode",
        "organizations[3].name", "organizations[4].localNameLocale", "organizations[4].head",
    }
    keys = error_keys(await api.put("/v1/organizations.json", {"organizations": [{"code": "ghost", "name": "G"}]}))
    assert set(keys) == {"organizations[0].code"}
    assert set(error_keys(await api.delete("/v1/organizations.json", {"codes": ["ghost"]}))) == {"codes[0]"}


async def test_groups_add_update_delete(api: Api) -> None:
    await api.ok("POST", "/v1/groups.json", {"groups": [{"code": "auditors", "name": "Auditors",
                                                          "description": "Read-only reviewers"}]})
    groups = {g["code"]: g for g in (await api.ok("GET", "/v1/groups.json"))["groups"]}
    assert groups["auditors"]["description"] == "Read-only reviewers" and groups["auditors"]["id"] == "4"
    await api.ok("PUT", "/v1/groups.json", {"groups": [{"code": "auditors", "name": "External auditors"}]})
    assert (await api.ok("GET", "/v1/groups.json", params={"codes[0]": "auditors"}))["groups"][0]["name"] == (
        "External auditors")
    await api.ok("PUT", "/v1/group/users.json", {"code": "auditors", "users": ["sato"]})
    await api.ok("DELETE", "/v1/groups.json", {"codes": ["auditors"]})
    assert await _codes(api, "user/groups.json", "groups", {"code": "sato"}) == ["managers", "everyone"]
    keys = error_keys(await api.delete("/v1/groups.json", {"codes": ["Administrators", "auditors"]}))
    assert set(keys) == {"codes[0]", "codes[1]"} and "built in" in keys["codes[0]"][0]
    keys = error_keys(await api.post("/v1/groups.json", {"groups": [{"code": "managers", "name": "M"}, {"name": "X"}]}))
    assert set(keys) == {"groups[0].code", "groups[1].code"}


async def test_non_json_body_is_cb_ij01(api: Api) -> None:
    resp = await api.client.post("/v1/users.json", content=b"[1, 2]", headers=api.headers)
    assert_error(resp, 400, "CB_IJ01")
