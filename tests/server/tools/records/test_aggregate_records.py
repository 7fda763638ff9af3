"""aggregate_records end to end: sums checked against the records themselves, periods, table columns."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from mcp import Client

from tests.server.helpers import call_error, call_ok


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
    assert "several values" not in (single.get("cut") or "")
    multi = await call_ok(mcp, "aggregate_records", app=3, group_by=["Assignee"], query='Status in ("Open")')
    assert sum(g["count"] for g in multi["groups"]) > multi["overall"]["count"]
    assert "several values" in multi["cut"]


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
    assert "counts are its rows" in agg["cut"]
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
    assert "cut" not in agg or "counts are its rows" not in agg["cut"]


@pytest.mark.anyio
async def test_no_group_by_gives_overall_only(mcp: Client) -> None:
    agg = await call_ok(mcp, "aggregate_records", metrics=["sum(amount)"], query='stage in ("Won")')
    assert agg["groups"] == [] and agg["overall"]["count"] == agg["total_count"] > 0
