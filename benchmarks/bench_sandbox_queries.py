"""How fast the sandbox answers Kintone queries over a large Deals-like app, and what the compile step costs.

Builds an in-memory ``records`` table shaped like the demo Deals app (text, a lookup key, a drop-down stage, an amount,
dates, a line-item subtable) directly in SQLite, creates the expression indexes the sandbox creates on deploy, then
times each query three ways:

* ``kintone``: parse + compile the Kintone query text, then run the SQL, the way GET records.json does;
* ``floor``: the very SQL the compiler produced, run with no parse or compile step, so ``kintone / floor`` is the
  compile overhead alone;
* ``naive``: the selection written by hand in the obvious way (json_extract and nothing else), to show what the
  compiler's SQL gains or loses against it (its results are checked to be the same).

Each is reported in queries per second for the first page (``LIMIT 100``, Kintone's default) and for a count over the
whole match (what ``totalCount=true`` adds).

    python benchmarks/bench_sandbox_queries.py [--records N] [--seconds S] [--no-indexes]
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kintone_mcp.query import parse
from kintone_mcp.sandbox.store.querysql import QueryContext, compile_query, index_statements

APP = 2
NOW = datetime(2025, 6, 18, 3, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Tokyo")
STAGES = ("Lead", "Qualified", "Proposal", "Negotiation", "Won", "Lost")
PRODUCTS = (
    ("Cloud license", 1200),
    ("Support plan", 300),
    ("Onboarding", 2500),
    ("Training day", 900),
    ("Integration kit", 450),
    ("Extra storage", 80),
)
USERS = ("sato", "suzuki", "tanaka", "takahashi", "watanabe")
KINDS = ("Renewal", "Expansion", "New", "Pilot", "Upgrade")


def _f(type_: str, **extra: Any) -> dict[str, Any]:
    return {"type": type_, **extra}


def _options(labels: tuple[str, ...]) -> dict[str, Any]:
    return {label: {"label": label, "index": str(i)} for i, label in enumerate(labels)}


FIELDS: dict[str, dict[str, Any]] = {
    "Record_number": _f("RECORD_NUMBER"),
    "Created_by": _f("CREATOR"),
    "Created_datetime": _f("CREATED_TIME"),
    "title": _f("SINGLE_LINE_TEXT"),
    "customer_code": _f("SINGLE_LINE_TEXT", lookup={"relatedApp": {"app": "1"}}),
    "customer_name": _f("SINGLE_LINE_TEXT"),
    "stage": _f("DROP_DOWN", options=_options(STAGES)),
    "owner": _f("USER_SELECT"),
    "close_date": _f("DATE"),
    "next_contact": _f("DATETIME"),
    "probability": _f("NUMBER"),
    "amount": _f("NUMBER"),
    "total": _f("CALC"),
    "notes": _f("MULTI_LINE_TEXT"),
    "line_items": _f(
        "SUBTABLE",
        fields={
            "product": _f("SINGLE_LINE_TEXT"),
            "quantity": _f("NUMBER"),
            "unit_price": _f("NUMBER"),
            "subtotal": _f("CALC"),
        },
    ),
}

#: The fields the sandbox indexes on deploy: numbers, dates and times for ranges and sorts, and key-like text.
INDEXED = ("amount", "total", "probability", "close_date", "next_contact", "customer_code")

SCHEMA = """
CREATE TABLE records (
    app INTEGER NOT NULL, id INTEGER NOT NULL, revision INTEGER NOT NULL, creator TEXT NOT NULL,
    created_at TEXT NOT NULL, modifier TEXT NOT NULL, updated_at TEXT NOT NULL, status TEXT,
    assignees TEXT NOT NULL DEFAULT '[]', data TEXT NOT NULL, PRIMARY KEY (app, id)
)
"""


def build(records: int, *, indexes: bool) -> sqlite3.Connection:
    rng = random.Random(20240615)
    conn = sqlite3.connect(":memory:")
    conn.execute(SCHEMA)
    start = datetime(2024, 6, 18, tzinfo=UTC)
    rows = []
    for i in range(1, records + 1):
        customer = rng.randrange(1, 121)
        items = []
        total = 0
        for n in range(rng.randint(1, 3)):
            product, price = PRODUCTS[rng.randrange(len(PRODUCTS))]
            qty = rng.randint(1, 20)
            total += qty * price
            row = {"product": product, "quantity": str(qty), "unit_price": str(price), "subtotal": str(qty * price)}
            items.append({"id": str(i * 3 + n), "value": row})
        created = start + timedelta(minutes=i * 525_600 // records)
        close = date(2024, 7, 1) + timedelta(days=rng.randrange(540))
        data = {
            "title": f"{rng.choice(KINDS)} - Customer {customer}",
            "customer_code": f"C-{customer:04d}",
            "customer_name": f"Customer {customer}",
            "stage": rng.choice(STAGES),
            "owner": [rng.choice(USERS)],
            "close_date": close.isoformat(),
            "next_contact": (created + timedelta(days=rng.randrange(60))).strftime("%Y-%m-%dT%H:%M:00Z"),
            "probability": str(rng.randrange(0, 101, 5)),
            "amount": str(rng.randrange(500, 50_000)) if rng.random() > 0.05 else "",
            "total": str(total),
            "notes": "",
            "line_items": items,
        }
        stamp = created.strftime("%Y-%m-%dT%H:%M:00Z")
        owner = data["owner"][0]
        rows.append((APP, i, 1, owner, stamp, owner, stamp, None, "[]", json.dumps(data)))
    conn.executemany("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    if indexes:
        for statement in index_statements(APP, {code: FIELDS[code] for code in INDEXED}):
            conn.execute(statement)
    conn.execute("ANALYZE")
    return conn


def j(code: str) -> str:
    """A field read by hand, spelled like the sandbox's index expressions so that the floor can use them too."""
    return f"json_extract(data, '$.\"{code}\"')"


