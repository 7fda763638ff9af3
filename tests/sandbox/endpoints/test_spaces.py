"""The sandbox's space, thread and search endpoints over HTTP: shapes, credentials, paths, privacy, validation."""

from __future__ import annotations

from typing import Any

import pytest

from kintone_mcp.sandbox import Sandbox, SandboxConfig
from kintone_mcp.sandbox.access.oauthscopes import REFUSED, required_scope
from tests.sandbox.sandbox_api import Api, assert_error, client_for, error_keys, password_headers, token_headers

pytestmark = pytest.mark.anyio
ADMIN = {"entity": {"type": "USER", "code": "Administrator"}, "isAdmin": True}


def query(*words: str, operator: str = "AND") -> list[dict[str, Any]]:
    return [{"operator": operator, "keywords": list(words)}]


async def test_space_json_has_kintones_shape(demo_api: Api) -> None:
    space = await demo_api.ok("GET", "space.json", params={"id": 1})
    assert {"id", "name", "defaultThread", "isPrivate", "creator", "modifier", "memberCount", "body",
            "useMultiThread", "isGuest", "attachedApps", "fixedMember", "showThreadList", "permissions"} <= set(space)
    assert space["id"] == "1" and space["memberCount"] == "3" and space["isPrivate"] is False
    assert [a["appId"] for a in space["attachedApps"]] == ["2"] and "spaceId" not in space["attachedApps"][0]
    assert [t["name"] for t in space["threads"]][1:] == ["Weekly pipeline review", "Trade fair in Osaka"]


async def test_threads_in_space_json_can_be_turned_off() -> None:
    sandbox = Sandbox(SandboxConfig(demo=True, space_json_threads=False))
    async with client_for(sandbox) as http:
        space = await Api(http).ok("GET", "space.json", params={"id": 1})
    assert "threads" not in space


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "space.json", {"id": 1}),
    ("POST", "search.json", {"query": query("Kaze")}),
    ("POST", "space/thread/comment.json", {"space": 1, "thread": 1, "comment": {"text": "x"}}),
])
async def test_api_tokens_are_refused(demo_api: Api, demo_sandbox: Sandbox, method: str, path: str,
                                      body: dict[str, Any]) -> None:
    token = demo_api.as_(token_headers(demo_sandbox.demo_tokens[2]))
    resp = await (token.get(path, params=body) if method == "GET" else token.call(method, path, body))
    assert_error(resp, 403, "GAIA_NO01")


def test_oauth_is_refused_on_spaces_and_search() -> None:
    for method, path in (("POST", "search.json"), ("GET", "space.json"), ("POST", "space/thread/comment.json"),
                         ("POST", "template/space.json"), ("PUT", "space/members.json")):
        assert required_scope(method, path) == REFUSED


async def test_guest_space_paths(demo_api: Api) -> None:
    assert_error(await demo_api.get("space.json", params={"id": 2}), 400, "GAIA_IL23")
    assert (await demo_api.guest(2).ok("GET", "space.json", params={"id": 2}))["isGuest"] is True
    assert_error(await demo_api.guest(2).get("space.json", params={"id": 1}), 403, "CB_NO02")


async def test_private_spaces_are_for_members(demo_api: Api) -> None:
    assert_error(await demo_api.get("space.json", params={"id": 3}), 403, "CB_NO02")
    assert_error(await demo_api.get("space/members.json", params={"id": 3}), 403, "CB_NO02")
    sato = demo_api.as_(password_headers("sato"))
    assert (await sato.ok("GET", "space.json", params={"id": 3}))["isPrivate"] is True
    # sato is a member, not an admin: no changes.
    assert_error(await sato.put("space.json", {"id": 3, "name": "Mine"}), 403, "CB_NO02")


async def test_members_need_a_user_admin_and_known_codes(demo_api: Api) -> None:
    org_admin = [{"entity": {"type": "ORGANIZATION", "code": "sales"}, "isAdmin": True}]
    assert "members" in error_keys(await demo_api.put("space/members.json", {"id": 1, "members": org_admin}))
    unknown = [ADMIN, {"entity": {"type": "GROUP", "code": "nope"}}]
    assert_error(await demo_api.put("space/members.json", {"id": 1, "members": unknown}), 400, "GAIA_IL27")
    twice = [ADMIN, ADMIN]
    assert "members[1].entity" in error_keys(await demo_api.put("space/members.json", {"id": 1, "members": twice}))
    members = (await demo_api.ok("GET", "space/members.json", params={"id": 1}))["members"]
    assert len(members) == 3  # unchanged by the refusals


async def test_template_space_and_threads(demo_api: Api) -> None:
    assert_error(await demo_api.post("template/space.json", {"id": 9, "name": "X", "members": [ADMIN]}), 404,
                 "GAIA_ST01")
    created = await demo_api.ok("POST", "template/space.json", {"id": 1, "name": "P", "members": [ADMIN],
                                                                "isPrivate": True})
    space = await demo_api.ok("GET", "space.json", params={"id": created["id"]})
    assert space["isPrivate"] is True and [t["name"] for t in space["threads"]][1:] == ["Kick-off", "Decisions"]
    thread = await demo_api.ok("POST", "space/thread.json", {"space": created["id"], "name": "T"})
    await demo_api.ok("PUT", "space/thread.json", {"id": thread["id"], "body": "<b>b</b>"})
    await demo_api.ok("PUT", "space.json", {"id": created["id"], "useMultiThread": False})
    assert "space" in error_keys(await demo_api.post("space/thread.json", {"space": created["id"], "name": "U"}))
    await demo_api.ok("DELETE", "space.json", {"id": created["id"]})
    assert_error(await demo_api.get("space.json", params={"id": created["id"]}), 404, "GAIA_SP01")


