"""export_records and import_records end to end through mcp.Client on the sandbox: round trips into a copy of the
app (CSV and JSON Lines), cli-kintone's CSV layout, and every refusal with nothing written."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client

from kintone_mcp.sandbox import Sandbox
from kintone_mcp.server.policy import Policy
from tests.server.conftest import BASE_URL, DEALS, ServerFactory, add_file_field
from tests.server.helpers import call_error, call_ok

_AUTH = {"X-Cybozu-Authorization": base64.b64encode(b"Administrator:sandbox").decode()}
_SYSTEM = {"RECORD_NUMBER", "CREATOR", "CREATED_TIME", "MODIFIER", "UPDATED_TIME", "STATUS", "STATUS_ASSIGNEE",
           "CATEGORY", "__ID__", "__REVISION__"}
#: what a round trip must keep: every field written by hand (CALC and lookup copies are Kintone's to fill)
_COMPARED = ("title", "customer_code", "stage", "owner", "department", "close_date", "next_contact", "probability",
             "amount", "notes")


async def copy_app(sandbox: Sandbox, app: int) -> int:
    """A new app with the same form as ``app``, through the sandbox's settings API."""
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=sandbox.asgi_app), base_url=BASE_URL) as http:
        fields = (await http.get("/k/v1/app/form/fields.json", params={"app": app}, headers=_AUTH)).json()
        made = await http.post("/k/v1/preview/app.json", json={"name": "Copy"}, headers=_AUTH)
        made.raise_for_status()
        new = int(made.json()["app"])
        props = {c: p for c, p in fields["properties"].items() if p["type"] not in _SYSTEM}
        body = {"app": new, "properties": props}
        (await http.post("/k/v1/preview/app/form/fields.json", json=body, headers=_AUTH)).raise_for_status()
        deployed = await http.post("/k/v1/preview/app/deploy.json", json={"apps": [{"app": new}]}, headers=_AUTH)
        deployed.raise_for_status()
    return new


async def _all(mcp: Client, app: int, query: str = "order by $id asc") -> list[dict[str, Any]]:
    got = await call_ok(mcp, "get_records", app=app, query=query, limit=500)
    return list(got["records"])


def _rows(record: dict[str, Any]) -> list[dict[str, Any]]:
    kept = ("product", "quantity", "unit_price")
    return [{k: v for k, v in row.items() if k in kept} for row in record["line_items"]]


def _text(path: Path | str) -> str:
    return Path(path).read_text(encoding="utf-8")


