"""update_views against the sandbox: views built from a filter or query, kept views, calendar views, refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from mcp import Client

from kintone_mcp.server.policy import Policy
from tests.server.conftest import ServerFactory
from tests.server.helpers import call_error, call_ok

FIELDS = [
    {"code": "item", "type": "SINGLE_LINE_TEXT"},
    {"code": "due", "type": "DATE"},
    {"code": "state", "type": "DROP_DOWN", "options": ["Out", "Back"]},
    {"code": "qty", "type": "NUMBER"},
]


@pytest.fixture
async def built(make_server: ServerFactory) -> AsyncIterator[tuple[Client, int]]:
    async with Client(make_server(Policy.build(toolsets=["all"]))) as mcp:
        app = (await call_ok(mcp, "create_app", name="Loans"))["app"]
        await call_ok(mcp, "add_fields", app=app, fields=FIELDS)
        await call_ok(mcp, "deploy_app", apps=[app])
        await call_ok(mcp, "add_records", app=app, records=[
            {"item": "a", "state": "Out", "qty": 1, "due": "2026-01-02"},
            {"item": "b", "state": "Back", "qty": 5, "due": "2026-01-01"},
            {"item": "c", "state": "Out", "qty": 9, "due": "2026-01-03"},
        ])
        yield mcp, app


@pytest.mark.anyio
async def test_views_from_a_filter_and_a_query_then_read_through_them(built: tuple[Client, int]) -> None:
    mcp, app = built
    done = await call_ok(mcp, "update_views", app=app, views=[
        {"name": "Out", "fields": ["item", "due"], "filter": {"conditions": [
            {"field": "state", "op": "in", "value": ["Out"]}]}, "order_by": "due desc"},
        {"name": "Big", "query": "qty >= 5", "order_by": "qty asc"},
        {"name": "Calendar", "type": "CALENDAR", "date": "due", "title": "item"},
    ])
    assert done["views"] == ["Out", "Big", "Calendar"] and "deploy_app" in done["note"]
    await call_ok(mcp, "deploy_app", apps=[app])
    views = {v["name"]: v for v in (await call_ok(mcp, "get_app", app=app))["views"]}
    assert set(views) == {"Out", "Big", "Calendar"}
    out = await call_ok(mcp, "get_records", app=app, view="Out")
    assert [r["item"] for r in out["records"]] == ["c", "a"]
    big = await call_ok(mcp, "get_records", app=app, view="Big")
    assert [r["item"] for r in big["records"]] == ["b", "c"]
    # Views not named are kept; remove deletes one; replace_all keeps only those given.
    kept = await call_ok(mcp, "update_views", app=app, views=[{"name": "All", "fields": ["item"]}], remove=["Big"])
    assert kept["views"] == ["Out", "Calendar", "All"] and kept["removed"] == ["Big"]
    only = await call_ok(mcp, "update_views", app=app, views=[{"name": "All"}], replace_all=True)
    assert only["views"] == ["All"] and set(only["removed"]) == {"Out", "Calendar"}


@pytest.mark.anyio
async def test_bad_views_are_refused_with_nothing_sent(built: tuple[Client, int]) -> None:
    mcp, app = built
    text = await call_error(mcp, "update_views", app=app, views=[
        {"name": "x", "query": "nope = 1"},
        {"name": "y", "fields": ["ghost"]},
        {"name": "z", "type": "CALENDAR", "date": "item"},
        {"name": "w", "query": "qty > 1 order by qty asc"},
        {"name": "v", "order_by": "ghost asc"},
        {"name": "u", "filter": {"conditions": [{"field": "qty", "op": "≈"}]}},
    ], remove=["Missing"])
    assert "Nothing was sent" in text
    for expected in ("x:", "nope", "the column 'ghost'", "needs `date`, a date", "query takes a condition only",
                     "v:", "'Missing', which is no view", "u: filter:", "as get_records takes it"):
        assert expected in text, expected
    assert (await call_ok(mcp, "get_app", app=app)).get("views") in (None, [])
    assert "Nothing to change" in await call_error(mcp, "update_views", app=app)
