"""Canary values for every secret setting, driven through every tool, the error paths, ``kintone-mcp check``,
``kintone-mcp auth status``, a crash inside a tool, debug logging, and the HTTP transport: none of them, nor the
header values derived from them, may appear in a result, a log record, stdout, stderr or an exception's repr.

The sandbox is configured to accept the canaries (password, app API tokens, User API token, Basic gate, OAuth
client), so that the success paths run too; wrong canaries drive the refusals.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from kintone_mcp.auth import ApiToken, ApiTokenAuth, BasicGateAuth, Credentials, PasswordAuth, UserApiTokenAuth
from kintone_mcp.client import KintoneClient, KintoneError, NoRetry
from kintone_mcp.connect import build_client
from kintone_mcp.sandbox import Sandbox, SandboxConfig, serve_in_thread
from kintone_mcp.sandbox.access.oauthclients import OAuthClientSpec, OAuthConfig
from kintone_mcp.sandbox.options import ApiTokenSpec, UserApiTokenSpec, UserSpec
from kintone_mcp.server.policy import Policy
from kintone_mcp.settings import load_settings
from tests.reliability.conftest import CUSTOMERS, DEALS, TICKETS, Wire, client_for, mcp_server

pytestmark = pytest.mark.anyio

PASSWORD = "pw-CANARY-51f0c2d9"
TOKENS = {1: "tokCANARY1a7f3e9c0d2b4a6f8e0c2d4b6a8f0e2c4", 2: "tokCANARY2b8e4f0a1c3d5b7f9e1a3c5d7b9f1a3c5",
          3: "tokCANARY3c9f5a1b2d4e6c8a0f2b4d6e8c0a2b4d6"}  # fmt: skip
USER_API_TOKEN = "cy.s.api1.CANARYuserapi.eyJleHAiOjB9.c2lnbmF0dXJl"
OAUTH_SECRET = "oauth-CANARY-secret-93e1b7a2"
BASIC_USER, BASIC_PASSWORD = "gate", "basic-CANARY-6d2c8e40"
PFX_PASSWORD = "pfx-CANARY-0a9b8c7d"
HTTP_TOKEN = "http-CANARY-bearer-4c1d9e7f2a6b"
WRONG = {
    "password": "wrongpw-CANARY-3b7e11",
    "token": "tokWRONGCANARY0000000000000000000000000000",
    "user_api_token": "cy.s.api1.WRONGCANARY.eyJleHAiOjB9.c2ln",
    "basic": "wrongbasic-CANARY-77aa",
}
REDIRECT = "http://127.0.0.1:8799/callback"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


#: Every canary, and the header values made from them (as good as the secret itself).
SECRETS: list[str] = [
    PASSWORD, *TOKENS.values(), USER_API_TOKEN, OAUTH_SECRET, BASIC_PASSWORD, PFX_PASSWORD, HTTP_TOKEN,
    *WRONG.values(), _b64(f"Administrator:{PASSWORD}"), _b64(f"{BASIC_USER}:{BASIC_PASSWORD}"),
    _b64(f"Administrator:{WRONG['password']}"), _b64(f"{BASIC_USER}:{WRONG['basic']}"),
]  # fmt: skip


class Leaks:
    """Collects every text that left the code under test and says where a canary showed up."""

    def __init__(self) -> None:
        self.extra: list[str] = []
        self.seen = 0

    def check(self, where: str, text: str) -> None:
        self.seen += 1
        found = [s for s in self.secrets() if s in text]
        assert not found, f"secret {found[0][:12]}… leaked in {where}: {text[:300]!r}"

    def secrets(self) -> list[str]:
        return SECRETS + self.extra

    def result(self, where: str, result: Any) -> None:
        self.check(where, json.dumps(result.model_dump(mode="json"), ensure_ascii=False))

    def logs(self, caplog: pytest.LogCaptureFixture) -> None:
        for record in caplog.records:
            self.check(f"log record {record.name}", caplog.handler.format(record))
        self.check("caplog", caplog.text)

    def streams(self, capfd: pytest.CaptureFixture[str]) -> None:
        out, err = capfd.readouterr()
        self.check("stdout", out)
        self.check("stderr", err)


def sandbox_config(*, gate: bool, **extra: Any) -> SandboxConfig:
    return SandboxConfig(
        demo=True,
        users=[UserSpec("Administrator", PASSWORD)],
        api_tokens=[ApiTokenSpec(app, token) for app, token in TOKENS.items()],
        user_api_tokens=[UserApiTokenSpec(USER_API_TOKEN, scope="read")],
        basic_auth=(BASIC_USER, BASIC_PASSWORD) if gate else None,
        oauth=OAuthConfig(clients=[OAuthClientSpec("canary-client", OAUTH_SECRET, REDIRECT)]),
        **extra,
    )


def gated_password(password: str = PASSWORD, basic: str = BASIC_PASSWORD) -> Credentials:
    auth = BasicGateAuth(PasswordAuth("Administrator", password), BASIC_USER, basic)
    return Credentials(rest=auth, user_api=auth)


def tokens(token: str | None = None, user_api_token: str = USER_API_TOKEN) -> Credentials:
    rest = ApiTokenAuth(ApiToken(token or value, app) for app, value in TOKENS.items())
    return Credentials(rest=rest, user_api=UserApiTokenAuth(user_api_token))


# --- every tool, its error paths, a crash, with debug logging ----------------------------------------------------

GOOD_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("test_connection", {}),
    ("list_apps", {}),
    ("get_app", {"app": DEALS}),
    ("get_records", {"limit": 30, "fields": ["title", "stage"]}),
    ("get_record", {"id": 1}),
    ("aggregate_records", {"group_by": ["stage"], "metrics": ["sum(amount)"]}),
    ("add_record", {"app": CUSTOMERS, "record": {"customer_code": "SEC-1", "company_name": "Secret Ltd."}}),
    (
        "add_records",
        {"app": CUSTOMERS, "records": [{"customer_code": f"SEC-B{n}", "company_name": "B"} for n in (1, 2)]},
    ),
    ("update_record", {"app": CUSTOMERS, "id": 1, "record": {"notes": "canary run"}}),
    ("update_records", {"app": CUSTOMERS, "records": [{"id": 2, "record": {"notes": "canary run"}}]}),
    (
        "upsert_records",
        {"app": CUSTOMERS, "key_field": "customer_code", "records": [{"customer_code": "SEC-U", "company_name": "U"}]},
    ),
    ("delete_records", {"app": CUSTOMERS, "ids": [120]}),
    ("update_assignees", {"app": TICKETS, "id": 1, "assignees": ["Administrator"]}),
    ("update_status", {"app": TICKETS, "id": 1, "action": "Resolve"}),
    ("update_assignees", {"app": TICKETS, "id": 1, "assignees": ["Administrator"]}),
    ("update_statuses", {"app": TICKETS, "records": [{"id": 1, "action": "Close"}]}),
    ("get_comments", {"id": 1}),
    ("add_comment", {"id": 1, "text": "canary comment"}),
    ("upload_file", {"app": CUSTOMERS, "id": 3, "field": "attachments", "path": "note.txt"}),
    ("export_records", {"app": CUSTOMERS, "format": "csv", "fields": ["customer_code", "notes"], "file_name": "c.csv"}),
    ("import_records", {"app": CUSTOMERS, "file": "c.csv", "mode": "upsert", "key": "customer_code"}),
    ("list_users", {}),
    ("search", {"keywords": ["canary"]}),
]
BAD_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("get_app", {"app": 999}),
    ("get_records", {"query": "title = 'x'"}),
    ("get_records", {"query": 'stage in ("Nope")'}),
    ("get_record", {"id": 99_999}),
    ("aggregate_records", {"group_by": ["nosuch"]}),
    ("add_record", {"app": CUSTOMERS, "record": {"customer_code": "C-0001", "company_name": "dup"}}),
    ("update_record", {"app": CUSTOMERS, "id": 1, "revision": 999, "record": {"notes": "x"}}),
    ("delete_records", {"ids": [99_999]}),
    ("update_status", {"app": TICKETS, "id": 2, "action": "Fly"}),
    ("add_comment", {"id": 1, "text": "x", "mentions": ["nobody"]}),
    ("download_file", {"app": CUSTOMERS, "id": 3, "file_key": "nope"}),
    ("upload_file", {"app": CUSTOMERS, "id": 3, "field": "attachments", "path": "/proc/self/environ"}),
    ("export_records", {"format": "csv", "fields": ["nosuch"]}),
    ("import_records", {"file": "/proc/self/environ", "mode": "add"}),
    ("list_users", {"member_of": "nowhere"}),
    ("get_record", {"id": "abc"}),
    ("search", {"keywords": ["x"], "next": "forged"}),
]


async def drive_every_tool(mcp: Client, leaks: Leaks, label: str) -> set[str]:
    called: set[str] = set()
    # search needs password authentication: with tokens it is withheld, and so not called.
    offered = {t.name for t in (await mcp.list_tools()).tools}
    for tool, args in GOOD_CALLS:
        if tool not in offered:
            continue
        result = await mcp.call_tool(tool, args)
        leaks.result(f"{label} {tool}", result)
        assert result.is_error is False, f"{label} {tool}: {result.content[0]}"
        called.add(tool)
    record = (await mcp.call_tool("get_record", {"app": CUSTOMERS, "id": 3})).structured_content or {}
    key = record["record"]["attachments"][0]["fileKey"]
    result = await mcp.call_tool("download_file", {"app": CUSTOMERS, "id": 3, "file_key": key})
    leaks.result(f"{label} download_file", result)
    assert result.is_error is False and (result.structured_content or {})["text"] == "a note\n"
    called.add("download_file")
    for tool, args in BAD_CALLS:
        if tool not in offered:
            continue
        result = await mcp.call_tool(tool, args)
        leaks.result(f"{label} {tool} (refused)", result)
        assert result.is_error is True, f"{label} {tool} should fail"
    return called


@pytest.fixture
def leaks() -> Leaks:
    return Leaks()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "downloads"
    path.mkdir()
    (path / "note.txt").write_text("a note\n")
    return path


@pytest.mark.parametrize("credentials", ["password behind the Basic gate", "API tokens and a User API token"])
async def test_every_tool_with_debug_logging(
    credentials: str,
    folder: Path,
    leaks: Leaks,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    gate = credentials.startswith("password")
    sandbox = Sandbox(sandbox_config(gate=gate))
    await add_file_field_with(sandbox, gate)
    creds = gated_password() if gate else tokens()
    server = mcp_server(sandbox, credentials=creds, download_dir=folder, policy=Policy.build(default_app=DEALS))
    async with Client(server) as mcp:
        called = await drive_every_tool(mcp, leaks, credentials)
        assert called == {t.name for t in (await mcp.list_tools()).tools}  # every tool the server offers
    leaks.logs(caplog)
    leaks.streams(capfd)
    assert any(r.levelno == logging.DEBUG for r in caplog.records)  # debug logging really was on
    sandbox.close()


async def add_file_field_with(sandbox: Sandbox, gate: bool) -> None:
    admin = gated_password() if gate else Credentials(rest=PasswordAuth("Administrator", PASSWORD))
    async with client_for(sandbox, credentials=admin) as client:
        body = {"app": CUSTOMERS, "properties": {"attachments": {"type": "FILE", "code": "attachments", "label": "A"}}}
        await client._conn.call("POST", "rest", "preview/app/form/fields", body=body)
        await client._conn.call("POST", "rest", "preview/app/deploy", body={"apps": [{"app": CUSTOMERS}]})


WRONG_CREDENTIALS = {
    "wrong password": lambda: gated_password(password=WRONG["password"]),
    "wrong Basic gate password": lambda: gated_password(basic=WRONG["basic"]),
    "wrong API token and User API token": lambda: tokens(WRONG["token"], WRONG["user_api_token"]),
}


@pytest.mark.parametrize("name", list(WRONG_CREDENTIALS))
async def test_refused_credentials(
    name: str, leaks: Leaks, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    sandbox = Sandbox(sandbox_config(gate="Basic" in name or "password" in name))
    creds = WRONG_CREDENTIALS[name]()
    async with Client(mcp_server(sandbox, credentials=creds)) as mcp:
        for tool, args in [*GOOD_CALLS, *BAD_CALLS]:
            result = await mcp.call_tool(tool, args)
            leaks.result(f"{name}: {tool}", result)
            if tool not in ("test_connection", "get_record") or args.get("id") != "abc":
                assert result.is_error or tool == "test_connection", f"{name}: {tool} should be refused"
    async with KintoneClient(
        "http://sandbox.test", credentials=creds, transport=httpx2.ASGITransport(app=sandbox.asgi_app)
    ) as client:
        for call in (client.get_app(1), client.list_users(), client.add_record(1, {"customer_code": {"value": "x"}})):
            with pytest.raises(KintoneError) as info:
                await call
            leaks.check(f"{name}: str", str(info.value))
            leaks.check(f"{name}: repr", repr(info.value))
    leaks.logs(caplog)
    leaks.streams(capfd)
    sandbox.close()


async def test_a_crash_inside_a_tool_logs_no_secret(
    leaks: Leaks, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """A library bug that formats the request, headers and all, into its exception: the traceback is logged with
    the secrets masked, and the model is told only that something failed inside."""
    caplog.set_level(logging.DEBUG)
    sandbox = Sandbox(sandbox_config(gate=True))
    wire = Wire(httpx2.ASGITransport(app=sandbox.asgi_app))

    def crash(request: httpx2.Request, n: int) -> None:
        if request.url.path.endswith("/record.json"):
            raise RuntimeError(f"cannot send {request.method} {request.url} with headers {dict(request.headers)}")

    wire.before = crash
    from kintone_mcp.server.app import build_server
    from kintone_mcp.server.state import ServerOptions

    creds = gated_password()
    server = build_server(
        policy=Policy.build(default_app=DEALS),
        options=ServerOptions(base_url="http://sandbox.test", user_api=True),
        client_factory=lambda: KintoneClient(
            "http://sandbox.test", credentials=creds, transport=wire, retry_policy=NoRetry()
        ),
    )
    async with Client(server) as mcp:
        result = await mcp.call_tool("get_record", {"id": 1})
    leaks.result("crashed tool", result)
    assert result.is_error and "internal error" in str(result.content[0])
    crashes = [r for r in caplog.records if r.getMessage() == "tool get_record failed unexpectedly"]
    assert crashes and "RuntimeError: cannot send GET" in caplog.text and "***" in caplog.text
    leaks.logs(caplog)
    leaks.streams(capfd)
    sandbox.close()


async def test_a_gateway_echoing_the_request_is_masked(leaks: Leaks) -> None:
    """A misbehaving proxy answers 502 with the request's headers in its page: the error quotes the page, masked."""

    async def echo(request: Request) -> HTMLResponse:
        # The credentials first: the error quotes only the start of a page.
        sent = " ".join(
            request.headers.get(k, "") for k in ("authorization", "x-cybozu-authorization", "x-cybozu-api-token")
        )
        return HTMLResponse(f"<html><body><p>{sent}</p><h1>Bad gateway</h1></body></html>", status_code=502)

    app = Starlette(routes=[Route("/{path:path}", echo, methods=["GET", "POST"])])
    for creds in (gated_password(), tokens()):
        transport = httpx2.ASGITransport(app=app)
        async with KintoneClient("http://gw.test", credentials=creds, transport=transport) as client:
            for call in (client.get_app(1), client.list_users()):
                with pytest.raises(KintoneError) as info:
                    await call
                text = str(info.value)
                assert "HTTP 502" in text and "***" in text  # it was quoted, masked
                leaks.check("gateway echo", text)
                leaks.check("gateway echo repr", repr(info.value))


