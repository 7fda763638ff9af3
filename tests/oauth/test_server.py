"""The MCP server with an OAuth connection: tools work on the stored sign-in; without a usable one every tool
and test_connection say to run `kintone-mcp auth login` for that connection, and name a missing scope."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client

from kintone_mcp.auth import Credentials
from kintone_mcp.client import KintoneClient
from kintone_mcp.sandbox import Sandbox
from kintone_mcp.sandbox.access import oauthstore
from kintone_mcp.server.app import build_server
from kintone_mcp.server.policy import Policy
from kintone_mcp.server.state import ServerOptions
from tests.oauth.browser import make_sandbox
from tests.oauth.signin import EpochClock, SignedIn, sign_in
from tests.server.helpers import call_error, call_ok

pytestmark = pytest.mark.anyio

#: test_connection resolves the host, so use one that resolves (nothing listens: requests go through ASGI)
LOOPBACK = "http://127.0.0.1:8787"


@pytest.fixture
def clock() -> EpochClock:
    return EpochClock()


@pytest.fixture
def sb(clock: EpochClock) -> Sandbox:
    return make_sandbox(clock)


def server_for(signed: SignedIn) -> Client:
    def client_factory() -> KintoneClient:
        return KintoneClient(signed.base_url, credentials=Credentials(rest=signed.auth()), transport=signed.transport)

    options = ServerOptions(base_url=signed.base_url, auth_type="oauth", user_api=False)
    return Client(build_server(policy=Policy.build(default_app=2), options=options, client_factory=client_factory))


async def test_tools_work_on_the_stored_sign_in(sb: Sandbox, clock: EpochClock, tmp_path: Path) -> None:
    signed = await sign_in(sb, clock, tmp_path, connection="prod", base_url=LOOPBACK)
    async with server_for(signed) as mcp:
        apps = await call_ok(mcp, "list_apps")
        assert {a["id"] for a in apps["apps"]} >= {1, 2, 3}
        records = await call_ok(mcp, "get_records", app=2, limit=600)
        assert len(records["records"]) > 0
        report = await call_ok(mcp, "test_connection")
        assert report["verdict"] in ("ok", "partial")
        assert next(s for s in report["steps"] if s["step"] == "credentials")["status"] == "ok"


@pytest.mark.parametrize("how", ["never signed in", "revoked"])
async def test_without_a_usable_sign_in_every_tool_says_how_to_sign_in(
    sb: Sandbox, clock: EpochClock, tmp_path: Path, how: str
) -> None:
    signed = await sign_in(sb, clock, tmp_path, connection="prod", base_url=LOOPBACK)
    if how == "never signed in":
        signed.store.delete("prod")
    else:
        with sb.store.transaction() as conn:
            oauthstore.revoke(conn, login="sato")
        clock.advance(3601)
    async with server_for(signed) as mcp:
        for tool, args in [("list_apps", {}), ("get_records", {"app": 2}), ("get_app", {"app": 2}),
                           ("add_record", {"app": 3, "record": {"subject": "x"}})]:
            text = await call_error(mcp, tool, **args)
            assert "kintone-mcp auth login --connection prod" in text, (tool, text)
        report = await call_ok(mcp, "test_connection")
    assert report["verdict"] == "failed"
    credentials = next(s for s in report["steps"] if s["step"] == "credentials")
    assert credentials["status"] == "failed"
    assert "kintone-mcp auth login --connection prod" in credentials["fix"]


async def test_a_missing_scope_is_named_in_the_tool_error(sb: Sandbox, clock: EpochClock, tmp_path: Path) -> None:
    signed = await sign_in(sb, clock, tmp_path, scopes=("k:app_settings:read", "k:app_record:read"), base_url=LOOPBACK)
    async with server_for(signed) as mcp:
        text = await call_error(mcp, "add_record", app=3, record={"subject": "x"})
    assert "k:app_record:write" in text and "kintone-mcp auth login" in text
