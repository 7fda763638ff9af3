"""Who may call the app-settings endpoints: API tokens need "manage" (live field / layout / view / process / general
reads also take "view" or "add"), OAuth needs k:app_settings:read / :write; every endpoint, old and new. Then the new
endpoints' behaviour: permissions (app, record, field ACLs) and customization, preview then live; deploy FAIL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import oauth_flow
import pytest
from sandbox_api import Api, assert_error, client_for, create_app, error_keys, token_headers

from kintone_mcp.sandbox import Sandbox, SandboxConfig
from kintone_mcp.sandbox.access.oauthclients import OAuthConfig
from kintone_mcp.sandbox.options import ApiTokenSpec

pytestmark = pytest.mark.anyio

APP = 3  # Tickets: a demo app with fields, views and process management
#: Live reads that record tools need: a token with view, add or manage may call them.
RECORD_TOOL_READS = ["app/form/fields", "app/form/layout", "app/views", "app/status", "app/settings"]
#: Reads that need app management, live or preview.
MANAGE_READS = ["app/acl", "record/acl", "field/acl"] + [f"preview/{p}" for p in RECORD_TOOL_READS] + [
    "preview/app/acl", "preview/record/acl", "preview/field/acl"]
WRITES: list[tuple[str, str, dict[str, object]]] = [
    ("PUT", "preview/app/form/layout", {"layout": []}),
    ("PUT", "preview/app/views", {"views": {}}),
    ("PUT", "preview/app/status", {"enable": True}),
    ("PUT", "preview/app/settings", {"description": "x"}),
    ("PUT", "preview/app/acl", {"rights": []}),
    ("PUT", "preview/record/acl", {"rights": []}),
    ("PUT", "preview/field/acl", {"rights": []}),
    ("POST", "preview/app/form/fields", {"properties": {"zz": {"type": "NUMBER"}}}),
    ("PUT", "preview/app/form/fields", {"properties": {"zz": {"label": "Z"}}}),
    ("DELETE", "preview/app/form/fields", {"fields": ["zz"]}),
]


@pytest.fixture
async def client() -> AsyncIterator[tuple[Sandbox, Api]]:
    sb = Sandbox(SandboxConfig(
        demo=True, demo_records=5, oauth=OAuthConfig(clients=[oauth_flow.CLIENT]),
        api_tokens=[ApiTokenSpec(APP, "view-token", frozenset({"view"})),
                    ApiTokenSpec(APP, "add-token", frozenset({"add"})),
                    ApiTokenSpec(APP, "manage-token", frozenset({"manage"}))],
    ))
    try:
        async with client_for(sb) as http:
            yield sb, Api(http)
    finally:
        sb.close()


async def test_api_tokens_need_manage_for_settings(client: tuple[Sandbox, Api]) -> None:
    _, api = client
    for name in ("view-token", "add-token"):
        token = api.as_(token_headers(name))
        for path in RECORD_TOOL_READS:
            assert (await token.get(f"{path}.json", {"app": APP})).status_code == 200, (name, path)
        for path in [*MANAGE_READS, "app/customize", "preview/app/customize"]:
            assert_error(await token.get(f"{path}.json", {"app": APP}), 403, "GAIA_NO01")
        for method, path, body in WRITES:
            assert_error(await token.call(method, f"{path}.json", {"app": APP, **body}), 403, "GAIA_NO01")
        resp = await token.post("preview/app/deploy.json", {"apps": [{"app": APP}]})
        assert_error(resp, 403, "GAIA_NO01")
        assert_error(await token.get("preview/app/deploy.json", {"apps": [APP]}), 403, "GAIA_NO01")
    manage = api.as_(token_headers("manage-token"))
    for path in RECORD_TOOL_READS + MANAGE_READS:
        assert (await manage.get(f"{path}.json", {"app": APP})).status_code == 200, path
    for method, path, body in WRITES:
        resp = await manage.call(method, f"{path}.json", {"app": APP, **body})
        assert resp.status_code == 200, (path, resp.text)
    # customization is not open to API tokens at all, even with manage (docs/kintone-api.md §2.2)
    assert_error(await manage.get("app/customize.json", {"app": APP}), 403, "GAIA_NO01")


async def test_oauth_needs_the_app_settings_scopes(client: tuple[Sandbox, Api]) -> None:
    _, api = client
    for scope, reads, writes in (
        (oauth_flow.RECORD_SCOPES, False, False),
        ("k:app_settings:read", True, False),
        ("k:app_settings:read k:app_settings:write", True, True),
    ):
        token = await oauth_flow.access_token(api.client, scope=scope)
        bearer = api.as_({"Authorization": f"Bearer {token}"})
        for path in [*RECORD_TOOL_READS, *MANAGE_READS, "app/customize", "preview/app/customize"]:
            resp = await bearer.get(f"{path}.json", {"app": APP})
            if reads:
                assert resp.status_code == 200, (scope, path, resp.text)
            else:
                assert_error(resp, 403, "CB_NO02")
        for method, path, body in [*WRITES, ("PUT", "preview/app/customize", {"scope": "ADMIN"})]:
            resp = await bearer.call(method, f"{path}.json", {"app": APP, **body})
            if writes:
                assert resp.status_code == 200, (scope, path, resp.text)
            else:
                assert "k:app_settings:write" in assert_error(resp, 403, "CB_NO02")["message"]


async def test_permissions_go_live_with_the_deploy(client: tuple[Sandbox, Api]) -> None:
    _, api = client
    default = await api.ok("GET", "app/acl.json", params={"app": APP})
    assert [r["entity"] for r in default["rights"]] == [{"type": "CREATOR", "code": None},
                                                         {"type": "GROUP", "code": "everyone"}]
    rights = [{"entity": {"type": "USER", "code": "Administrator"}, "appEditable": True, "recordViewable": True},
              {"entity": {"type": "GROUP", "code": "everyone"}, "recordViewable": "true", "recordAddable": True}]
    await api.ok("PUT", "preview/app/acl.json", {"app": APP, "rights": rights})
    rules = [{"filterCond": 'priority in ("High")', "entities": [
        {"entity": {"type": "GROUP", "code": "everyone"}, "viewable": True}]}]
    await api.ok("PUT", "preview/record/acl.json", {"app": APP, "rights": rules})
    await api.ok("PUT", "preview/field/acl.json", {"app": APP, "rights": [
        {"code": "subject", "entities": [{"accessibility": "READ", "entity": {"type": "GROUP", "code": "everyone"}}]}]})
    assert (await api.ok("GET", "record/acl.json", params={"app": APP}))["rights"] == []
    preview = await api.ok("GET", "preview/app/acl.json", params={"app": APP})
    assert preview["rights"][1]["recordViewable"] is True and preview["rights"][1]["recordEditable"] is False
    await api.ok("POST", "preview/app/deploy.json", {"apps": [{"app": APP}]})
    live = await api.ok("GET", "record/acl.json", params={"app": APP})
    assert live["rights"][0]["filterCond"] == 'priority in ("High")'
    assert live["rights"][0]["entities"][0]["editable"] is False
    fields = await api.ok("GET", "field/acl.json", params={"app": APP})
    assert fields["rights"][0]["entities"][0]["accessibility"] == "READ"


async def test_permission_writes_are_checked(client: tuple[Sandbox, Api]) -> None:
    _, api = client
    bad = [{"entity": {"type": "USER", "code": "x"}, "recordEditable": True}]
    assert "rights[0].recordViewable" in error_keys(await api.put("preview/app/acl.json", {"app": APP, "rights": bad}))
    bad = [{"entity": {"type": "ROBOT", "code": "x"}}]
    assert "rights[0].entity.type" in error_keys(await api.put("preview/app/acl.json", {"app": APP, "rights": bad}))
    bad = [{"filterCond": "status in (", "entities": []}]
    keys = error_keys(await api.put("preview/record/acl.json", {"app": APP, "rights": bad}))
    assert "rights[0].filterCond" in keys
    bad = [{"code": "no_such_field", "entities": []}]
    assert "rights[0].code" in error_keys(await api.put("preview/field/acl.json", {"app": APP, "rights": bad}))
    stale = await api.put("preview/app/acl.json", {"app": APP, "rights": [], "revision": 1})
    assert_error(stale, 409, "GAIA_CO02")


async def test_customize_round_trip_with_an_uploaded_file(client: tuple[Sandbox, Api]) -> None:
    _, api = client
    initial = await api.ok("GET", "app/customize.json", params={"app": APP})
    assert initial.pop("revision").isdigit()
    assert initial == {"scope": "ALL", "desktop": {"js": [], "css": []}, "mobile": {"js": [], "css": []}}
    upload = await api.client.post("/k/v1/file.json", headers=api.headers,
                                   files={"file": ("app.js", b"console.log(1)", "text/javascript")})
    assert upload.status_code == 200, upload.text
    key = upload.json()["fileKey"]
    await api.ok("PUT", "preview/app/customize.json", {"app": APP, "scope": "ADMIN", "desktop": {
        "js": [{"type": "URL", "url": "https://cdn.example.com/lib.js"}, {"type": "FILE", "file": {"fileKey": key}}]}})
    preview = await api.ok("GET", "preview/app/customize.json", params={"app": APP})
    assert preview["scope"] == "ADMIN" and preview["mobile"] == {"js": [], "css": []}
    js = preview["desktop"]["js"]
    assert js[0] == {"type": "URL", "url": "https://cdn.example.com/lib.js"}
    assert js[1]["file"]["name"] == "app.js" and js[1]["file"]["size"] == "14" and js[1]["file"]["fileKey"] != key
    assert (await api.ok("GET", "app/customize.json", params={"app": APP}))["desktop"]["js"] == []
    # an upload key is good once: sending it again is refused
    again = await api.put("preview/app/customize.json", {"app": APP, "desktop": {"js": [
        {"type": "FILE", "file": {"fileKey": key}}]}})
    assert "desktop.js[0].file.fileKey" in error_keys(again)
    await api.ok("POST", "preview/app/deploy.json", {"apps": [{"app": APP}]})
    assert (await api.ok("GET", "app/customize.json", params={"app": APP}))["scope"] == "ADMIN"


async def test_a_deploy_fails_when_a_lookup_source_is_gone(client: tuple[Sandbox, Api]) -> None:
    _, api = client
    source = await create_app(api, "Source", {"key": {"type": "SINGLE_LINE_TEXT", "unique": True}})
    lookup = {"relatedApp": {"app": str(source)}, "relatedKeyField": "key", "fieldMappings": []}
    reader = await create_app(api, "Reader", {"ref": {"type": "SINGLE_LINE_TEXT", "lookup": lookup}})
    await api.ok("DELETE", "preview/app/form/fields.json", {"app": source, "fields": ["key"]})
    await api.ok("POST", "preview/app/deploy.json", {"apps": [{"app": source}]})
    await api.ok("PUT", "preview/app/settings.json", {"app": reader, "description": "pending"})
    await api.ok("POST", "preview/app/deploy.json", {"apps": [{"app": reader}, {"app": source}]})
    status = await api.ok("GET", "preview/app/deploy.json", params={"apps": [reader, source]})
    assert [a["status"] for a in status["apps"]] == ["FAIL", "CANCEL"]
    # nothing went live
    assert (await api.ok("GET", "app/settings.json", params={"app": reader}))["description"] == ""