async def test_oauth_tools_with_the_canary_client_secret(
    tmp_path: Path, leaks: Leaks, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    from tests.oauth.signin import EpochClock, sign_in

    caplog.set_level(logging.DEBUG)
    clock = EpochClock()
    sandbox = Sandbox(sandbox_config(gate=False, clock=clock))
    spec = OAuthClientSpec("canary-client", OAUTH_SECRET, REDIRECT)
    signed = await sign_in(sandbox, clock, tmp_path, spec=spec, login_name="sato")
    leaks.extra += [signed.tokens.access_token, *([signed.tokens.refresh_token] if signed.tokens.refresh_token else [])]
    creds = Credentials(rest=signed.auth())
    server = mcp_server(sandbox, credentials=creds, auth_type="oauth")
    async with Client(server) as mcp:
        for tool, args in [*GOOD_CALLS[:8], *BAD_CALLS[:6]]:
            leaks.result(f"oauth {tool}", await mcp.call_tool(tool, args))
    leaks.logs(caplog)
    leaks.streams(capfd)
    sandbox.close()


# --- the command line: check, auth status, serve with debug logging, HTTP ----------------------------------------


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINTONE_") and k != "HTTPS_PROXY"}
    return {**env, **values}


def _run(leaks: Leaks, label: str, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "kintone_mcp", *args], env=env, capture_output=True, text=True, timeout=60
    )
    leaks.check(f"{label} stdout", proc.stdout)
    leaks.check(f"{label} stderr", proc.stderr)
    return proc


