"""test_connection: the connection report for good and wrong credentials, tokens, and a host that does not answer."""

from __future__ import annotations

import pytest
from mcp import Client

from kintone_mcp.auth import Credentials, PasswordAuth
from kintone_mcp.sandbox import Sandbox
from tests.server.conftest import ServerFactory, token_credentials
from tests.server.helpers import call_ok


@pytest.mark.anyio
async def test_connection_report_for_password_and_wrong_password(make_server: ServerFactory) -> None:

    async with Client(make_server()) as mcp:
        report = await call_ok(mcp, "test_connection")
        assert report["verdict"] == "ok", report
        steps = {s["step"]: s for s in report["steps"]}
        assert {
            steps[s]["status"] for s in ("address", "answers", "credentials", "apps", "permissions", "user_api")
        } == {"ok"}
        assert steps["tls"]["status"] == "skipped"  # plain http to the sandbox
        assert [a["id"] for a in report["apps"]] == [1, 2, 3, 5]
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
    from kintone_mcp.auth import ApiTokenAuth
    from kintone_mcp.server.policy import Policy

    creds = Credentials(rest=ApiTokenAuth([sandbox.demo_tokens[2]]))
    async with Client(make_server(Policy.build(default_app=2), credentials=creds)) as mcp:
        report = await call_ok(mcp, "test_connection")
        assert report["verdict"] == "ok" and [a["id"] for a in report["apps"]] == [2]
        apps = await call_ok(mcp, "list_apps")
        assert [a["id"] for a in apps["apps"]] == [2] and "APP_ID:TOKEN" in apps["note"]


@pytest.mark.anyio
async def test_connection_report_when_nothing_answers() -> None:
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


def test_check_claims_nothing_it_did_not_observe(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Tokens that name no app and no app to try them on: no authenticated request can be sent, so the network is
    observed with one request without credentials; nothing listens, so no step may say that the server answers or
    that its certificate was verified, and check does not say "Connected" (issue 17, item 9)."""
    import os

    from kintone_mcp.commands.main import main

    for key in list(os.environ):
        if key.startswith("KINTONE_") or key.upper() == "HTTPS_PROXY":
            monkeypatch.delenv(key)
    monkeypatch.setenv("KINTONE_BASE_URL", "https://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("KINTONE_API_TOKEN", "tokenWithoutAnApp0123456789")
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "[ok  ] answers" not in out and "certificate verified" not in out and "Connected" not in out
    assert "[FAIL] answers: no answer" in out and "[skip] credentials: not verified" in out and "APP_ID:TOKEN" in out
