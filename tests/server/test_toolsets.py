"""Toolsets (KINTONE_TOOLSETS / --toolsets): which tools a server offers, and how the other safety settings hold
across them."""

from __future__ import annotations

import pytest
from mcp import Client

from kintone_mcp.server.policy import Policy, PolicyConfigError
from kintone_mcp.server.tools.registry import ALL_TOOLS
from kintone_mcp.server.toolsets import DEFAULT_TOOLSETS, TOOLSETS
from kintone_mcp.settings import load_settings
from tests.server.conftest import ServerFactory
from tests.server.helpers import call_ok, text_of

APPS_TOOLS = {s.name for s in ALL_TOOLS if s.toolset == "apps"}
DEFAULT_TOOLS = {s.name for s in ALL_TOOLS if s.toolset in DEFAULT_TOOLSETS}


def test_every_tool_is_in_a_known_toolset_and_the_default_is_todays_tools() -> None:
    assert {s.toolset for s in ALL_TOOLS} <= set(TOOLSETS)
    assert {"create_app", "add_fields", "deploy_app"} <= APPS_TOOLS
    assert APPS_TOOLS.isdisjoint(DEFAULT_TOOLS)
    assert {"get_records", "download_file", "list_users", "test_connection", "get_app"} <= DEFAULT_TOOLS


@pytest.mark.anyio
async def test_the_default_lists_no_app_design_tool_and_says_why(make_server: ServerFactory) -> None:
    async with Client(make_server()) as mcp:
        names = {t.name for t in (await mcp.list_tools()).tools}
        assert names == DEFAULT_TOOLS
        result = await mcp.call_tool("create_app", {"name": "x"})
        assert result.is_error
        assert "'apps' toolset" in text_of(result) and "KINTONE_TOOLSETS" in text_of(result)


@pytest.mark.anyio
async def test_all_and_a_chosen_set(make_server: ServerFactory) -> None:
    async with Client(make_server(Policy.build(toolsets=["all"]))) as mcp:
        assert {t.name for t in (await mcp.list_tools()).tools} == {s.name for s in ALL_TOOLS}
    async with Client(make_server(Policy.build(toolsets=["apps"]))) as mcp:
        names = {t.name for t in (await mcp.list_tools()).tools}
        # core is always on: an app designer needs list_apps and get_app
        assert names == APPS_TOOLS | {s.name for s in ALL_TOOLS if s.toolset == "core"}
        refused = await mcp.call_tool("get_records", {"app": 2})
        assert refused.is_error and "'records' toolset" in text_of(refused)


@pytest.mark.anyio
async def test_read_only_and_tool_lists_hold_inside_a_toolset(make_server: ServerFactory) -> None:
    async with Client(make_server(Policy.build(toolsets=["all"], read_only=True))) as mcp:
        names = {t.name for t in (await mcp.list_tools()).tools}
        # the apps toolset's one read tool stays; every tool that changes an app goes
        assert names & APPS_TOOLS == {"get_permissions"}
        result = await mcp.call_tool("deploy_app", {"apps": [2]})
        assert result.is_error and "read-only" in text_of(result)
    policy = Policy.build(toolsets=["records", "apps"], disabled_tools=["deploy_app"])
    async with Client(make_server(policy)) as mcp:
        names = {t.name for t in (await mcp.list_tools()).tools}
        assert "create_app" in names and "deploy_app" not in names
        assert "KINTONE_DISABLE_TOOLS" in text_of(await mcp.call_tool("deploy_app", {"apps": [2]}))


def test_an_unknown_toolset_stops_the_server_naming_the_known_ones(make_server: ServerFactory) -> None:
    with pytest.raises(PolicyConfigError, match=r"unknown toolset\(s\) aps; known toolsets: core, records"):
        Policy.build(toolsets=["records", "aps"])


def test_a_tool_named_outside_the_toolsets_on_stops_the_server(make_server: ServerFactory) -> None:
    with pytest.raises(PolicyConfigError, match=r"create_app \(toolset apps\), whose toolset is not on"):
        make_server(Policy.build(tools=["get_records", "create_app"]))
    # with its toolset on, the same list is fine
    make_server(Policy.build(tools=["get_records", "create_app"], toolsets=["records", "apps"]))


BASE = {"KINTONE_BASE_URL": "https://x.cybozu.com", "KINTONE_API_TOKEN": "t"}


def test_the_settings_read_kintone_toolsets_and_the_flag() -> None:
    settings = load_settings(env={**BASE, "KINTONE_TOOLSETS": "Records, apps"})
    assert settings.toolsets == ("records", "apps")
    assert load_settings(env=BASE).toolsets is None
    assert load_settings(env={**BASE, "KINTONE_TOOLSETS": ""}).toolsets is None
    flagged = load_settings(cli_overrides={"toolsets": "all"}, env=BASE)
    assert flagged.toolsets == ("all",)


@pytest.mark.anyio
async def test_test_connection_says_which_toolsets_are_on(make_server: ServerFactory) -> None:
    async with Client(make_server(Policy.build(toolsets=["apps", "records"]))) as mcp:
        report = await call_ok(mcp, "test_connection")
        policy = next(s for s in report["steps"] if s["step"] == "policy")
        assert "toolsets core, records, apps" in policy["detail"]


def test_serve_with_an_unknown_toolset_exits_at_start_up() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "kintone_mcp", "serve", "--sandbox", "--toolsets", "records,spacez"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert "unknown toolset(s) spacez" in done.stderr
    assert "known toolsets: core, records, files, users, apps, spaces" in done.stderr
