"""Demo data: the fixed facts other tests rely on, determinism, and bulk generation speed."""

from __future__ import annotations

import time

import pytest
from sandbox_api import Api, client_for

from kintone_mcp.sandbox import Sandbox, SandboxConfig

pytestmark = pytest.mark.anyio


def _dump(sb: Sandbox) -> list[tuple[object, ...]]:
    with sb.store.reading() as conn:
        return [tuple(r) for r in conn.execute("SELECT * FROM records ORDER BY app, id")]


def test_same_seed_same_data_and_tokens() -> None:
    a, b = Sandbox(SandboxConfig(demo=True)), Sandbox(SandboxConfig(demo=True))
    assert _dump(a) == _dump(b)
    assert a.demo_tokens == b.demo_tokens and len(set(a.demo_tokens.values())) == 3
    c = Sandbox(SandboxConfig(demo=True, seed=7))
    assert _dump(c) != _dump(a) and c.demo_tokens != a.demo_tokens


def test_directory_facts() -> None:
    sb = Sandbox(SandboxConfig(demo=True))
    with sb.store.reading() as conn:
        users = {r[0] for r in conn.execute("SELECT code FROM users")}
        orgs = {r[0] for r in conn.execute("SELECT code FROM organizations")}
        groups = {r[0] for r in conn.execute("SELECT code FROM groups")}
        counts = dict(conn.execute("SELECT app, COUNT(*) FROM records GROUP BY app").fetchall())
    assert users == {"Administrator", "sato", "suzuki", "tanaka", "takahashi", "watanabe"}
    assert orgs == {"sales", "support", "engineering"}
    assert {"managers", "everyone"} <= groups
    assert counts == {1: 120, 2: 300, 3: 200, 4: 12}


def test_empty_sandbox_has_only_the_administrator() -> None:
    sb = Sandbox(SandboxConfig(demo=False))
    with sb.store.reading() as conn:
        assert [r[0] for r in conn.execute("SELECT code FROM users")] == ["Administrator"]
        assert conn.execute("SELECT COUNT(*) FROM apps").fetchone()[0] == 0
    assert sb.demo_tokens == {}


async def test_demo_records_scale_and_stay_consistent() -> None:
    started = time.perf_counter()
    sb = Sandbox(SandboxConfig(demo=True, demo_records=20_000))
    elapsed = time.perf_counter() - started
    # 100,000 records take a few seconds; 20,000 must not take more than a few.
    assert elapsed < 5, elapsed
    async with client_for(sb) as client:
        api = Api(client)
        page = await api.ok(
            "GET", "records.json", params={"app": 2, "query": "order by $id desc limit 1", "totalCount": True}
        )
        assert page["totalCount"] == "20000"
        record = page["records"][0]
        total = sum(float(r["value"]["subtotal"]["value"]) for r in record["line_items"]["value"])
        assert float(record["total"]["value"]) == total
        # Generated rows have unique ids, and new rows continue after them.
        rows = {r["id"] for r in record["line_items"]["value"]}
        created = await api.ok("POST", "record.json", {"app": 2, "record": {"title": {"value": "x"}}})
        assert created["id"] == "20001"
        new_rows = (await api.ok("GET", "record.json", params={"app": 2, "id": 20001}))["record"]["line_items"]
        assert not rows & {r["id"] for r in new_rows["value"]}
        # Demo lookups are consistent with the Customers app.
        deal = page["records"][0]
        customer = await api.ok(
            "GET", "records.json", params={"app": 1, "query": f'customer_code = "{deal["customer_code"]["value"]}"'}
        )
        assert customer["records"][0]["company_name"]["value"] == deal["customer_name"]["value"]


def test_demo_start_moves_every_date_and_keeps_everything_else() -> None:
    from datetime import date, datetime

    from kintone_mcp.sandbox.demo.seed import recent_start

    fixed = Sandbox(SandboxConfig(demo=True))
    moved = Sandbox(SandboxConfig(demo=True, demo_start=date(2030, 3, 4)))
    with fixed.store.reading() as a, moved.store.reading() as b:
        first_fixed = a.execute("SELECT MIN(created_at) FROM records WHERE app = 2").fetchone()[0]
        first_moved = b.execute("SELECT MIN(created_at) FROM records WHERE app = 2").fetchone()[0]
        titles = [r[0] for r in a.execute("SELECT json_extract(data, '$.title') FROM records WHERE app = 2")]
        moved_titles = [r[0] for r in b.execute("SELECT json_extract(data, '$.title') FROM records WHERE app = 2")]
        closes = [r[0] for r in b.execute("SELECT json_extract(data, '$.close_date') FROM records WHERE app = 2")]
    shift = date(2030, 3, 4) - date(2025, 1, 6)
    parse = datetime.fromisoformat
    assert parse(first_moved) - parse(first_fixed) == shift
    assert titles == moved_titles
    assert min(closes) > "2030-03-04"
    # The command line's default: the Monday a year back, so deals run up to today.
    start = recent_start(date(2026, 11, 28))
    assert start == date(2025, 11, 24) and start.weekday() == 0
