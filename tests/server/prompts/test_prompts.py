"""The prompts through mcp.Client: listed with their arguments per policy, rendered with live names, and every
argument that cannot be resolved refused in words."""

from __future__ import annotations

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from kintone_mcp.sandbox import Sandbox
from kintone_mcp.server.policy import Policy
from tests.server.conftest import ServerFactory
from tests.server.prompts.conftest import japanese_fields, make_app

DEFAULT = ["explore_app", "report", "triage", "inconsistent_values"]


async def text(mcp: Client, prompt: str, **args: str) -> str:
    result = await mcp.get_prompt(prompt, args)
    assert len(result.messages) == 1 and result.messages[0].role == "user"
    body = str(result.messages[0].content.text)  # type: ignore[union-attr]
    assert "\n " not in body, "one line per step: the host wraps them"
    return body


async def refusal(mcp: Client, prompt: str, **args: str) -> str:
    with pytest.raises(MCPError) as caught:
        await mcp.get_prompt(prompt, args)
    return caught.value.error.message


@pytest.mark.anyio
async def test_prompts_are_listed_with_titles_descriptions_and_arguments(mcp: Client) -> None:
    prompts = {p.name: p for p in (await mcp.list_prompts()).prompts}
    assert list(prompts) == DEFAULT
    for p in prompts.values():
        assert p.title and p.description and "\n" not in p.description and p.icons
        assert all(a.description for a in p.arguments or [])
    args = {name: [(a.name, a.required) for a in p.arguments or []] for name, p in prompts.items()}
    assert args["report"] == [("app", True), ("question", True), ("group_by", False), ("view", False)]
    assert args["triage"] == [("app", True), ("status", False), ("user", False)]
    assert args["inconsistent_values"] == [("app", True), ("field", True)]


@pytest.mark.anyio
async def test_design_app_only_with_the_apps_toolset_and_writes(make_server: ServerFactory) -> None:
    async with Client(make_server(Policy.build(default_app=2, toolsets=["all"]))) as mcp:
        assert [p.name for p in (await mcp.list_prompts()).prompts] == [*DEFAULT, "design_app"]
        body = await text(mcp, "design_app", description="track equipment loans", name="備品貸出")
        assert 'named "備品貸出"' in body and "track equipment loans" in body
        for tool in ("create_app", "add_fields", "deploy_app", "kintone://docs/field-types"):
            assert tool in body
    async with Client(make_server(Policy.build(default_app=2, toolsets=["all"], read_only=True))) as mcp:
        assert "design_app" not in [p.name for p in (await mcp.list_prompts()).prompts]
        assert "No prompt is named 'design_app' here; prompts: explore_app" in await refusal(
            mcp, "design_app", description="x"
        )
    async with Client(make_server(Policy.build(disabled_tools=["aggregate_records"]))) as mcp:
        assert [p.name for p in (await mcp.list_prompts()).prompts] == ["explore_app", "triage"]


@pytest.mark.anyio
async def test_explore_app_takes_an_id_an_alias_or_a_name(make_server: ServerFactory, sandbox: Sandbox) -> None:
    app = await make_app(sandbox, "案件管理", japanese_fields())
    async with Client(make_server(Policy.build(default_app=2, aliases={"tickets": 3}))) as mcp:
        for given in ("3", "tickets", "TICKETS", "Support tickets", "support TICKETS"):
            body = await text(mcp, "explore_app", app=given)
            assert "Support tickets (app=3)" in body and "get_app for app 3" in body, given
        assert f"案件管理 (app={app})" in await text(mcp, "explore_app", app="案件管理")
        assert "Did you mean 'Support tickets' (app 3)?" in await refusal(mcp, "explore_app", app="Support")
        assert "There is no app 99" in await refusal(mcp, "explore_app", app="99")


@pytest.mark.anyio
async def test_apps_outside_the_allow_list_are_refused(make_server: ServerFactory) -> None:
    async with Client(make_server(Policy.build(allow_apps=[1, 2], default_app=2))) as mcp:
        assert "blocked by this server's app allow/deny settings" in await refusal(mcp, "explore_app", app="3")
        # By name, a blocked app is not among the apps this server may use: its existence is not confirmed.
        message = await refusal(mcp, "triage", app="Support tickets")
        assert "No app this server may use is named 'Support tickets'" in message and "Did you mean" not in message
        assert "Customers (app=1)" in await text(mcp, "explore_app", app="customers")