async def test_a_comment_in_a_thread_of_another_space_is_refused(demo_api: Api) -> None:
    resp = await demo_api.post("space/thread/comment.json", {"space": 1, "thread": 5, "comment": {"text": "x"}})
    assert_error(resp, 400, "GAIA_TH01")
    bad_mention = {"text": "x", "mentions": [{"code": "nobody", "type": "USER"}]}
    resp = await demo_api.post("space/thread/comment.json", {"space": 1, "thread": 3, "comment": bad_mention})
    assert_error(resp, 400, "GAIA_IL26")
    resp = await demo_api.post("space/thread/comment.json", {"space": 1, "thread": 3,
                                                             "comment": {"files": [{"fileKey": "nope"}]}})
    assert_error(resp, 400, "GAIA_BL01")


async def test_search_validation(demo_api: Api) -> None:
    assert "query" in error_keys(await demo_api.post("search.json", {"query": []}))
    assert "query[0].operator" in error_keys(await demo_api.post("search.json", {"query": query("x", operator="X")}))
    many = [f"w{i}" for i in range(21)]
    assert "query[0].keywords" in error_keys(await demo_api.post("search.json", {"query": query(*many)}))
    split = query(*many[:11]) + query(*many[11:], operator="OR")
    assert "query" in error_keys(await demo_api.post("search.json", {"query": split}))
    assert "sort" in error_keys(await demo_api.post("search.json", {"query": query("x"),
                                                                    "sort": {"by": "RELEVANCE", "order": "ASC"}}))
    assert "limit" in error_keys(await demo_api.post("search.json", {"query": query("x"), "limit": 101}))
    # Only NOT: nothing, as Kintone documents.
    assert (await demo_api.ok("POST", "search.json", {"query": query("zzz", operator="NOT")}))["hits"] == []


async def test_search_pages_with_tokens(demo_api: Api) -> None:
    body = {"query": query("Kaze"), "types": ["RECORD"], "limit": 10}
    first = await demo_api.ok("POST", "search.json", body)
    assert len(first["hits"]) == 10 and isinstance(first["nextPageToken"], str)
    second = await demo_api.ok("POST", "search.json", {**body, "pageToken": first["nextPageToken"]})
    ids = {(h["record"]["appId"], h["record"]["recordId"]) for h in first["hits"]}
    assert ids.isdisjoint((h["record"]["appId"], h["record"]["recordId"]) for h in second["hits"])
    other = {**body, "query": query("Osaka"), "pageToken": first["nextPageToken"]}
    assert "pageToken" in error_keys(await demo_api.post("search.json", other))
    hit = first["hits"][0]
    assert hit["url"].endswith(f"/k/{hit['record']['appId']}/show#record={hit['record']['recordId']}")
    assert hit["record"]["creator"]["name"] and hit["record"]["matchedFields"]


async def test_search_scopes(demo_api: Api) -> None:
    in_app = await demo_api.ok("POST", "search.json", {"query": query("Kaze"), "scopes": [{"scope": "APP",
                                                                                           "ids": [3]}]})
    assert {h["record"]["appId"] for h in in_app["hits"]} == {"3"}
    in_space = await demo_api.ok("POST", "search.json", {"query": query("Kaze"), "limit": 100,
                                                         "scopes": [{"scope": "SPACE", "ids": [1]}]})
    kinds = {h["type"] for h in in_space["hits"]}
    assert "THREAD_COMMENT" in kinds and {h["record"]["appId"] for h in in_space["hits"] if "record" in h} == {"2"}
    excluded = await demo_api.ok("POST", "search.json", {"query": query("Kaze"), "limit": 100,
                                                         "excludeScopes": [{"scope": "APP", "ids": [2, 3]}]})
    assert {h["record"]["appId"] for h in excluded["hits"] if "record" in h} <= {"1", "5"}


async def test_guests(demo_api: Api) -> None:
    guest = {"code": "ito@hikari.example", "password": "x", "timezone": "Asia/Tokyo", "name": "Ito"}
    assert_error(await demo_api.as_(password_headers("sato")).post("guests.json", {"guests": [guest]}), 403,
                 "CB_NO02")
    await demo_api.ok("POST", "guests.json", {"guests": [guest]})
    assert "guests[0].code" in error_keys(await demo_api.post("guests.json", {"guests": [guest]}))  # exists
    guest_path = demo_api.guest(2)
    await guest_path.ok("PUT", "space/guests.json", {"id": 2, "guests": ["ito@hikari.example"]})
    assert "guests[0]" in error_keys(await guest_path.put("space/guests.json", {"id": 2, "guests": ["sato"]}))
    assert "id" in error_keys(await demo_api.put("space/guests.json", {"id": 1, "guests": []}))
    members = (await guest_path.ok("GET", "space/members.json", params={"id": 2}))["members"]
    assert [m["entity"]["code"] for m in members] == ["Administrator"]  # guests are not listed, as in Kintone
    await demo_api.ok("DELETE", "guests.json", {"guests": ["ito@hikari.example"]})


async def test_update_space_keeps_what_it_was_given(demo_api: Api) -> None:
    await demo_api.ok("PUT", "space.json", {"id": 1, "showMemberList": "false", "permissions": {"createApp": "ADMIN"}})
    space = await demo_api.ok("GET", "space.json", params={"id": 1})
    assert space["showMemberList"] is False and space["showThreadList"] is True
    assert space["permissions"] == {"createApp": "ADMIN"}
    assert "permissions.createApp" in error_keys(await demo_api.put("space.json", {"id": 1, "permissions": {}}))
    assert "isPrivate" in error_keys(await demo_api.put("space.json", {"id": 1, "isPrivate": "maybe"}))
