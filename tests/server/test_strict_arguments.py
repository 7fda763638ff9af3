"""Every tool refuses an argument it does not take, and a key it does not take inside a nested object, naming it
and listing what it does take; the advertised schemas say so with ``additionalProperties: false``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from mcp import Client

from kintone_mcp.server.policy import Policy
from kintone_mcp.server.tools.registry import ALL_TOOLS
from tests.server.conftest import ServerFactory
from tests.server.helpers import call_error, call_ok


def _objects(schema: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(schema, dict):
        if isinstance(schema.get("properties"), dict):
            yield path, schema
        for key, sub in schema.items():
            yield from _objects(sub, f"{path}/{key}")
    elif isinstance(schema, list):
        for i, sub in enumerate(schema):
            yield from _objects(sub, f"{path}/{i}")


@pytest.mark.anyio
async def test_every_registered_tool_refuses_an_unknown_argument(make_server: ServerFactory) -> None:
    async with Client(make_server(Policy.build(toolsets=["all"], default_app=2))) as mcp:
        tools = (await mcp.list_tools()).tools
        # Every tool the registry has is offered here (every toolset; password credentials: the User API tools too).
        assert {t.name for t in tools} == {s.name for s in ALL_TOOLS}
        for tool in tools:
            schema = tool.input_schema
            assert schema.get("additionalProperties") is False, tool.name
            open_objects = [p for p, o in _objects(schema) if o.get("additionalProperties") is not False]
            assert open_objects == [], f"{tool.name}: objects that would take any key: {open_objects}"
            text = await call_error(mcp, tool.name, zz_not_an_argument=1)
            assert "no argument `zz_not_an_argument`" in text, text
            if schema["properties"]:
                listed = text.split("the arguments are: ", 1)[1].splitlines()[0]
                assert listed.split(", ") == list(schema["properties"]), tool.name
            else:
                assert "it takes no arguments" in text
            assert "was not run" in text


@pytest.mark.anyio
async def test_a_refused_argument_means_nothing_was_done(mcp: Client) -> None:
    before = (await call_ok(mcp, "get_records", limit=1))["total_count"]
    text = await call_error(mcp, "add_record", record={"title": "x", "stage": "Lead"}, confirm=True)
    assert "no argument `confirm`" in text
    assert (await call_ok(mcp, "get_records", limit=1))["total_count"] == before


@pytest.mark.anyio
async def test_the_trial_calls_that_were_silently_ignored(mcp: Client) -> None:
    # {"sort": ...} used to answer `order by $id desc` as if nothing had been asked.
    text = await call_error(mcp, "get_records", sort="amount desc")
    assert "no argument `sort` (did you mean `order_by`?)" in text
    assert "app, view, query, filter, fields, order_by, limit, next, max_text_chars" in text
    text = await call_error(mcp, "aggregate_records", group_by=["stage"], top=3)
    assert "no argument `top` (did you mean `limit`?)" in text


@pytest.mark.anyio
async def test_unknown_keys_inside_a_filter_are_refused_wherever_they_are(mcp: Client) -> None:
    flt = {
        "conditions": [
            {"field": "stage", "op": "in", "value": ["Won"], "sort": "amount"},
            {"match": "any", "conditons": [{"field": "amount", "op": ">", "value": 1}]},
            {"match": "any", "conditions": [{"field": "amount", "operator": ">", "value": 1}]},
        ]
    }
    for tool in ("get_records", "aggregate_records"):
        text = await call_error(mcp, tool, filter=flt)
        assert "`filter.conditions[0]` has no key `sort`; its keys are: field, op, value" in text
        assert "`filter.conditions[1]` has no key `conditons` (did you mean `conditions`?)" in text
        assert "`filter.conditions[2].conditions[0]` has no key `operator`" in text
    # Hosts that send an object as a JSON string get the same check.
    text = await call_error(mcp, "get_records", filter='{"conditions": [{"field": "stage", "value": "x", "fld": 1}]}')
    assert "has no key `fld` (did you mean `field`?)" in text
    # Free-form maps stay open: a record is field code -> value, checked against the app's fields instead.
    added = await call_ok(mcp, "add_record", record={"title": "strict", "stage": "Lead", "amount": 5})
    assert added["id"] > 0


@pytest.mark.anyio
async def test_a_misspelt_key_in_a_bulk_write_item_is_refused_before_anything_is_written(mcp: Client) -> None:
    # `revison` would have been dropped and the update sent without its guard.
    before = await call_ok(mcp, "get_record", id=1)
    text = await call_error(mcp, "update_records", records=[{"id": 1, "revison": 1, "record": {"title": "changed"}}])
    assert "`records[0]` has no key `revison` (did you mean `revision`?); its keys are: id, update_key" in text
    assert (await call_ok(mcp, "get_record", id=1))["record"] == before["record"]
