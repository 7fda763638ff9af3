"""aggregate_records end to end: sums checked against the records themselves, periods, table columns."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from mcp import Client

from kintone_mcp.sandbox import Sandbox, SandboxConfig
from tests.server.helpers import call_error, call_ok
from tests.server.tools.records._servers import server_on


async def _all_records(mcp: Client, **args: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    page = await call_ok(mcp, "get_records", limit=500, **args)
    while True:
        out += page["records"]
        if not page.get("next"):
            return out
        page = await call_ok(mcp, "get_records", next=page["next"], limit=500)


@pytest.mark.anyio
async def test_aggregate_matches_a_sum_over_the_records_themselves(mcp: Client) -> None:
    agg = await call_ok(
        mcp,
        "aggregate_records",
        group_by=["owner"],
        metrics=["sum(amount)", "avg(probability)", "max(close_date)", "sum(quantity)"],
        filter={"conditions": [{"field": "stage", "op": "not in", "value": ["Lost"]}]},
    )
    records = await _all_records(mcp, fields=["owner", "amount", "line_items"], query='stage not in ("Lost")')
    assert agg["records_scanned"] == agg["total_count"] == agg["overall"]["count"] == len(records)
    expected: dict[str, Decimal] = {}
    for r in records:
        for owner in r["owner"] or [None]:
            expected[owner] = expected.get(owner, Decimal(0)) + Decimal(str(r["amount"] or 0))
    got = {g["key"]["owner"]: Decimal(str(g["values"]["sum(amount)"])) for g in agg["groups"]}
    assert got == expected
    counts = [g["count"] for g in agg["groups"]]
    assert counts == sorted(counts, reverse=True)
    total_qty = sum(Decimal(str(row["quantity"] or 0)) for r in records for row in r["line_items"])
    assert Decimal(str(agg["overall"]["values"]["sum(quantity)"])) == total_qty
    assert set(agg["names"]) >= {k for k in got if k}


@pytest.mark.anyio
async def test_aggregate_by_month_and_errors(mcp: Client) -> None:
    agg = await call_ok(mcp, "aggregate_records", group_by=["close_date:month", "stage"])
    keys = [g["key"]["close_date:month"] for g in agg["groups"]]
    assert keys == sorted(keys, key=str) and all(k is None or len(k) == 7 for k in keys)
    assert sum(g["count"] for g in agg["groups"]) == agg["records_scanned"]
    assert "needs a number field" in await call_error(mcp, "aggregate_records", metrics=["sum(title)"])
    assert "only applies to date" in await call_error(mcp, "aggregate_records", group_by=["stage:month"])
    assert "unknown field" in await call_error(mcp, "aggregate_records", group_by=["owners"])


@pytest.mark.anyio
async def test_several_values_note_only_when_a_record_really_counted_twice(mcp: Client) -> None:
    single = await call_ok(mcp, "aggregate_records", group_by=["owner"])
    assert sum(g["count"] for g in single["groups"]) == single["overall"]["count"]
    assert "several values" not in (single.get("note") or "")
    multi = await call_ok(mcp, "aggregate_records", app=3, group_by=["Assignee"], query='Status in ("Open")')
    assert sum(g["count"] for g in multi["groups"]) > multi["overall"]["count"]
    assert "several values" in multi["note"] and "cut" not in multi


@pytest.mark.anyio
async def test_grouping_by_a_table_column_counts_rows(mcp: Client) -> None:
    won = 'stage in ("Won")'
    agg = await call_ok(
        mcp, "aggregate_records", group_by=["product"], metrics=["sum(quantity)", "sum(subtotal)"], query=won
    )
    rows = [row for r in (await call_ok(mcp, "get_records", query=won, fields=["line_items"], limit=500))["records"]
            for row in r["line_items"]]  # fmt: skip
    expected: dict[str, list[int]] = {}
    for row in rows:
        got = expected.setdefault(row["product"], [0, 0, 0])
        got[0] += 1
        got[1] += row["quantity"]
        got[2] += row["subtotal"]
    assert {g["key"]["product"]: [g["count"], *g["values"].values()] for g in agg["groups"]} == expected
    assert agg["overall"]["count"] == len(rows) > agg["records_scanned"]
    assert "counts are its rows" in agg["note"]
    # A record-level metric would be counted once per row: refused, with the way out.
    text = await call_error(mcp, "aggregate_records", group_by=["product"], metrics=["sum(amount)"])
    assert "metrics must be columns of 'line_items'" in text and "separate call" in text


@pytest.mark.anyio
async def test_a_table_column_metric_sums_every_row_of_each_record(mcp: Client) -> None:
    won = 'stage in ("Won")'
    agg = await call_ok(mcp, "aggregate_records", group_by=["stage"], metrics=["sum(quantity)"], query=won)
    records = (await call_ok(mcp, "get_records", query=won, fields=["line_items"], limit=500))["records"]
    total = sum(row["quantity"] for r in records for row in r["line_items"])
    assert agg["overall"] == {"key": {}, "count": len(records), "values": {"sum(quantity)": total}}
    assert [(g["key"], g["count"]) for g in agg["groups"]] == [({"stage": "Won"}, len(records))]
    assert "note" not in agg and "cut" not in agg


@pytest.mark.anyio
async def test_no_group_by_gives_overall_only(mcp: Client) -> None:
    agg = await call_ok(mcp, "aggregate_records", metrics=["sum(amount)"], query='stage in ("Won")')
    assert agg["groups"] == [] and agg["overall"]["count"] == agg["total_count"] > 0


@pytest.mark.anyio
async def test_top_n_by_a_metric_keeps_the_top_groups_and_says_what_it_left_out(mcp: Client) -> None:
    every = await call_ok(mcp, "aggregate_records", group_by=["customer_code"], metrics=["sum(amount)"])
    by_sum = sorted(every["groups"], key=lambda g: -g["values"]["sum(amount)"])
    top = await call_ok(mcp, "aggregate_records", group_by=["customer_code"], order_by="sum(amount) desc", limit=3)
    # The metric ordered by is computed and shown even when `metrics` did not name it.
    assert [g["values"]["sum(amount)"] for g in top["groups"]] == [g["values"]["sum(amount)"] for g in by_sum[:3]]
    rest = by_sum[3:]
    low, high = rest[-1]["values"]["sum(amount)"], rest[0]["values"]["sum(amount)"]
    assert top["cut"] == (
        f"Listed the first 3 groups by sum(amount) desc (limit 3); {len(rest)} more groups "
        f"({sum(g['count'] for g in rest)} records; sum(amount) {high} to {low}) are not listed: use order_by "
        '"sum(amount) asc" for the other end, a larger `limit` (up to 200) or narrow the query.'
    )
    bottom = await call_ok(mcp, "aggregate_records", group_by=["customer_code"], order_by="sum(amount) asc", limit=2)
    assert [g["values"]["sum(amount)"] for g in bottom["groups"]] == [
        g["values"]["sum(amount)"] for g in by_sum[:-3:-1]
    ]
    stages = (await call_ok(mcp, "aggregate_records", group_by=["stage"]))["groups"]
    fewest = await call_ok(mcp, "aggregate_records", group_by=["stage"], order_by="count asc", limit=1)
    assert fewest["groups"][0]["count"] == min(g["count"] for g in stages)
    text = await call_error(mcp, "aggregate_records", group_by=["stage"], order_by="amount desc")
    assert "names neither a metric nor a group_by field" in text and "'stage'" in text
    # Without groups a limit would read as "aggregate 10 records": refused.
    text = await call_error(mcp, "aggregate_records", metrics=["sum(amount)"], limit=10)
    assert "without group_by there are none" in text


@pytest.mark.anyio
async def test_the_group_cap_keeps_the_order_asked_for_and_says_which_period_it_dropped() -> None:
    # 3,000 deals close on more than 200 days: the answer used to list the first 200 days and call the rest
    # "smaller groups", while it had dropped the latest months.
    async with Client(server_on(Sandbox(SandboxConfig(demo=True, demo_records=3000)))) as mcp:
        days = await call_ok(mcp, "aggregate_records", group_by=["close_date:day"])
        listed = [g["key"]["close_date:day"] for g in days["groups"]]
        assert len(listed) == 200 and listed == sorted(listed)
        latest = await call_ok(mcp, "aggregate_records", group_by=["close_date:day"], order_by="close_date:day desc")
        tail = [g["key"]["close_date:day"] for g in latest["groups"]]
        assert tail == sorted(tail, reverse=True) and tail[0] > listed[-1]
        left = days["overall"]["count"] - sum(g["count"] for g in days["groups"])
        found = re.search(r"; (\d+) more groups \(([\d,]+) records; close_date:day (\S+) to (\S+)\)", days["cut"])
        assert found is not None, days["cut"]
        assert int(found[2].replace(",", "")) == left
        # Exactly the days after the last one listed, up to the latest.
        assert found[3] > listed[-1] and found[4] == tail[0]
        assert 'order_by "close_date:day desc" for the other end' in days["cut"]
        assert "group by a longer period" in days["cut"]
        five = await call_ok(mcp, "aggregate_records", group_by=["close_date:day"], order_by="close_date:day desc",
                             limit=5)  # fmt: skip
        assert [g["key"]["close_date:day"] for g in five["groups"]] == tail[:5]


@pytest.mark.anyio
async def test_count_alone_and_count_of_a_field_counts_its_non_empty_values(mcp: Client) -> None:
    plain = await call_ok(mcp, "aggregate_records", metrics=["count"], group_by=["stage"])
    assert plain["overall"]["count"] == plain["total_count"] > 0 and "values" not in plain["overall"]
    await call_ok(mcp, "add_record", record={"title": "no code", "stage": "Lead"})
    agg = await call_ok(mcp, "aggregate_records", metrics=["count(customer_code)", "count(product)"])
    records = await _all_records(mcp, fields=["customer_code", "line_items"])
    assert agg["overall"]["values"]["count(customer_code)"] == sum(1 for r in records if r["customer_code"])
    assert agg["overall"]["values"]["count(customer_code)"] < agg["overall"]["count"]
    cells = sum(1 for r in records for row in r["line_items"] if row["product"])
    assert agg["overall"]["values"]["count(product)"] == cells
    assert "unknown field" in await call_error(mcp, "aggregate_records", metrics=["count(nosuch)"])


@pytest.mark.anyio
async def test_notes_that_are_not_cuts_go_to_note(mcp: Client) -> None:
    agg = await call_ok(mcp, "aggregate_records", group_by=["next_contact:month"])
    assert agg["note"] == "Date-time periods are in UTC." and "cut" not in agg
