"""The User API's GET endpoints (/v1/...): object shapes, filters, paging and membership lookups."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sandbox_api import Api, assert_error, client_for, error_keys, password_headers

from kintone_mcp.sandbox import Sandbox, SandboxConfig

pytestmark = pytest.mark.anyio


@pytest.fixture
async def demo_api() -> AsyncIterator[Api]:
    # The directory is the same whatever the number of demo records; few records keep each fresh sandbox cheap.
    sb = Sandbox(SandboxConfig(demo=True, demo_records=5))
    async with client_for(sb) as client:
        yield Api(client)
    sb.close()

#: Every documented User key, in the documented order (docs/kintone-api.md §4.7).
USER_KEYS = [
    "id",
    "code",
    "ctime",
    "mtime",
    "valid",
    "name",
    "surName",
    "givenName",
    "surNameReading",
    "givenNameReading",
    "localName",
    "localNameLocale",
    "timezone",
    "locale",
    "description",
    "phone",
    "mobilePhone",
    "extensionNumber",
    "email",
    "callto",
    "url",
    "employeeNumber",
    "birthDate",
    "joinDate",
    "primaryOrganization",
    "sortOrder",
    "customItemValues",
]
DEMO_LOGINS = ["Administrator", "sato", "suzuki", "tanaka", "takahashi", "watanabe"]


async def _users(api: Api, params: Any = None) -> list[dict[str, Any]]:
    users: list[dict[str, Any]] = (await api.ok("GET", "/v1/users.json", params=params))["users"]
    return users


async def test_users_json_gives_every_documented_key_with_nulls_for_unset_strings(demo_api: Api) -> None:
    users = await _users(demo_api)
    assert [u["code"] for u in users] == DEMO_LOGINS
    assert [u["id"] for u in users] == [str(i) for i in range(1, 7)]
    sato = users[1]
    assert list(sato) == USER_KEYS
    assert sato["name"] == "Sato Haruto" and sato["valid"] is True
    assert sato["email"] == "sato@example.com"
    assert sato["timezone"] == "Asia/Tokyo"
    assert sato["ctime"] == "2025-01-06T00:00:00Z" and sato["mtime"] == sato["ctime"]
    # sato's primary organization is "sales", reported by id (a string, like every id).
    orgs = (await demo_api.ok("GET", "/v1/organizations.json", params={"codes[0]": "sales"}))["organizations"]
    assert sato["primaryOrganization"] == orgs[0]["id"]
    unset = ["surName", "givenName", "phone", "birthDate", "joinDate", "url", "employeeNumber", "description"]
    assert all(sato[key] is None for key in unset)
    assert sato["sortOrder"] is None and sato["customItemValues"] == []
    # Administrator has no e-mail and no organization: null, not "".
    assert users[0]["email"] is None and users[0]["primaryOrganization"] is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"ids[0]": "3", "ids[1]": "1"}, ["Administrator", "suzuki"]),
        ({"codes[0]": "watanabe", "codes[1]": "sato"}, ["sato", "watanabe"]),
        ({"codes[0]": "nobody"}, []),
        ({"ids[0]": "2", "codes[0]": "tanaka"}, ["sato", "tanaka"]),
        ({"size": "2"}, ["Administrator", "sato"]),
        ({"size": "2", "offset": "4"}, ["takahashi", "watanabe"]),
        ({"offset": "6"}, []),
    ],
)
async def test_users_json_filters_and_pages_in_id_order(
    demo_api: Api, params: dict[str, str], expected: list[str]
) -> None:
    assert [u["code"] for u in await _users(demo_api, params)] == expected


async def test_users_json_takes_a_json_body_too(demo_api: Api) -> None:
    resp = await demo_api.call("GET", "/v1/users.json", {"codes": ["tanaka"]})
    assert [u["code"] for u in resp.json()["users"]] == ["tanaka"]


@pytest.mark.parametrize(
    "params",
    [{"size": "0"}, {"size": "101"}, {"offset": "-1"}, {"ids[0]": "x"}, {"ids[0]": "0"}, {"size": "ten"}],
)
async def test_paging_and_id_errors_name_the_parameter(demo_api: Api, params: dict[str, str]) -> None:
    for path in ("/v1/users.json", "/v1/organizations.json", "/v1/groups.json"):
        keys = error_keys(await demo_api.get(path, params))
        assert set(keys) == set(params), path


async def test_more_than_100_ids_is_refused(demo_api: Api) -> None:
    resp = await demo_api.call("GET", "/v1/users.json", {"ids": list(range(1, 102))})
    assert set(error_keys(resp)) == {"ids"}


async def test_paging_walks_a_large_directory(demo_api: Api) -> None:
    await demo_api.ok(
        "POST",
        "/v1/users.json",
        {"users": [{"code": f"bulk{i:03d}", "password": "pw", "name": f"Bulk {i}"} for i in range(100)]},
    )
    await demo_api.ok(
        "POST",
        "/v1/users.json",
        {"users": [{"code": f"more{i:03d}", "password": "pw", "name": f"More {i}"} for i in range(50)]},
    )
    first = await _users(demo_api)
    second = await _users(demo_api, {"offset": "100"})
    assert len(first) == 100 and len(second) == 56
    ids = [int(u["id"]) for u in first + second]
    assert ids == sorted(ids) and len(set(ids)) == 156
    assert second[-1]["code"] == "more049"


async def test_organizations_and_groups(demo_api: Api) -> None:
    orgs = (await demo_api.ok("GET", "/v1/organizations.json"))["organizations"]
    assert [(o["code"], o["name"]) for o in orgs] == [
        ("sales", "Sales"),
        ("support", "Customer Support"),
        ("engineering", "Engineering"),
    ]
    assert list(orgs[0]) == ["id", "code", "name", "localName", "localNameLocale", "parentCode", "description"]
    assert orgs[0]["parentCode"] is None and orgs[0]["localName"] is None
    groups = (await demo_api.ok("GET", "/v1/groups.json"))["groups"]
    assert [g["code"] for g in groups] == ["Administrators", "managers", "everyone"]
    assert list(groups[0]) == ["id", "code", "name", "description"]
    page = (await demo_api.ok("GET", "/v1/groups.json", params={"size": "1", "offset": "1"}))["groups"]
    assert [g["code"] for g in page] == ["managers"]
    by_id = (await demo_api.ok("GET", "/v1/organizations.json", params={"ids[0]": orgs[2]["id"]}))["organizations"]
    assert [o["code"] for o in by_id] == ["engineering"]


async def test_a_users_organizations_and_groups(demo_api: Api) -> None:
    titles = await demo_api.ok("GET", "/v1/user/organizations.json", params={"code": "suzuki"})
    assert [(t["organization"]["code"], t["title"]) for t in titles["organizationTitles"]] == [("support", None)]
    groups = (await demo_api.ok("GET", "/v1/user/groups.json", params={"code": "sato"}))["groups"]
    assert [g["code"] for g in groups] == ["managers", "everyone"]
    admin_groups = (await demo_api.ok("GET", "/v1/user/groups.json", params={"code": "Administrator"}))["groups"]
    assert [g["code"] for g in admin_groups] == ["Administrators", "everyone"]
    none = await demo_api.ok("GET", "/v1/user/organizations.json", params={"code": "Administrator"})
    assert none == {"organizationTitles": []}


async def test_members_of_an_organization_and_a_group_with_paging(demo_api: Api) -> None:
    sales = await demo_api.ok("GET", "/v1/organization/users.json", params={"code": "sales"})
    assert [(t["user"]["code"], t["title"]) for t in sales["userTitles"]] == [("sato", None), ("watanabe", None)]
    assert list(sales["userTitles"][0]["user"]) == USER_KEYS
    everyone = (await demo_api.ok("GET", "/v1/group/users.json", params={"code": "everyone"}))["users"]
    assert [u["code"] for u in everyone] == DEMO_LOGINS
    page = await demo_api.ok("GET", "/v1/group/users.json", params={"code": "everyone", "size": 2, "offset": 3})
    assert [u["code"] for u in page["users"]] == ["tanaka", "takahashi"]
    page = await demo_api.ok("GET", "/v1/organization/users.json", params={"code": "sales", "offset": 1})
    assert [t["user"]["code"] for t in page["userTitles"]] == ["watanabe"]


@pytest.mark.parametrize(
    "path", ["user/organizations.json", "user/groups.json", "organization/users.json", "group/users.json"]
)
async def test_membership_lookups_need_an_existing_code(demo_api: Api, path: str) -> None:
    assert set(error_keys(await demo_api.get(f"/v1/{path}"))) == {"code"}
    body = assert_error(await demo_api.get(f"/v1/{path}", {"code": "no-such-code"}), 400, "CB_VA01")
    assert "no-such-code" in body["errors"]["code"]["messages"][0]


async def test_unknown_user_api_path_is_cb_nf01_with_the_methods_it_has(demo_api: Api) -> None:
    assert_error(await demo_api.get("/v1/nothing.json"), 404, "CB_NF01")
    resp = await demo_api.delete("/v1/user/organizations.json", {"code": "sato"})
    body = assert_error(resp, 404, "CB_NF01")
    assert "GET" in body["message"]


async def test_non_admin_users_may_read(demo_api: Api) -> None:
    as_sato = demo_api.as_(password_headers("sato"))
    assert len(await _users(as_sato)) == 6
    assert (await as_sato.ok("GET", "/v1/group/users.json", params={"code": "managers"}))["users"][0]["code"] == "sato"