def num(code: str) -> str:
    return f"CAST(nullif({j(code)}, '') AS NUMERIC)"


def day(code: str) -> str:
    return f"nullif({j(code)}, '')"


# (label, Kintone query, hand-written WHERE, hand-written ORDER BY, its parameters)
CASES: list[tuple[str, str, str, str, list[object]]] = [
    ("text = (indexed lookup key)", 'customer_code = "C-0042"', f"{j('customer_code')} = ?", "id DESC", ["C-0042"]),
    (
        "text = (no index)",
        'title = "Pilot - Customer 42"',
        f"{j('title')} = ?",
        "id DESC",
        ["Pilot - Customer 42"],
    ),
    (
        "numeric range",
        "amount >= 10000 and amount < 10500",
        f"{num('amount')} >= ? AND {num('amount')} < ?",
        "id DESC",
        [10000, 10500],
    ),
    ("in on a drop-down", 'stage in ("Won", "Lost")', f"{j('stage')} IN (?, ?)", "id DESC", ["Won", "Lost"]),
    (
        "like on text",
        'title like "pilot - customer 42"',
        f"instr(lower({j('title')}), ?) > 0",
        "id DESC",
        ["pilot - customer 42"],
    ),
    ("order by amount desc limit 100", "order by amount desc limit 100", "1", f"{num('amount')} DESC, id DESC", []),
    (
        "subtable, same row",
        'product in ("Onboarding") and quantity >= 19',
        "EXISTS (SELECT 1 FROM json_each(data, '$.line_items') AS t WHERE json_extract(t.value, '$.value.product') = ?"
        " AND CAST(json_extract(t.value, '$.value.quantity') AS NUMERIC) >= ?)",
        "id DESC",
        ["Onboarding", 19],
    ),
    (
        "DATE = THIS_MONTH()",
        "close_date = THIS_MONTH()",
        f"{day('close_date')} >= ? AND {day('close_date')} <= ?",
        "id DESC",
        ["2025-06-01", "2025-06-30"],
    ),
    (
        "DATETIME = TODAY() (Tokyo)",
        "next_contact = TODAY()",
        f"{day('next_contact')} >= ? AND {day('next_contact')} < ?",
        "id DESC",
        ["2025-06-17T15:00:00Z", "2025-06-18T15:00:00Z"],
    ),
]