@pytest.fixture(scope="module")
def served_gate() -> Iterator[str]:
    sandbox = Sandbox(sandbox_config(gate=True))
    with serve_in_thread(sandbox) as url:
        yield url
    sandbox.close()


def _pfx(path: Path, password: str) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "canary client")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256())
    )  # fmt: skip
    encryption = serialization.BestAvailableEncryption(password.encode())
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"client", key, cert, None, encryption))
    return path


@pytest.mark.socket
@pytest.mark.slow
def test_check_and_auth_status(served_gate: str, tmp_path: Path, leaks: Leaks) -> None:
    pfx = _pfx(tmp_path / "client.pfx", PFX_PASSWORD)
    good = _env(
        KINTONE_BASE_URL=served_gate,
        KINTONE_USERNAME="Administrator",
        KINTONE_PASSWORD=PASSWORD,
        KINTONE_BASIC_AUTH_USERNAME=BASIC_USER,
        KINTONE_BASIC_AUTH_PASSWORD=BASIC_PASSWORD,
        KINTONE_PFX_FILE_PATH=str(pfx),
        KINTONE_PFX_FILE_PASSWORD=PFX_PASSWORD,
        KINTONE_MCP_HTTP_TOKEN=HTTP_TOKEN,
    )
    ok = _run(leaks, "check", ["check"], good)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert _run(leaks, "check --json", ["check", "--json"], good).returncode == 0
    for label, change in {
        "wrong password": {"KINTONE_PASSWORD": WRONG["password"]},
        "wrong gate": {"KINTONE_BASIC_AUTH_PASSWORD": WRONG["basic"]},
        "wrong pfx password": {"KINTONE_PFX_FILE_PASSWORD": WRONG["password"]},
        "password file": {"KINTONE_PASSWORD": "", "KINTONE_PASSWORD_FILE": str(tmp_path / "missing")},
    }.items():
        failed = _run(leaks, f"check, {label}", ["check"], {**good, **change})
        assert failed.returncode == 1, failed.stdout + failed.stderr
    secret_file = tmp_path / "secret"
    secret_file.write_text(OAUTH_SECRET + "\n")
    oauth = _env(
        KINTONE_BASE_URL=served_gate,
        KINTONE_OAUTH_CLIENT_ID="canary-client",
        KINTONE_OAUTH_CLIENT_SECRET_FILE=str(secret_file),
        KINTONE_OAUTH_TOKEN_STORE=str(tmp_path / "tokens"),
    )
    status = _run(leaks, "auth status", ["auth", "status"], oauth)
    assert "Not signed in" in status.stdout
    assert _run(leaks, "check (oauth)", ["check"], oauth).returncode == 1


