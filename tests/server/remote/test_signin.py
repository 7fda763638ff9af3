"""Two people sign in to one remote server with their own Kintone accounts, through the SDK's OAuth client."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import anyio
import httpx2
import pytest

from kintone_mcp.server.remote.sealing import Sealer, parse_keys
from tests.server.helpers import call_error, call_ok
from tests.server.remote.harness import KINTONE_SECRET, User, connect, make_sandbox, remote_server

pytestmark = [pytest.mark.anyio, pytest.mark.socket]


async def test_each_user_sees_what_their_kintone_permissions_allow() -> None:
    sb = make_sandbox()
    sb.set_allowed_users(2, ["sato"])  # suzuki may not use app 2
    with remote_server(sb) as remote:
        sato, suzuki = User("sato"), User("suzuki")
        async with connect(remote.url, sato) as mcp:
            records = await call_ok(mcp, "get_records", app=2, limit=3)
            assert len(records["records"]) == 3
        async with connect(remote.url, suzuki) as mcp:
            text = await call_error(mcp, "get_records", app=2, limit=3)
            assert "suzuki" in text or "privilege" in text.lower(), text
            other = await call_ok(mcp, "get_records", app=1, limit=2)
            assert len(other["records"]) == 2
        assert sato.sign_ins == 1 and suzuki.sign_ins == 1


async def test_refreshing_ours_refreshes_kintones_across_an_expiry() -> None:
    # Kintone's tokens last 3 s here and ours 2 s: a call after 3.2 s works only if both were refreshed.
    sb = make_sandbox(access_token_lifetime=timedelta(seconds=3), refresh_rotation="rotate")
    with remote_server(sb, remote={"access_token_ttl": 2}) as remote:
        sato = User("sato")
        async with connect(remote.url, sato) as mcp:
            await call_ok(mcp, "get_records", app=2, limit=1)
            first = sato.storage.tokens
            assert first is not None and first.expires_in is not None and first.expires_in <= 2
            await anyio.sleep(3.2)
            again = await call_ok(mcp, "get_records", app=2, limit=1)
            assert again["records"]
            assert sato.storage.tokens is not None and sato.storage.tokens.access_token != first.access_token
            assert sato.storage.tokens.refresh_token != first.refresh_token
        assert sato.sign_ins == 1, "the refresh must not have sent the person through sign-in again"


async def test_progress_notifications_reach_the_client_on_the_stateless_transport() -> None:
    with remote_server(make_sandbox(records=300)) as remote:
        progress: list[float] = []

        async def on_progress(done: float, total: float | None, message: str | None) -> None:
            progress.append(done)

        async with connect(remote.url, User("sato")) as mcp:
            result = await mcp.call_tool("get_records", {"app": 2, "limit": 1000}, progress_callback=on_progress)
            assert result.is_error is False
        assert progress


async def test_sign_out_revokes_the_kintone_grant_and_ends_access() -> None:
    sb = make_sandbox(revocation_endpoint=True)
    with remote_server(sb, remote={"kintone_revocation": True}) as remote:
        sato = User("sato")
        async with connect(remote.url, sato) as mcp:
            await call_ok(mcp, "get_records", app=2, limit=1)
            tokens, client = sato.storage.tokens, sato.storage.client
            assert tokens is not None and tokens.refresh_token and client is not None
            async with httpx2.AsyncClient() as http:
                answer = await http.post(remote.url + "/revoke", data={
                    "token": tokens.refresh_token, "token_type_hint": "refresh_token", "client_id": client.client_id,
                    # The SDK's revocation handler wants the field even from a public client (RFC 7009 does not).
                    "client_secret": ""})
                assert answer.status_code == 200, answer.text
            text = await call_error(mcp, "get_records", app=2, limit=1)
            assert "sign in again" in text.lower(), text
        async with httpx2.AsyncClient() as http:
            refreshed = await http.post(remote.url + "/token", data={
                "grant_type": "refresh_token", "refresh_token": tokens.refresh_token, "client_id": client.client_id})
        assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"


async def test_narrowing_headers_narrow_and_a_widening_one_is_refused() -> None:
    with remote_server() as remote:
        sato = User("sato")
        async with connect(remote.url, sato, headers={"X-MCP-Readonly": "true", "X-MCP-Apps": "1"}) as mcp:
            names = {t.name for t in (await mcp.list_tools()).tools}
            assert "get_records" in names and "add_record" not in names
            text = await call_error(mcp, "add_record", app=1, record={"company_name": "x"})
            assert "X-MCP-" in text
            refused = await call_error(mcp, "get_records", app=2, limit=1)
            assert "2" in refused
            assert (await call_ok(mcp, "get_records", app=1, limit=1))["records"]
        async with connect(remote.url, sato) as mcp:
            assert "add_record" in {t.name for t in (await mcp.list_tools()).tools}
        token = sato.storage.tokens
        assert token is not None
        async with httpx2.AsyncClient() as http:
            for header, value in (("X-MCP-Toolsets", "core,apps"), ("X-MCP-Readonly", "maybe"), ("X-MCP-Apps", "99x")):
                answer = await http.post(remote.url + "/mcp", headers={
                    "Authorization": f"Bearer {token.access_token}", header: value,
                    "Content-Type": "application/json", "Accept": "application/json, text/event-stream"},
                    json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
                assert answer.status_code == 400, (header, answer.text)
                assert header.split("-")[-1].lower() in answer.text.lower()


async def test_nothing_of_one_user_reaches_another_or_a_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sb = make_sandbox()
    sb.set_allowed_users(2, ["sato"])
    with remote_server(sb) as remote:
        sato, suzuki = User("sato"), User("suzuki")
        async with connect(remote.url, sato) as a, connect(remote.url, suzuki) as b:
            schema = await call_ok(a, "get_app", app=2)  # fills sato's schema cache for app 2
            assert schema["fields"]
            denied = await call_error(b, "get_app", app=2)  # suzuki's own cache is empty; Kintone refuses him
            assert "deal" not in denied.lower() or "privilege" in denied.lower()
            for code in (f["code"] for f in schema["fields"]):
                assert f'"{code}"' not in denied
            await call_error(b, "get_records", app=2, limit=1)
            both = await call_ok(b, "get_records", app=1, limit=1)
        sealer = Sealer(parse_keys(remote.keys))
        secrets = [KINTONE_SECRET, remote.keys.split(":", 1)[1]]
        for user in (sato, suzuki):
            tokens = user.storage.tokens
            assert tokens is not None and tokens.refresh_token is not None
            secrets += [tokens.access_token, tokens.refresh_token]
            secrets.append(sealer.open("access", tokens.access_token)["kat"])
            secrets.append(sealer.open("refresh", tokens.refresh_token)["krt"])
        for text in (denied, json.dumps(both)):
            for secret in secrets:
                assert secret not in text
        logged = "\n".join(
            f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records if r.threadName != "MainThread"
        )
        assert "kintone_mcp" in logged or "mcp.server" in logged or "sse_starlette" in logged
        for secret in secrets:
            assert secret not in logged
