"""completion/complete through mcp.Client: every app, field, view, status and user argument completes from what the
connection sees (what get_app / list_apps / list_users answer), the app lists applied, bounded, Japanese-aware."""

from __future__ import annotations

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import PromptReference, ResourceTemplateReference

from kintone_mcp.sandbox import Sandbox
from kintone_mcp.server.policy import Policy
from tests.server.conftest import ServerFactory
from tests.server.helpers import call_ok
from tests.server.prompts.conftest import japanese_fields, make_app, set_faults

SCHEMA = ResourceTemplateReference(uri="kintone://app/{app}/schema")


async def complete(mcp: Client, prompt: str, arg: str, typed: str = "", **context: str) -> list[str]:
    ref = SCHEMA if prompt == "schema" else PromptReference(name=prompt)
    result = (await mcp.complete(ref, {"name": arg, "value": typed}, context or None)).completion
    assert result.total == len(result.values) and result.has_more is False
    return result.values


@pytest.mark.anyio
async def test_apps_complete_as_list_apps_lists_them_by_name_alias_or_id(make_server: ServerFactory) -> None:
    async with Client(make_server(Policy.build(default_app=2, aliases={"deals": 2}))) as mcp:
        listed = {a["id"]: a["name"] for a in (await call_ok(mcp, "list_apps"))["apps"]}
        values = await complete(mcp, "explore_app", "app")
        # The alias stands for the Deals app; every other app by its name, as list_apps names it.
        assert values == [("deals" if i == 2 else name) for i, name in listed.items()]
        assert await complete(mcp, "explore_app", "app", "sup") == ["Support tickets"]
        assert await complete(mcp, "report", "app", "TICK") == ["Support tickets"]  # the app code, any case
        # Prefix matches come before matches inside a name.
        assert (await complete(mcp, "triage", "app", "c"))[:2] == ["Customers", "Contracts"]
        # The resource template takes ids and aliases only: a name is not a URI segment.
        assert await complete(mcp, "schema", "app") == [("deals" if i == 2 else str(i)) for i in listed]
        assert await complete(mcp, "schema", "app", "Supp") == ["3"]


@pytest.mark.anyio
async def test_app_completions_respect_the_allow_and_deny_lists(make_server: ServerFactory) -> None:
    async with Client(make_server(Policy.build(allow_apps=[1, 2, 3], deny_apps=[3], default_app=2))) as mcp:
        assert await complete(mcp, "explore_app", "app") == ["Customers", "Deals"]
        assert await complete(mcp, "explore_app", "app", "support") == []
        assert await complete(mcp, "schema", "app") == ["1", "2"]
        # Nothing of a blocked app completes, even when it is named in the context.
        assert await complete(mcp, "triage", "status", app="3") == []
        assert await complete(mcp, "report", "view", app="Support tickets") == []
        assert await complete(mcp, "inconsistent_values", "field", app="3") == []


@pytest.mark.anyio
async def test_fields_views_and_statuses_complete_from_the_chosen_app(mcp: Client) -> None:
    tickets = await call_ok(mcp, "get_app", app=3)
    deals = await call_ok(mcp, "get_app", app=2)
    assert await complete(mcp, "triage", "status", app="3") == tickets["process"]["states"]
    assert await complete(mcp, "triage", "status", "in", app="Support tickets") == ["In progress"]
    assert await complete(mcp, "report", "view", app="2") == [v["name"] for v in deals["views"]]
    # No app chosen: the default app (Deals) is the context.
    assert await complete(mcp, "report", "view") == [v["name"] for v in deals["views"]]
    codes = [f["code"] for f in deals["fields"]]
    grouped = await complete(mcp, "report", "group_by", app="2")
    assert set(grouped) <= set(codes) and {"stage", "owner", "close_date", "amount"} <= set(grouped)
    assert "notes" not in grouped and "line_items" not in grouped  # aggregate_records cannot group by them
    assert "Status" not in grouped  # Deals has no process management: its status field holds nothing
    # By label as well as by code; the value is always the code.
    assert await complete(mcp, "report", "group_by", "expected", app="2") == ["close_date"]
    textual = await complete(mcp, "inconsistent_values", "field", app="1")
    assert {"company_name", "industry", "region", "tags"} <= set(textual) and "employees" not in textual
    # Free-text arguments complete nothing.
    assert await complete(mcp, "report", "question", "how") == []


@pytest.mark.anyio
async def test_users_complete_as_list_users_finds_them(mcp: Client) -> None:
    everyone = [u["code"] for u in (await call_ok(mcp, "list_users", limit=100))["entries"]]
    assert await complete(mcp, "triage", "user") == everyone
    found = [u["code"] for u in (await call_ok(mcp, "list_users", search="ta"))["entries"]]
    assert set(await complete(mcp, "triage", "user", "ta")) == set(found)
    assert (await complete(mcp, "triage", "user", "ta"))[:2] == ["tanaka", "takahashi"]  # prefixes first
    assert await complete(mcp, "triage", "user", "Sakura") == ["takahashi"]  # by display name