@pytest.mark.socket
async def test_stdio_server_with_debug_logging(served_gate: str, folder: Path, tmp_path: Path, leaks: Leaks) -> None:
    env = _env(
        KINTONE_BASE_URL=served_gate,
        KINTONE_USERNAME="Administrator",
        KINTONE_PASSWORD=PASSWORD,
        KINTONE_BASIC_AUTH_USERNAME=BASIC_USER,
        KINTONE_BASIC_AUTH_PASSWORD=BASIC_PASSWORD,
        KINTONE_APP_ID="2",
        KINTONE_DOWNLOAD_DIR=str(folder),
    )
    params = StdioServerParameters(command=sys.executable, args=["-m", "kintone_mcp", "--log-level", "DEBUG"], env=env)
    log = tmp_path / "stderr.log"
    with log.open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as mcp:
            for tool, args in [("test_connection", {}), ("get_records", {"limit": 3}),
                               ("add_comment", {"id": 2, "text": "x"}), *BAD_CALLS[:5]]:  # fmt: skip
                leaks.result(f"stdio {tool}", await mcp.call_tool(tool, args))
    err = log.read_text()
    assert "DEBUG httpcore" in err  # the server's debug log, down to the connection level
    leaks.check("stdio server stderr", err)


@pytest.mark.socket
def test_http_transport_with_the_canary_token(served_gate: str, tmp_path: Path, leaks: Leaks) -> None:
    import socket
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = _env(
        KINTONE_BASE_URL=served_gate,
        KINTONE_USERNAME="Administrator",
        KINTONE_PASSWORD=PASSWORD,
        KINTONE_BASIC_AUTH_USERNAME=BASIC_USER,
        KINTONE_BASIC_AUTH_PASSWORD=BASIC_PASSWORD,
        KINTONE_MCP_HTTP_TOKEN=HTTP_TOKEN,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "kintone_mcp", "serve", "--transport", "http", "--port", str(port), "--log-level",
         "DEBUG"],
        env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/mcp"
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25",
            "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}  # fmt: skip
    headers = {"Accept": "application/json, text/event-stream"}
    try:
        for _ in range(200):
            try:
                httpx2.get(url, timeout=1)
                break
            except httpx2.TransportError:
                time.sleep(0.05)
        answers = [
            httpx2.post(url, json=init, headers=headers),
            httpx2.post(url, json=init, headers={**headers, "Authorization": f"Bearer {WRONG['password']}"}),
            httpx2.post(url, json=init, headers={**headers, "Authorization": f"Bearer {HTTP_TOKEN}"}),
            httpx2.post(url, json=init, headers={**headers, "Authorization": f"Bearer {HTTP_TOKEN}", "Host": "evil"}),
        ]
        assert [a.status_code for a in answers] == [401, 401, 200, 421]
        for answer in answers:
            leaks.check("http answer", answer.text + str(answer.headers))
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=10)
    leaks.check("http server stdout", out)
    leaks.check("http server stderr", err)
    assert "DEBUG" in err


