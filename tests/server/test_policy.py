from __future__ import annotations

import pytest

from kintone_mcp.server.policy import AppNotAllowedError, Policy, PolicyConfigError
from kintone_mcp.settings import load_settings

PASSWORD = {"KINTONE_BASE_URL": "https://example.cybozu.com", "KINTONE_USERNAME": "sato", "KINTONE_PASSWORD": "pw"}


def test_app_resolution_by_id_alias_and_default() -> None:
    p = Policy.build(aliases={"deals": "2", "Tickets": 3}, default_app="deals")
    assert p.resolve_app(5) == 5
    assert p.resolve_app("5") == 5
    assert p.resolve_app("deals") == 2
    assert p.resolve_app("tickets") == 3  # aliases are forgiving about case
    assert p.resolve_app(None) == 2
    with pytest.raises(AppNotAllowedError, match="Known aliases: Tickets, deals"):
        p.resolve_app("nope")


def test_no_default_app_says_how_to_name_one() -> None:
    with pytest.raises(AppNotAllowedError, match="KINTONE_APP_ID"):
        Policy.build().resolve_app(None)


def test_deny_wins_over_allow_on_every_path() -> None:
    p = Policy.build(allow_apps=["1", "deals"], deny_apps=[2], aliases={"deals": 2}, default_app=2)
    assert p.resolve_app(1) == 1
    for app in (2, "deals", None, 3):
        with pytest.raises(AppNotAllowedError, match="blocked"):
            p.resolve_app(app)


def test_tool_lists_and_read_only() -> None:
    p = Policy.build(read_only=True, tools=["get_records", "add_record", "list_apps"], disabled_tools=["list_apps"])
    assert p.tool_enabled("get_records", writes=False)
    assert not p.tool_enabled("add_record", writes=True)
    assert not p.tool_enabled("list_apps", writes=False)
    assert not p.tool_enabled("get_app", writes=False)


def test_configuration_mistakes_fail_at_start() -> None:
    with pytest.raises(PolicyConfigError, match="unknown tool"):
        Policy.build(tools=["get_record", "get_recods"]).check_tool_names(["get_record", "get_records"])
    with pytest.raises(PolicyConfigError, match="KINTONE_DISABLE_TOOLS"):
        Policy.build(disabled_tools=["delete_all"]).check_tool_names(["get_record"])
    with pytest.raises(PolicyConfigError, match="neither an app id nor a configured alias"):
        Policy.build(deny_apps=["deals"])
    with pytest.raises(PolicyConfigError, match="numeric app id"):
        Policy.build(aliases={"deals": "DEALS"})


def test_configured_app_references_resolve_as_the_settings_resolve_them() -> None:
    refs: list[str | int] = ["2", " deals ", 3]
    settings = load_settings({"allow_apps": refs, "app_id": " deals "}, {**PASSWORD, "KINTONE_APP_ALIASES": "deals=2"})
    p = Policy.build(allow_apps=refs, aliases={"deals": 2}, default_app=" deals ")
    assert p.allow_apps == frozenset(settings.allow_apps or ()) == {2, 3}
    assert p.default_app == settings.app_id == 2
