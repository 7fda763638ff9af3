"""get_permissions, get_app's preview and include, deploy_app's FAIL reason and the settings-conflict wording,
through mcp.Client against the sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from mcp import Client

from kintone_mcp.sandbox import Sandbox
from kintone_mcp.server.policy import Policy
from tests.server.conftest import ServerFactory
from tests.server.helpers import call_error, call_ok
from tests.server.tools.apps.test_update_layout import raw


@pytest.fixture
async def designer(make_server: ServerFactory) -> AsyncIterator[Client]:
    async with Client(make_server(Policy.build(toolsets=["all"]))) as mcp:
        yield mcp


@pytest.mark.anyio
async def test_permissions_in_words(designer: Client, sandbox: Sandbox) -> None:
    app = int((await call_ok(designer, "create_app", name="Loans"))["app"])
    await call_ok(designer, "add_fields", app=app, fields=[{"code": "owner", "type": "SINGLE_LINE_TEXT"}])
    await call_ok(designer, "deploy_app", apps=[app])
    default = await call_ok(designer, "get_permissions", app=app)
    assert default["app_rights"][0] == {"who": "creator", "may": [
        "manage app", "view", "add", "edit", "delete", "import", "export"]}
    assert default["app_rights"][1]["who"] == "group everyone" and "manage app" not in default["app_rights"][1]["may"]
    assert "record_rules" not in default and "Changing permissions" in default["note"]
    for path, body in (
        ("app/acl", [{"entity": {"type": "ORGANIZATION", "code": "sales"}, "includeSubs": True,
                      "recordViewable": True}]),
        ("record/acl", [{"filterCond": 'owner = "x"', "entities": [
            {"entity": {"type": "USER", "code": "alice"}, "viewable": True, "editable": True}]}]),
        ("field/acl", [{"code": "owner", "entities": [
            {"accessibility": "READ", "entity": {"type": "GROUP", "code": "everyone"}}]}]),
    ):
        answer = await raw(sandbox, "PUT", f"preview/{path}.json", json={"app": app, "rights": body})
        assert answer.status_code == 200, answer.text
    assert (await call_ok(designer, "get_permissions", app=app)) == default
    pending = await call_ok(designer, "get_permissions", app=app, preview=True)
    assert pending["app_rights"] == [{"who": "org sales and below", "may": ["view"]}]
    assert pending["record_rules"] == [{"filter": 'owner = "x"', "rights": [{"who": "user alice",
                                                                             "may": ["view", "edit"]}]}]
    assert pending["field_rights"] == [{"field": "owner", "rights": [{"who": "group everyone", "may": ["read"]}]}]
    included = await call_ok(designer, "get_app", app=app, preview=True, include=["permissions"])
    assert included["permissions"]["record_rules"] == pending["record_rules"]


@pytest.mark.anyio
async def test_get_app_preview_says_what_is_pending(designer: Client) -> None:
    app = int((await call_ok(designer, "create_app", name="Pending"))["app"])
    await call_ok(designer, "add_fields", app=app, fields=[{"code": "a", "type": "NUMBER"}])
    await call_ok(designer, "deploy_app", apps=[app])
    default = await call_ok(designer, "get_app", app=app)
    assert set(default) == {"id", "name", "fields", "operators"}
    same = await call_ok(designer, "get_app", app=app, preview=True)
    assert same["pending"].startswith("Nothing pending")
    await call_ok(designer, "add_fields", app=app, fields=[{"code": "b", "type": "DATE"}])
    await call_ok(designer, "update_app_settings", app=app, theme="RED")
    preview = await call_ok(designer, "get_app", app=app, preview=True)
    assert "fields added: b" in preview["pending"] and "settings changed: theme" in preview["pending"]
    assert "layout changed" in preview["pending"]
    assert "b" in [f["code"] for f in preview["fields"]]
    assert "b" not in [f["code"] for f in (await call_ok(designer, "get_app", app=app))["fields"]]
    # the default answer did not change shape
    assert await call_ok(designer, "get_app", app=app) == default


@pytest.mark.anyio
async def test_a_failed_deploy_says_why(designer: Client) -> None:
    source = int((await call_ok(designer, "create_app", name="Source"))["app"])
    await call_ok(designer, "add_fields", app=source, fields=[
        {"code": "key", "type": "SINGLE_LINE_TEXT", "unique": True}, {"code": "city", "type": "SINGLE_LINE_TEXT"}])
    await call_ok(designer, "deploy_app", apps=[source])
    reader = int((await call_ok(designer, "create_app", name="Reader"))["app"])
    await call_ok(designer, "add_fields", app=reader, fields=[
        {"code": "ref", "type": "SINGLE_LINE_TEXT", "lookup": {"app": source, "key": "key"}}])
    await call_ok(designer, "deploy_app", apps=[reader])
    await call_ok(designer, "delete_fields", app=source, codes=["key"])
    await call_ok(designer, "deploy_app", apps=[source])
    await call_ok(designer, "update_app_settings", app=reader, theme="RED")
    failed = await call_ok(designer, "deploy_app", apps=[reader])
    assert failed["apps"][0]["status"] == "FAIL"
    assert f"ref reads field(s) key of app {source}" in failed["apps"][0]["reason"]
    assert "Not deployed" in failed["note"]
    reverted = await call_ok(designer, "deploy_app", apps=[reader], revert=True)
    assert reverted["apps"][0]["status"] == "CANCEL"


@pytest.mark.anyio
async def test_a_stale_settings_revision_says_read_again(designer: Client, sandbox: Sandbox) -> None:
    from kintone_mcp.sandbox.store import appstore

    app = int((await call_ok(designer, "create_app", name="Busy"))["app"])
    await call_ok(designer, "add_fields", app=app, fields=[{"code": "a", "type": "NUMBER"}])
    real = appstore.load_app
    loads = 0

    def moved(conn, app_id):  # type: ignore[no-untyped-def]
        # Someone else saves the app between update_layout's reads (fields, layout) and its write (the third load).
        nonlocal loads
        info = real(conn, app_id)
        if info is not None and app_id == app:
            loads += 1
            if loads >= 3:
                import dataclasses
                return dataclasses.replace(info, preview_revision=info.preview_revision + 1)
        return info

    appstore_load = appstore.load_app
    try:
        appstore.load_app = moved  # type: ignore[assignment]
        text = await call_error(designer, "update_layout", app=app, layout=[["a"]])
    finally:
        appstore.load_app = appstore_load  # type: ignore[assignment]
    assert "GAIA_CO02" in text and "settings changed since this tool read them" in text
    assert "get_app with preview: true" in text and "get_record" not in text