@pytest.mark.anyio
async def test_japanese_names_match_across_widths_and_kana(make_server: ServerFactory, sandbox: Sandbox) -> None:
    app = await make_app(sandbox, "案件管理", japanese_fields())
    async with Client(make_server()) as mcp:
        assert await complete(mcp, "explore_app", "app", "案件") == ["案件管理"]
        assert await complete(mcp, "explore_app", "app", "管理") == ["案件管理"]  # inside the name
        assert await complete(mcp, "schema", "app", "案件") == [str(app)]
        assert await complete(mcp, "inconsistent_values", "field", "顧客", app="案件管理") == ["kokyaku"]
        # Half-width katakana, and hiragana, find a katakana label.
        assert await complete(mcp, "inconsistent_values", "field", "ｶﾃｺﾞﾘｰ", app=str(app)) == ["kubun"]
        assert await complete(mcp, "inconsistent_values", "field", "かてごりー", app=str(app)) == ["kubun"]
        # Full-width Latin finds an ASCII code.
        assert await complete(mcp, "inconsistent_values", "field", "ＫＯＫＹ", app=str(app)) == ["kokyaku"]
        grouped = await complete(mcp, "report", "group_by", app=str(app))
        assert "tantou" in grouped and "memo" not in grouped


@pytest.mark.anyio
async def test_completions_are_bounded_with_total_and_has_more(make_server: ServerFactory, sandbox: Sandbox) -> None:
    many = {f"f{i:03}": {"type": "SINGLE_LINE_TEXT", "code": f"f{i:03}", "label": f"Field {i}"} for i in range(130)}
    app = await make_app(sandbox, "Wide", many)
    async with Client(make_server()) as mcp:
        ref = PromptReference(name="inconsistent_values")
        result = (await mcp.complete(ref, {"name": "field", "value": "f"}, {"app": str(app)})).completion
        assert len(result.values) == 100 and result.total == 130 and result.has_more is True
        assert result.values == [f"f{i:03}" for i in range(100)]
        narrowed = (await mcp.complete(ref, {"name": "field", "value": "f12"}, {"app": str(app)})).completion
        assert narrowed.values == [f"f12{i}" for i in range(10)] and narrowed.has_more is False


@pytest.mark.anyio
async def test_lists_are_cached_per_connection(make_server: ServerFactory, sandbox: Sandbox) -> None:
    server = make_server()
    async with Client(server) as mcp:
        first = await complete(mcp, "triage", "status", app="3")
        users = await complete(mcp, "triage", "user")
        apps = await complete(mcp, "explore_app", "app")
        await set_faults(sandbox, ["error:status=503"])  # Kintone now fails every request
        assert await complete(mcp, "triage", "status", app="3") == first
        assert await complete(mcp, "triage", "user") == users
        assert await complete(mcp, "explore_app", "app") == apps
    async with Client(server) as mcp:
        # A new connection reads afresh: with Kintone failing, it has nothing to offer, and says nothing wrong.
        assert await complete(mcp, "triage", "status", app="3") == []
        await set_faults(sandbox, [])
        assert await complete(mcp, "triage", "status", app="3") == first


@pytest.mark.anyio
async def test_completions_work_in_the_handshake_era_too(make_server: ServerFactory) -> None:
    async with Client(make_server(), mode="legacy") as mcp:
        assert mcp.server_capabilities.completions is not None
        assert await complete(mcp, "triage", "status", "reso", app="3") == ["Resolved"]


@pytest.mark.anyio
async def test_unknown_prompts_and_templates_are_refused(mcp: Client) -> None:
    with pytest.raises(MCPError, match="No prompt is named 'nosuch'"):
        await mcp.complete(PromptReference(name="nosuch"), {"name": "app", "value": ""})
    with pytest.raises(MCPError, match="No resource template"):
        await mcp.complete(ResourceTemplateReference(uri="kintone://nothing/{x}"), {"name": "x", "value": ""})


@pytest.mark.anyio
async def test_users_complete_nothing_without_user_api(make_server: ServerFactory, sandbox: Sandbox) -> None:
    from tests.server.conftest import token_credentials

    async with Client(make_server(credentials=token_credentials(sandbox, apps=[1, 2]))) as mcp:
        assert await complete(mcp, "triage", "user", "ta") == []
        # API tokens cannot list apps: the tokens' own apps complete, as list_apps lists them.
        listed = [a["name"] for a in (await call_ok(mcp, "list_apps"))["apps"]]
        assert listed == ["Customers", "Deals"]
        assert await complete(mcp, "explore_app", "app") == listed


@pytest.mark.anyio
async def test_an_app_created_here_completes_at_once(make_server: ServerFactory) -> None:
    async with Client(make_server(Policy.build(allow_apps=[2], default_app=2, toolsets=["all"]))) as mcp:
        assert await complete(mcp, "explore_app", "app") == ["Deals"]  # the list is now cached
        created = await call_ok(mcp, "create_app", name="備品貸出")
        assert await complete(mcp, "explore_app", "app", "備品") == ["備品貸出"], created