def test_settings_and_clients_never_show_secrets(tmp_path: Path, leaks: Leaks) -> None:
    env = {
        "KINTONE_BASE_URL": "https://example.cybozu.com",
        "KINTONE_USERNAME": "Administrator",
        "KINTONE_PASSWORD": PASSWORD,
        "KINTONE_BASIC_AUTH_USERNAME": BASIC_USER,
        "KINTONE_BASIC_AUTH_PASSWORD": BASIC_PASSWORD,
        "KINTONE_USER_API_TOKEN": USER_API_TOKEN,
        "KINTONE_AUTH_TYPE": "password",
        "KINTONE_MCP_HTTP_TOKEN": HTTP_TOKEN,
    }
    with pytest.raises(Exception) as info:  # the gate and a User API token cannot go together
        load_settings(env=env)
    leaks.check("configuration error", str(info.value) + repr(info.value))
    settings = load_settings(env={k: v for k, v in env.items() if k != "KINTONE_USER_API_TOKEN"})
    leaks.check("settings repr", repr(settings) + str(settings) + str(settings.model_dump()))
    client = build_client(settings, transport=httpx2.ASGITransport(app=Starlette()))
    leaks.check("client repr", repr(client) + client.describe_credentials() + repr(client.credentials))
    leaks.check("redactor", repr(client.redactor))
