"""aggregate_records, files, users and test_connection end to end against the sandbox."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from kintone_mcp.sandbox import Sandbox
from tests.server.conftest import ServerFactory, add_file_field, token_credentials
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
async def test_upload_then_download_inline_and_to_the_folder(
    make_server: ServerFactory, sandbox: Sandbox, tmp_path: Path
) -> None:
    file_field = await add_file_field(sandbox, 1)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    source = downloads / "quote.csv"  # only files in the download folder can be attached
    source.write_text("product,qty\nPen,3\n", encoding="utf-8")
    async with Client(make_server(download_dir=downloads)) as mcp:
        up = await call_ok(mcp, "upload_file", app=1, id=1, field=file_field, path=str(source))
        again = await call_ok(mcp, "upload_file", app=1, id=1, field=file_field, path=str(source))
        assert again["files"] == up["files"] + 1
        files = (await call_ok(mcp, "get_record", app=1, id=1))["record"][file_field]
        assert [f["name"] for f in files][-2:] == ["quote.csv", "quote.csv"]
        first = await call_ok(mcp, "download_file", app=1, id=1, file_key=files[-1]["fileKey"])
        second = await call_ok(mcp, "download_file", app=1, id=1, file_key=files[-1]["fileKey"])
        assert first["text"] == "product,qty\nPen,3\n"
        assert await anyio.Path(first["path"]).read_text(encoding="utf-8") == first["text"]
        assert first["path"] != second["path"]  # never overwrites
        assert "no file with fileKey" in await call_error(mcp, "download_file", app=1, id=1, file_key="nope")
        assert "is not a file field" in await call_error(
            mcp, "upload_file", app=1, id=1, field="company_name", path=str(source)
        )
        hidden = downloads / ".secret"
        hidden.write_text("x")
        assert "hidden" in await call_error(mcp, "upload_file", app=1, id=1, field=file_field, path=str(hidden))
        outside = tmp_path / "elsewhere.txt"
        outside.write_text("x")
        assert "outside the download folder" in await call_error(
            mcp, "upload_file", app=1, id=1, field=file_field, path=str(outside)
        )


@pytest.mark.anyio
async def test_list_users_finds_codes(mcp: Client) -> None:
    users = await call_ok(mcp, "list_users")
    codes = {u["code"] for u in users["entries"]}
    assert {"Administrator", "sato", "suzuki"} <= codes
    found = await call_ok(mcp, "list_users", search="SATO")
    assert [u["code"] for u in found["entries"]] == ["sato"]
    orgs = await call_ok(mcp, "list_users", kind="organizations")
    assert {"sales", "support", "engineering"} <= {o["code"] for o in orgs["entries"]}
    members = await call_ok(mcp, "list_users", member_of="managers")
    assert members["entries"]


@pytest.mark.anyio
async def test_list_users_is_not_offered_without_user_api_credentials(
    make_server: ServerFactory, sandbox: Sandbox
) -> None:
    async with Client(make_server(credentials=token_credentials(sandbox))) as mcp:
        names = {t.name for t in (await mcp.list_tools()).tools}
        assert "list_users" not in names and "get_records" in names


@pytest.mark.anyio
async def test_connection_report_for_password_and_wrong_password(make_server: ServerFactory) -> None:
    from kintone_mcp.auth import Credentials, PasswordAuth

    async with Client(make_server()) as mcp:
        report = await call_ok(mcp, "test_connection")
        assert report["verdict"] == "ok", report
        steps = {s["step"]: s for s in report["steps"]}
        assert {
            steps[s]["status"] for s in ("address", "answers", "credentials", "apps", "permissions", "user_api")
        } == {"ok"}
        assert steps["tls"]["status"] == "skipped"  # plain http to the sandbox
        assert [a["id"] for a in report["apps"]] == [1, 2, 3]
    wrong = PasswordAuth("Administrator", "wrong-password")
    async with Client(make_server(credentials=Credentials(rest=wrong, user_api=wrong))) as mcp:
        report = await call_ok(mcp, "test_connection")
        assert report["verdict"] == "failed"
        cred = next(s for s in report["steps"] if s["step"] == "credentials")
        assert cred["status"] == "failed" and "KINTONE_PASSWORD" in cred["fix"]
        assert "wrong-password" not in str(report)


@pytest.mark.anyio
async def test_connection_report_for_tokens(make_server: ServerFactory, sandbox: Sandbox) -> None:
    async with Client(make_server(credentials=token_credentials(sandbox, [2]))) as mcp:
        report = await call_ok(mcp, "test_connection")
        steps = {s["step"]: s for s in report["steps"]}
        assert report["verdict"] == "ok" and [a["id"] for a in report["apps"]] == [2]
        assert steps["user_api"]["status"] == "skipped" and "KINTONE_USER_API_TOKEN" in steps["user_api"]["detail"]
        assert sandbox.demo_tokens[2] not in str(report)


@pytest.mark.anyio
async def test_connection_report_for_tokens_that_do_not_name_their_app(
    make_server: ServerFactory, sandbox: Sandbox
) -> None:
    from kintone_mcp.auth import ApiTokenAuth, Credentials
    from kintone_mcp.server.policy import Policy

    creds = Credentials(rest=ApiTokenAuth([sandbox.demo_tokens[2]]))
    async with Client(make_server(Policy.build(default_app=2), credentials=creds)) as mcp:
        report = await call_ok(mcp, "test_connection")
        assert report["verdict"] == "ok" and [a["id"] for a in report["apps"]] == [2]
        apps = await call_ok(mcp, "list_apps")
        assert [a["id"] for a in apps["apps"]] == [2] and "APP_ID:TOKEN" in apps["note"]


@pytest.mark.anyio
async def test_connection_report_when_nothing_answers() -> None:
    from kintone_mcp.auth import Credentials, PasswordAuth
    from kintone_mcp.client import KintoneClient
    from kintone_mcp.server.policy import Policy
    from kintone_mcp.server.state import ServerOptions
    from kintone_mcp.server.tools.connection.diagnose import diagnose, render_text

    # Port 9 on loopback: a real connection attempt that nobody accepts.
    async with KintoneClient("http://127.0.0.1:9", credentials=Credentials(rest=PasswordAuth("a", "b"))) as client:
        report = await diagnose(client, ServerOptions(), Policy.build())
    steps = {s.step: s for s in report.steps}
    assert report.verdict == "failed"
    assert steps["address"].status == "ok" and steps["answers"].status == "failed" and steps["answers"].fix
    assert steps["credentials"].status == "skipped"
    assert "[FAIL] answers" in render_text(report)
