"""Demo data: the fixed facts other tests rely on, determinism, and bulk generation speed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sandbox_api import Api, client_for

from kintone_mcp.sandbox import Sandbox, SandboxConfig

pytestmark = pytest.mark.anyio


def _dump(sb: Sandbox) -> list[tuple[object, ...]]:
    with sb.store.reading() as conn:
        records = [tuple(r) for r in conn.execute("SELECT * FROM records ORDER BY app, id")]
        files = [tuple(r) for r in conn.execute(
            "SELECT f.key, f.name, f.size, f.app, c.data FROM stored_files f JOIN file_chunks c ON c.file = f.id"
            " ORDER BY f.id, c.seq"
        )]
    return records + files


def test_same_seed_same_data_and_tokens() -> None:
    a, b = Sandbox(SandboxConfig(demo=True)), Sandbox(SandboxConfig(demo=True))
    assert _dump(a) == _dump(b)
    # One full-permission token per demo app outside the guest space (1-3 and the Contracts app 5).
    assert a.demo_tokens == b.demo_tokens and sorted(a.demo_tokens) == [1, 2, 3, 5]
    assert len(set(a.demo_tokens.values())) == 4
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
    assert counts == {1: 120, 2: 300, 3: 200, 4: 12, 5: 8}


def test_empty_sandbox_has_only_the_administrator() -> None:
    sb = Sandbox(SandboxConfig(demo=False))
    with sb.store.reading() as conn:
        assert [r[0] for r in conn.execute("SELECT code FROM users")] == ["Administrator"]
        assert conn.execute("SELECT COUNT(*) FROM apps").fetchone()[0] == 0
    assert sb.demo_tokens == {}


async def test_demo_records_scale_and_stay_consistent() -> None:
    # How fast seeding is, is measured by benchmarks/bench_sandbox_queries.py ("records built in … s"), not here:
    # a timed assertion fails on a busy machine without anything being wrong.
    sb = Sandbox(SandboxConfig(demo=True, demo_records=20_000))
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
    # The command line's default: exactly a year back, so deals and tickets run up to today.
    assert recent_start(date(2026, 11, 28)) == date(2025, 11, 28)


def _today_demo(today: date) -> Sandbox:
    """The demo as the command line makes it on ``today``, with the sandbox clock at noon UTC of that day."""
    from kintone_mcp.sandbox.demo.seed import recent_start

    noon = datetime(today.year, today.month, today.day, 12, tzinfo=UTC)
    return Sandbox(SandboxConfig(demo=True, demo_start=recent_start(today), clock=lambda: noon))


async def _count(api: Api, app: int, query: str) -> int:
    page = await api.ok("GET", "records.json", params={"app": app, "query": query, "totalCount": True,
                                                       "fields": ["$id"]})
    return int(page["totalCount"])


async def test_tickets_run_up_to_today_so_recent_and_overdue_questions_have_answers() -> None:
    sb = _today_demo(date(2026, 11, 28))
    async with client_for(sb) as client:
        api = Api(client)
        newest = await api.ok("GET", "records.json", params={
            "app": 3, "query": "order by reported_at desc limit 1", "fields": ["reported_at"]})
        assert newest["records"][0]["reported_at"]["value"].startswith("2026-11-28")
        assert await _count(api, 3, "reported_at >= FROM_TODAY(-3, DAYS)") >= 3
        assert await _count(api, 3, "reported_at = THIS_MONTH()") >= 10
        overdue = 'due_date < TODAY() and Status not in ("Resolved", "Closed")'
        assert 0 < await _count(api, 3, overdue) < 200
        # Deals were created over the same year, up to today.
        assert await _count(api, 2, "Created_datetime >= FROM_TODAY(-3, DAYS)") >= 1


async def test_the_demo_login_has_tickets_of_its_own() -> None:
    """`serve --sandbox` signs in as Administrator: "my tickets" must not be an empty answer."""
    async with client_for(Sandbox(SandboxConfig(demo=True))) as client:
        api = Api(client)  # as Administrator
        assert await _count(api, 3, "assigned_to in (LOGINUSER())") >= 20
        mine = await _count(api, 3, 'Assignee in (LOGINUSER()) and Status in ("In progress")')
        assert mine >= 3
        by_name = await _count(api, 3, 'Assignee in ("Administrator")')
        assert by_name == await _count(api, 3, "Assignee in (LOGINUSER())")


async def test_the_contracts_app_holds_downloadable_files() -> None:
    async with client_for(Sandbox(SandboxConfig(demo=True))) as client:
        api = Api(client)
        fields = (await api.ok("GET", "app/form/fields.json", params={"app": 5}))["properties"]
        assert {c for c, p in fields.items() if p["type"] == "FILE"} == {"document", "attachments"}
        records = (await api.ok("GET", "records.json", params={"app": 5, "query": "order by $id asc"}))["records"]
        assert len(records) == 8 and all(len(r["document"]["value"]) == 1 for r in records)
        assert sum(len(r["attachments"]["value"]) for r in records) >= 4
        first = records[0]
        doc = first["document"]["value"][0]
        assert doc["name"] == f"{first['contract_no']['value']}.txt" and doc["contentType"] == "text/plain"
        got = await client.get("/k/v1/file.json", params={"fileKey": doc["fileKey"]}, headers=api.headers)
        assert got.status_code == 200 and int(doc["size"]) == len(got.content)
        assert first["customer_name"]["value"] in got.text
        # The lookup's copy agrees with the Customers app.
        customer = await api.ok("GET", "records.json", params={
            "app": 1, "query": f'customer_code = "{first["customer_code"]["value"]}"'})
        assert customer["records"][0]["company_name"]["value"] == first["customer_name"]["value"]