def _size(path: Path) -> int:
    return path.stat().st_size


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _same(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert {k: a.get(k) for k in _COMPARED} == {k: b.get(k) for k in _COMPARED}
    assert _rows(a) == _rows(b)


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


async def _seed_hard_record(mcp: Client) -> None:
    """A record with what a CSV gets wrong: quotes, commas and line breaks in text, several users, an exact
    decimal no double holds, a table of several rows."""
    await call_ok(
        mcp,
        "add_record",
        app=DEALS,
        record={
            "title": 'Deal "A", with\ncomma',
            "owner": ["sato", "suzuki"],
            "amount": "1234567890.123456789",
            "notes": 'line one\nline "two", done',
            "close_date": "2026-03-31",
            "next_contact": "2026-03-01T09:30:00Z",
            "line_items": [
                {"product": "Pen, blue", "quantity": 3, "unit_price": "0.1"},
                {"product": "Ink\n(refill)", "quantity": "2.5", "unit_price": 7},
            ],
        },
    )


@pytest.mark.anyio
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
async def test_round_trip_into_a_copy_of_the_app(
    make_server: ServerFactory, sandbox: Sandbox, downloads: Path, fmt: str
) -> None:
    copy = await copy_app(sandbox, DEALS)
    async with Client(make_server(download_dir=downloads)) as mcp:
        await _seed_hard_record(mcp)
        query = 'stage not in ("Lost") and ($id <= 30 or title like "comma") order by $id asc'
        source = await _all(mcp, DEALS, query)
        assert any(len(r["line_items"]) > 1 for r in source) and any(len(r["owner"]) > 1 for r in source)
        done = await call_ok(mcp, "export_records", app=DEALS, format=fmt, query=query)
        path = Path(done["path"])
        assert path.parent == downloads and done["records"] == len(source) and done["bytes"] == _size(path)
        assert len(done["preview"]) == 3 and done["preview"][0]["$id"] == source[0]["$id"]
        dry = await call_ok(mcp, "import_records", app=copy, file=path.name, mode="add", dry_run=True)
        assert dry["rows"] == len(source) and dry["written"] == 0 and "problems" not in dry
        assert await _all(mcp, copy) == []  # a dry run writes nothing
        imported = await call_ok(mcp, "import_records", app=copy, file=path.name, mode="add")
        assert imported["written"] == len(source)
        copied = await _all(mcp, copy)
        assert len(copied) == len(source)
        for a, b in zip(source, copied, strict=True):
            _same(a, b)
        hard = next(r for r in copied if r["title"].startswith('Deal "A"'))
        assert hard["amount"] == "1234567890.123456789" and hard["notes"] == 'line one\nline "two", done'


@pytest.mark.anyio
async def test_csv_is_cli_kintones_layout(make_server: ServerFactory, downloads: Path) -> None:
    async with Client(make_server(download_dir=downloads)) as mcp:
        await _seed_hard_record(mcp)
        last = (await _all(mcp, DEALS, "order by $id desc"))[0]
        done = await call_ok(
            mcp, "export_records", format="csv", query=f"$id = {last['$id']}",
            fields=["title", "owner", "amount", "line_items"],
        )
        text = _text(done["path"])
        rows = [r["$id"] for r in last["line_items"]]
        top = '"Deal ""A"", with\ncomma","sato\nsuzuki","1234567890.123456789"'
        assert text == (
            '"*","title","owner","amount","line_items","product","quantity","unit_price","subtotal"\n'
            f'"*",{top},"{rows[0]}","Pen, blue","3","0.1","0.3"\n'
            f',{top},"{rows[1]}","Ink\n(refill)","2.5","7","17.5"\n'
        )
        assert done["columns"][0] == "*"


@pytest.mark.anyio
async def test_update_by_id_and_upsert_by_key(make_server: ServerFactory, sandbox: Sandbox, downloads: Path) -> None:
    async with Client(make_server(download_dir=downloads)) as mcp:
        done = await call_ok(
            mcp, "export_records", app=1, format="csv", fields=["$id", "customer_code", "company_name"],
            query="order by $id asc",
        )
        lines = _text(done["path"]).splitlines()
        assert lines[0] == '"$id","customer_code","company_name"'  # no table: no "*" column; $id when named
        edited = downloads / "edit.csv"
        first = await _all(mcp, 1)
        edited.write_text(
            '"$id","company_name"\n' + "".join(f'"{r["$id"]}","Renamed {r["$id"]}"\n' for r in first[:3]),
            encoding="utf-8",
        )
        updated = await call_ok(mcp, "import_records", app=1, file="edit.csv", mode="update")
        assert updated["written"] == 3
        assert [r["company_name"] for r in (await _all(mcp, 1))[:3]] == [f"Renamed {r['$id']}" for r in first[:3]]
        up = downloads / "up.jsonl"
        up.write_text(
            json.dumps({"customer_code": first[0]["customer_code"], "company_name": "Upserted"}) + "\n"
            + json.dumps({"customer_code": "NEW-001", "company_name": "Brand new"}) + "\n",
            encoding="utf-8",
        )
        result = await call_ok(mcp, "import_records", app=1, file="up.jsonl", mode="upsert", key="customer_code")
        assert result["written"] == 2 and result["inserted"] == 1
        after = await _all(mcp, 1)
        assert after[0]["company_name"] == "Upserted" and after[-1]["customer_code"] == "NEW-001"


async def _count(mcp: Client, app: int) -> int:
    return int((await call_ok(mcp, "get_records", app=app, limit=1))["total_count"])


@pytest.mark.anyio
async def test_bad_files_are_refused_with_the_row_and_nothing_is_written(
    make_server: ServerFactory, downloads: Path, tmp_path: Path
) -> None:
    async with Client(make_server(download_dir=downloads, download_max_bytes=200_000)) as mcp:
        before = await _count(mcp, DEALS)
        (downloads / "bad.csv").write_text('"title","amount"\n"a","1"\n"b,"2"\n', encoding="utf-8")
        assert "Line 3" in await call_error(mcp, "import_records", file="bad.csv", mode="add")
        (downloads / "unknown.csv").write_text('"title","amout"\n"a","1"\n', encoding="utf-8")
        error = await call_error(mcp, "import_records", file="unknown.csv", mode="add")
        assert "unknown column 'amout'" in error and "amount" in error
        rows = "".join(f'"deal {i}","{i}"\n' for i in range(1, 9101))
        (downloads / "wrong.csv").write_text('"title","amount"\n' + rows.replace('"9000"', '"lots"'), encoding="utf-8")
        error = await call_error(mcp, "import_records", file="wrong.csv", mode="add")
        assert "row 9,000 (line 9,001), amount" in error and "nothing was written" in error
        dry = await call_ok(mcp, "import_records", file="wrong.csv", mode="add", dry_run=True)
        assert dry["problem_count"] == 1 and dry["problems"][0].startswith("row 9,000 (line 9,001), amount")
        assert dry["rows"] == 9100 and dry["written"] == 0
        (downloads / "dup.jsonl").write_text(
            '{"customer_code": "X1", "company_name": "a"}\n{"customer_code": "X1", "company_name": "b"}\n'
        )
        error = await call_error(mcp, "import_records", app=1, file="dup.jsonl", mode="add")
        assert "row 2 (line 2): customer_code 'X1' is also in row 1" in error
        outside = tmp_path / "outside.csv"
        outside.write_text('"title"\n"x"\n')
        assert "outside the download folder" in await call_error(
            mcp, "import_records", file=str(outside), mode="add"
        )
        assert "outside the download folder" in await call_error(
            mcp, "import_records", file="../outside.csv", mode="add"
        )
        (downloads / "big.csv").write_text('"title"\n' + '"x"\n' * 60_000)
        assert "more than the 200,000 bytes" in await call_error(mcp, "import_records", file="big.csv", mode="add")
        assert await _count(mcp, DEALS) == before


@pytest.mark.anyio
async def test_a_failed_later_transaction_names_the_committed_rows(
    make_server: ServerFactory, downloads: Path
) -> None:
    """Rows 1–2,000 go in; the second transaction holds a lookup key that matches no customer, which only Kintone
    can judge (the check before writing does not read other apps), so it is rolled back whole, the valid rows
    2,001–2,100 before the bad one included, and the answer says where to resume."""
    async with Client(make_server(download_dir=downloads)) as mcp:
        before = await _count(mcp, DEALS)
        lines = [json.dumps({"title": f"bulk {i:05}", "amount": i}) for i in range(1, 2501)]
        lines[2100] = json.dumps({"title": "bulk 02101", "customer_code": "NO-SUCH-CUSTOMER"})
        (downloads / "many.jsonl").write_text("\n".join(lines) + "\n")
        error = await call_error(mcp, "import_records", file="many.jsonl", mode="add")
        assert "Committed: rows 1–2,000" in error and "not written: rows 2,001–2,500" in error
        assert "rows 2,001 onwards" in error and "customer_code" in error
        assert await _count(mcp, DEALS) == before + 2000
        titles = {r["title"] for r in await _all(mcp, DEALS, 'title like "bulk 020" order by $id asc')}
        assert "bulk 02000" in titles and not any(t > "bulk 02000" for t in titles)


@pytest.mark.anyio
async def test_export_limits_and_policy(make_server: ServerFactory, sandbox: Sandbox, downloads: Path) -> None:
    async with Client(make_server(download_dir=downloads, download_max_bytes=2_000)) as mcp:
        error = await call_error(mcp, "export_records", app=DEALS, format="jsonl")
        assert "passed 2,000 bytes" in error and "partial file was removed" in error
        assert _names(downloads) == []
        assert "unknown field" in await call_error(mcp, "export_records", format="csv", fields=["nope"])
    async with Client(make_server()) as mcp:
        assert "No download folder" in await call_error(mcp, "export_records", format="csv")
    denied = Policy.build(default_app=DEALS, deny_apps=[1])
    async with Client(make_server(policy=denied, download_dir=downloads)) as mcp:
        (downloads / "in.csv").write_text('"company_name"\n"x"\n')
        calls: list[tuple[str, dict[str, Any]]] = [
            ("export_records", {"format": "csv"}),
            ("import_records", {"file": "in.csv", "mode": "add"}),
        ]
        for tool, args in calls:
            error = await call_error(mcp, tool, app=1, **args)
            assert "app 1" in error.lower(), error
        assert _names(downloads) == ["in.csv"]
    read_only = Policy.build(default_app=DEALS, read_only=True)
    async with Client(make_server(policy=read_only, download_dir=downloads)) as mcp:
        names = {t.name for t in (await mcp.list_tools()).tools}
        assert "import_records" not in names and "export_records" in names


@pytest.mark.anyio
async def test_both_send_progress_notifications(make_server: ServerFactory, downloads: Path) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(p: float, total: float | None, message: str | None) -> None:
        seen.append((p, total, message))

    async with Client(make_server(download_dir=downloads)) as mcp:
        total = await _count(mcp, DEALS)
        result = await mcp.call_tool("export_records", {"format": "jsonl"}, progress_callback=on_progress)
        assert result.is_error is False and result.structured_content is not None
        exported = [s for s in seen if s[2] == "exporting records"]
        assert exported and exported[-1][:2] == (total, total) and len(exported) == -(-total // 500)
        seen.clear()
        name = Path(result.structured_content["path"]).name
        await mcp.call_tool("import_records", {"file": name, "mode": "update"}, progress_callback=on_progress)
        stages = [s[2] for s in seen]
        assert stages[0] == "validating" and stages[-1] == "writing" and seen[-1][:2] == (total, total)


@pytest.mark.anyio
async def test_export_never_overwrites(make_server: ServerFactory, downloads: Path) -> None:
    (downloads / "deals.csv").write_text("keep me")
    async with Client(make_server(download_dir=downloads)) as mcp:
        done = await call_ok(mcp, "export_records", format="csv", file_name="deals.csv")
    assert Path(done["path"]).name == "deals (1).csv"
    assert _text(downloads / "deals.csv") == "keep me"


@pytest.mark.anyio
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
async def test_attachments_are_named_as_skipped_never_sent(
    make_server: ServerFactory, sandbox: Sandbox, downloads: Path, fmt: str
) -> None:
    field = await add_file_field(sandbox, 1)
    (downloads / "a.txt").write_text("hello")
    async with Client(make_server(download_dir=downloads)) as mcp:
        await call_ok(mcp, "upload_file", app=1, id=1, field=field, path="a.txt")
        done = await call_ok(mcp, "export_records", app=1, format=fmt, query="$id = 1")
        copy = await copy_app(sandbox, 1)
        result = await call_ok(
            mcp, "import_records", app=copy, file=Path(done["path"]).name, mode="add", key=None
        )
        assert result["written"] == 1 and result["skipped_columns"] == [field]
        assert "upload_file" in result["note"]
        assert (await _all(mcp, copy))[0][field] == []