def rate(work: Callable[[], object], seconds: float, rounds: int = 3) -> float:
    """Calls per second of ``work``: the best of ``rounds`` timings of about ``seconds / rounds`` each, after a warm-up
    call. The best round is the one least disturbed by other processes on a shared machine."""
    work()
    best = 0.0
    for _ in range(rounds):
        calls = 0
        began = time.perf_counter()
        elapsed = 0.0
        while elapsed < seconds / rounds or calls < 2:
            work()
            calls += 1
            elapsed = time.perf_counter() - began
        best = max(best, calls / elapsed)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="records in the Deals-like app (100000)")
    parser.add_argument("--seconds", type=float, default=0.6, help="time spent on each measurement (0.6)")
    parser.add_argument("--no-indexes", action="store_true", help="skip the expression indexes the sandbox creates")
    args = parser.parse_args(argv)

    began = time.perf_counter()
    conn = build(args.records, indexes=not args.no_indexes)
    print(
        f"{args.records:,} records built in {time.perf_counter() - began:.1f} s "
        f"(SQLite {sqlite3.sqlite_version}, indexes: {'none' if args.no_indexes else ', '.join(INDEXED)})"
    )
    ctx = QueryContext("sato", "sales", TZ, NOW, indexed_codes=frozenset(() if args.no_indexes else INDEXED))

    header = (
        f"{'query':31} {'matches':>7} {'page q/s':>9} {'floor':>8} {'ratio':>5} {'naive':>7}"
        f" {'count q/s':>10} {'floor':>8} {'naive':>7}"
    )
    print(header)
    print("-" * len(header))
    for label, text, where, order_by, params in CASES:
        naive_page_sql = f"SELECT id FROM records WHERE app = ? AND ({where}) ORDER BY {order_by} LIMIT 100"
        naive_count_sql = f"SELECT COUNT(*) FROM records WHERE app = ? AND ({where})"
        compiled = compile_query(parse(text), FIELDS, ctx)
        floor_params = [APP, *compiled.params]
        floor_page_sql = (
            f"SELECT r.id FROM records r WHERE r.app = ? AND ({compiled.where}) ORDER BY {compiled.order_by} LIMIT 100"
        )
        floor_count_sql = f"SELECT COUNT(*) FROM records r WHERE r.app = ? AND ({compiled.where})"

        def kintone_page(text: str = text) -> list[Any]:
            compiled = compile_query(parse(text), FIELDS, ctx)
            sql = (
                f"SELECT r.id FROM records r WHERE r.app = ? AND ({compiled.where})"
                f" ORDER BY {compiled.order_by} LIMIT ? OFFSET ?"
            )
            limit = compiled.limit if compiled.limit is not None else 100
            return conn.execute(sql, [APP, *compiled.params, limit, compiled.offset or 0]).fetchall()

        def kintone_count(text: str = text) -> list[Any]:
            compiled = compile_query(parse(text), FIELDS, ctx)
            sql = f"SELECT COUNT(*) FROM records r WHERE r.app = ? AND ({compiled.where})"
            return conn.execute(sql, [APP, *compiled.params]).fetchall()

        def runner(sql: str, p: list[object]) -> Callable[[], list[Any]]:
            return lambda: conn.execute(sql, p).fetchall()

        floor_page, floor_count = runner(floor_page_sql, floor_params), runner(floor_count_sql, floor_params)
        naive_page, naive_count = runner(naive_page_sql, [APP, *params]), runner(naive_count_sql, [APP, *params])

        got, expected = [r[0] for r in kintone_page()], [r[0] for r in naive_page()]
        if got != expected or kintone_count() != naive_count():
            print(f"MISMATCH for {label!r}: compiled query returned {got[:5]}..., hand-written SQL {expected[:5]}...")
            return 1
        matches = naive_count()[0][0]
        seconds = args.seconds
        page, page_floor, page_naive = (rate(f, seconds) for f in (kintone_page, floor_page, naive_page))
        count, count_floor, count_naive = (rate(f, seconds) for f in (kintone_count, floor_count, naive_count))
        print(
            f"{label:31} {matches:>7,} {page:>9,.0f} {page_floor:>8,.0f} {page / page_floor:>5.2f} {page_naive:>7,.0f}"
            f" {count:>10,.1f} {count_floor:>8,.1f} {count_naive:>7,.1f}"
        )
    subtable = next(case[1] for case in CASES if case[0].startswith("subtable"))
    compile_rate = rate(lambda: compile_query(parse(subtable), FIELDS, ctx), args.seconds)
    print(f"\nparse + compile alone (subtable case): {compile_rate:,.0f} per second")
    return 0


if __name__ == "__main__":
    sys.exit(main())