@pytest.mark.anyio
async def test_unknown_and_missing_arguments_are_named(mcp: Client) -> None:
    message = await refusal(mcp, "triage", app="3", bogus="x")
    assert "unknown argument(s) bogus" in message and "takes: app, status (optional), user (optional)" in message
    assert "missing app, question" in await refusal(mcp, "report")
    assert "missing question" in await refusal(mcp, "report", app="2", question="  ")


@pytest.mark.anyio
async def test_report_aggregates_first_with_the_field_and_view_resolved(mcp: Client) -> None:
    body = await text(mcp, "report", app="Deals", question="won deals per owner", group_by="Owner", view="pipeline")
    assert "won deals per owner" in body and "by the field owner" in body
    assert 'stage not in ("Won", "Lost")' in body  # the view's filter, for aggregate_records' query
    assert body.index("aggregate_records") < body.index("get_records")
    assert "Deals has no view named 'Nope'; its views: 'Pipeline', 'Won deals'" in await refusal(
        mcp, "report", app="2", question="q", view="Nope"
    )
    message = await refusal(mcp, "report", app="2", question="q", group_by="stag")
    assert "no field with the code or label 'stag'" in message and "Did you mean stage" in message
    assert "MULTI_LINE_TEXT field" in await refusal(mcp, "report", app="2", question="q", group_by="notes")


@pytest.mark.anyio
async def test_triage_uses_the_apps_own_status_and_assignee_fields(mcp: Client) -> None:
    body = await text(mcp, "triage", app="3")
    assert "Assignee in (LOGINUSER())" in body and "Open → In progress → Resolved → Closed" in body
    body = await text(mcp, "triage", app="3", status="In progress", user="tanaka")
    assert 'Assignee in ("tanaka") and Status in ("In progress")' in body and "the user tanaka" in body
    assert "Nothing can be changed" not in body
    assert "does not use process management" in await refusal(mcp, "triage", app="2")
    assert "its statuses: Open, In progress, Resolved, Closed" in await refusal(mcp, "triage", app="3", status="Done")
    message = await refusal(mcp, "triage", app="3", user="tanak")
    assert "No user has the code 'tanak'" in message and "Did you mean tanaka" in message


@pytest.mark.anyio
async def test_prompts_that_would_write_say_so_in_read_only_mode(make_server: ServerFactory) -> None:
    async with Client(make_server(Policy.build(default_app=2, read_only=True))) as mcp:
        assert [p.name for p in (await mcp.list_prompts()).prompts] == DEFAULT
        assert "Nothing can be changed here (this server is read-only)" in await text(mcp, "triage", app="3")
        body = await text(mcp, "inconsistent_values", app="1", field="Industry")
        assert "this server is read-only" in body and "industry" in body
    async with Client(make_server(Policy.build(disabled_tools=["update_records"]))) as mcp:
        body = await text(mcp, "inconsistent_values", app="1", field="company_name")
        assert "this server does not offer update_records" in body


@pytest.mark.anyio
async def test_inconsistent_values_takes_text_and_choice_fields_by_label(
    make_server: ServerFactory, sandbox: Sandbox
) -> None:
    app = await make_app(sandbox, "案件管理", japanese_fields())
    async with Client(make_server()) as mcp:
        body = await text(mcp, "inconsistent_values", app="案件管理", field="顧客名")
        assert "顧客名 (kokyaku)" in body and 'group_by ["kokyaku"]' in body and f"app {app}" in body
        assert "update_records" in body and "Nothing can be changed" not in body
        assert "USER_SELECT field" in await refusal(mcp, "inconsistent_values", app=str(app), field="担当者")


@pytest.mark.anyio
async def test_prompts_work_in_the_handshake_era_too(make_server: ServerFactory) -> None:
    async with Client(make_server(), mode="legacy") as mcp:
        assert [p.name for p in (await mcp.list_prompts()).prompts] == DEFAULT
        assert "Support tickets (app=3)" in await text(mcp, "explore_app", app="Support tickets")
