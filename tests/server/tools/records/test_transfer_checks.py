"""import_records' checks against the app and the file's encoding, through mcp.Client on the sandbox: a dry run
finds unique values already taken (and repeated in the file), ids and keys that match no record, and records changed
since the file's $revision, each with its row, writing nothing; a real run refuses the same before writing; files in
Shift_JIS, cp932 and UTF-8 with a BOM go both ways, and undecodable bytes are refused with where they are."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from kintone_mcp.sandbox import Sandbox
from tests.server.conftest import CUSTOMERS, ServerFactory
from tests.server.helpers import call_error, call_ok
from tests.server.tools.records.test_transfer import copy_app


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


async def _customers(mcp: Client, app: int = CUSTOMERS) -> list[dict[str, Any]]:
    got = await call_ok(mcp, "get_records", app=app, query="order by $id asc", limit=500)
    return list(got["records"])


def _read(path: Path) -> bytes:
    return path.read_bytes()


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


@pytest.mark.anyio
async def test_dry_run_add_finds_unique_values_taken_in_the_app_and_repeated_in_the_file(
    make_server: ServerFactory, downloads: Path
) -> None:
    async with Client(make_server(download_dir=downloads)) as mcp:
        before = await _customers(mcp)
        taken = before[4]["customer_code"]
        _jsonl(downloads / "new.jsonl", [
            {"customer_code": "N-001", "company_name": "new"},
            {"customer_code": taken, "company_name": "clash with the app"},
            {"customer_code": "N-002", "company_name": "new"},
            {"customer_code": "N-001", "company_name": "repeat in the file"},
        ])  # fmt: skip
        dry = await call_ok(mcp, "import_records", app=CUSTOMERS, file="new.jsonl", mode="add", dry_run=True)
        assert dry["problem_count"] == 2 and dry["written"] == 0
        assert any(
            p.startswith(f"row 2 (line 2): customer_code {taken!r} is already in record {before[4]['$id']}")
            for p in dry["problems"]
        ), dry["problems"]
        assert any(p.startswith("row 4 (line 4): customer_code 'N-001' is also in row 1") for p in dry["problems"])
        error = await call_error(mcp, "import_records", app=CUSTOMERS, file="new.jsonl", mode="add")
        assert "2 problem(s)" in error and "nothing was written" in error
        assert await _customers(mcp) == before


@pytest.mark.anyio
async def test_update_finds_missing_ids_and_keys_before_writing(make_server: ServerFactory, downloads: Path) -> None:
    async with Client(make_server(download_dir=downloads)) as mcp:
        before = await _customers(mcp)
        _jsonl(downloads / "by_id.jsonl", [
            {"$id": before[0]["$id"], "company_name": "kept"},
            {"$id": 987654, "company_name": "nobody"},
        ])  # fmt: skip
        dry = await call_ok(mcp, "import_records", app=CUSTOMERS, file="by_id.jsonl", mode="update", dry_run=True)
        assert dry["problems"] == ["row 2 (line 2): no record 987654 in the app (deleted?); nothing to update"]
        _jsonl(downloads / "by_key.jsonl", [
            {"customer_code": "NOT-THERE", "company_name": "nobody"},
            {"customer_code": before[1]["customer_code"], "company_name": "kept"},
        ])  # fmt: skip
        args = {"app": CUSTOMERS, "file": "by_key.jsonl", "mode": "update", "key": "customer_code"}
        dry = await call_ok(mcp, "import_records", dry_run=True, **args)
        assert dry["problems"] == [
            "row 1 (line 1): no record has customer_code 'NOT-THERE'; nothing to update"
        ], dry["problems"]
        error = await call_error(mcp, "import_records", **args)
        assert "NOT-THERE" in error and "nothing was written" in error
        _jsonl(downloads / "rev.jsonl", [{"$id": before[0]["$id"], "$revision": "3a", "company_name": "x"}])
        dry = await call_ok(mcp, "import_records", app=CUSTOMERS, file="rev.jsonl", mode="update", dry_run=True)
        assert dry["problems"][0].startswith("row 1 (line 1), $revision: '3a' is not a revision"), dry["problems"]
        # an upsert adds what matches nothing: no problem
        up = await call_ok(mcp, "import_records", app=CUSTOMERS, file="by_key.jsonl", mode="upsert",
                           key="customer_code", dry_run=True)  # fmt: skip
        assert "problems" not in up
        assert await _customers(mcp) == before


@pytest.mark.anyio
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
async def test_revision_refuses_records_changed_since_the_export(
    make_server: ServerFactory, downloads: Path, fmt: str
) -> None:
    """A file exported with $revision, edited, imported by id: the record someone changed meanwhile is named and
    kept as they left it, the others are not overwritten either (the whole file is refused)."""
    async with Client(make_server(download_dir=downloads)) as mcp:
        fields = ["$id", "$revision", "company_name"]
        done = await call_ok(
            mcp, "export_records", app=CUSTOMERS, format=fmt, fields=fields, query="$id <= 3 order by $id asc"
        )
        path = Path(done["path"])
        text = _read(path).decode("utf-8")
        if fmt == "csv":
            rows = list(csv.reader(io.StringIO(text, newline="")))
            assert rows[0] == ["$id", "$revision", "company_name"]
            out = io.StringIO()
            writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
            writer.writerows([rows[0], *([i, rev, "Edited"] for i, rev, _ in rows[1:])])
            _write(path, out.getvalue())
        else:
            _jsonl(path, [{**json.loads(line), "company_name": "Edited"} for line in text.splitlines()])
        ids = [r["$id"] for r in (await _customers(mcp))[:3]]
        await call_ok(mcp, "update_record", app=CUSTOMERS, id=ids[1], record={"company_name": "Someone else"})
        dry = await call_ok(mcp, "import_records", app=CUSTOMERS, file=path.name, mode="update", dry_run=True)
        assert dry["problem_count"] == 1
        assert dry["problems"][0].startswith(f"row 2 (line {3 if fmt == 'csv' else 2}): record {ids[1]} has changed")
        error = await call_error(mcp, "import_records", app=CUSTOMERS, file=path.name, mode="update")
        assert "has changed since the file's $revision" in error and "nothing was written" in error
        names = [r["company_name"] for r in (await _customers(mcp))[:3]]
        assert names[1] == "Someone else" and not any(n.startswith("Edited") for n in names)


@pytest.mark.anyio
@pytest.mark.parametrize("encoding", ["shift_jis", "cp932", "utf-8-sig"])
async def test_encodings_go_both_ways(
    make_server: ServerFactory, sandbox: Sandbox, downloads: Path, encoding: str
) -> None:
    name = "株式会社テスト ①" if encoding == "cp932" else "株式会社テスト"
    async with Client(make_server(download_dir=downloads)) as mcp:
        await call_ok(mcp, "add_record", app=CUSTOMERS, record={"customer_code": "JP-1", "company_name": name})
        done = await call_ok(mcp, "export_records", app=CUSTOMERS, format="csv", encoding=encoding,
                             fields=["customer_code", "company_name"], query='customer_code = "JP-1"')  # fmt: skip
        data = _read(Path(done["path"]))
        assert data.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
        assert data.decode(encoding) == f'"customer_code","company_name"\n"JP-1","{name}"\n'
        copy = await copy_app(sandbox, CUSTOMERS)
        file = Path(done["path"]).name
        result = await call_ok(mcp, "import_records", app=copy, file=file, mode="add", encoding=encoding)
        assert result["written"] == 1
        assert [r["company_name"] for r in await _customers(mcp, copy)] == [name]
        if encoding != "utf-8-sig":
            error = await call_error(mcp, "import_records", app=copy, file=file, mode="add", dry_run=True)
            assert "is not utf-8 at byte" in error and "line 2" in error and "cp932" in error


@pytest.mark.anyio
async def test_undecodable_bytes_and_unencodable_characters_are_refused(
    make_server: ServerFactory, downloads: Path
) -> None:
    async with Client(make_server(download_dir=downloads)) as mcp:
        body = '"customer_code","company_name"\n' + "".join(f'"C{i}","name {i}"\n' for i in range(5000))
        data = body.encode("utf-8")
        cut = data.index(b"name 4321")
        (downloads / "bad.csv").write_bytes(data[:cut] + b"\xff" + data[cut:])
        error = await call_error(mcp, "import_records", app=CUSTOMERS, file="bad.csv", mode="add")
        assert f"is not utf-8 at byte {cut + 1:,} (line 4,323)" in error and "nothing was written" in error
        (downloads / "bad.csv").write_bytes(b"\xef\xbb\xbf" + data[:cut] + b"\xff" + data[cut:])  # with a BOM
        error = await call_error(mcp, "import_records", app=CUSTOMERS, file="bad.csv", mode="add")
        assert f"is not utf-8 at byte {cut + 4:,} (line 4,323)" in error
        sjis = "①".encode("cp932")
        (downloads / "circled.csv").write_bytes(b'"customer_code","company_name"\n"X","' + sjis + b'"\n')
        error = await call_error(
            mcp, "import_records", app=CUSTOMERS, file="circled.csv", mode="add", encoding="shift_jis"
        )
        assert "is not shift_jis at byte 37 (line 2)" in error and "cp932" in error
        ok = await call_ok(mcp, "import_records", app=CUSTOMERS, file="circled.csv", mode="add", encoding="cp932",
                           dry_run=True)  # fmt: skip
        assert "problems" not in ok
        await call_ok(mcp, "add_record", app=CUSTOMERS, record={"customer_code": "EMOJI", "company_name": "x 😀"})
        error = await call_error(mcp, "export_records", app=CUSTOMERS, format="csv", encoding="shift_jis")
        assert "holds '😀' (U+1F600), which shift_jis cannot hold" in error and "partial file was removed" in error
        assert "Record $id" in error
        assert "for CSV only" in await call_error(
            mcp, "export_records", app=CUSTOMERS, format="jsonl", encoding="cp932"
        )
        assert _names(downloads) == ["bad.csv", "circled.csv"]
