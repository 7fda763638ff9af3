"""The OAuth strategy against the sandbox: Bearer on every call, refresh before expiry and once on a 401, one
refresh for many concurrent calls, tokens persisted at once, and the clear error when signing in is the fix."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import anyio
import httpx2
import pytest

from kintone_mcp.auth.token_store import FileTokenStore
from kintone_mcp.client.errors import NetworkError, OAuthLoginRequiredError, PermissionDeniedError
from kintone_mcp.sandbox import Sandbox, serve_in_thread
from kintone_mcp.sandbox.access import oauthstore
from tests.oauth.browser import make_sandbox
from tests.oauth.signin import EpochClock, sign_in

pytestmark = pytest.mark.anyio


@pytest.fixture
def clock() -> EpochClock:
    return EpochClock()


@pytest.fixture
def sb(clock: EpochClock) -> Sandbox:
    return make_sandbox(clock)


def access_tokens_issued(sb: Sandbox) -> int:
    with sb.store.reading() as conn:
        row: sqlite3.Row = conn.execute("SELECT COUNT(*) FROM oauth_tokens WHERE kind = 'access'").fetchone()
    return int(row[0])


async def test_calls_carry_the_token_and_act_as_the_signed_in_user(sb: Sandbox, clock: EpochClock,
                                                                   tmp_path: Path) -> None:
    signed = await sign_in(sb, clock, tmp_path, login_name="suzuki")
    async with signed.client() as client:
        written = await client.add_record(3, {"subject": {"value": "from OAuth"}})
        record = await client.get_record(3, written.id)
    assert record.raw["Created_by"]["value"]["code"] == "suzuki"


async def test_refreshes_shortly_before_expiry_and_persists_at_once(sb: Sandbox, clock: EpochClock,
                                                                    tmp_path: Path) -> None:
    signed = await sign_in(sb, clock, tmp_path)
    auth = signed.auth()
    async with signed.client(auth) as client:
        await client.get_records(1, query="limit 1")
        assert auth.refresh_count == 0
        clock.advance(3600 - 30)  # inside the 60 s leeway, still valid on the server
        await client.get_records(1, query="limit 1")
        assert auth.refresh_count == 1
        assert auth.tokens is not None and auth.tokens.access_token != signed.tokens.access_token
        stored = signed.store.load("default")
        assert stored == auth.tokens
        await client.get_records(1, query="limit 1")
        assert auth.refresh_count == 1


async def test_a_401_for_an_expired_token_refreshes_once_and_retries(sb: Sandbox, clock: EpochClock,
                                                                      tmp_path: Path) -> None:
    signed = await sign_in(sb, clock, tmp_path)
    skewed = EpochClock(clock.now)  # the client's clock lags: it believes the token is still fresh
    auth = signed.auth()
    auth.clock = skewed.epoch
    async with signed.client(auth) as client:
        clock.advance(3700)
        page = await client.get_records(1, query="limit 2")
    assert len(page.records) == 2
    assert auth.refresh_count == 1
    assert access_tokens_issued(sb) == 2


@pytest.mark.parametrize("expiry_seen_by", ["client", "server"])
@pytest.mark.parametrize("wire", ["asgi", "socket"])
async def test_twenty_concurrent_calls_at_expiry_refresh_exactly_once(
    sb: Sandbox, clock: EpochClock, tmp_path: Path, expiry_seen_by: str, wire: str
) -> None:
    async def run(transport: httpx2.AsyncBaseTransport | None, base_url: str) -> None:
        signed = await sign_in(sb, clock, tmp_path, transport=transport, base_url=base_url)
        auth = signed.auth()
        if expiry_seen_by == "server":
            lagging = EpochClock(clock.now)
            auth.clock = lagging.epoch  # every call is sent with the old token and gets a 401
        async with signed.client(auth) as client:
            await client.get_records(1, query="limit 1")
            clock.advance(3601)
            results: list[int] = []

            async def one(i: int) -> None:
                page = await client.get_records(1 + i % 3, query="limit 1")
                results.append(len(page.records))

            async with anyio.create_task_group() as group:
                for i in range(20):
                    group.start_soon(one, i)
        assert results == [1] * 20
        assert auth.refresh_count == 1
        assert access_tokens_issued(sb) == 2

    if wire == "asgi":
        await run(None, "http://sandbox.test")
    else:
        with serve_in_thread(sb) as base_url:
            await run(httpx2.AsyncHTTPTransport(), base_url)


async def test_a_revoked_refresh_token_asks_to_sign_in_again(clock: EpochClock, tmp_path: Path) -> None:
    sb = make_sandbox(clock)
    signed = await sign_in(sb, clock, tmp_path, connection="prod")
    with sb.store.transaction() as conn:
        oauthstore.revoke(conn, login="sato")
    clock.advance(3601)
    async with signed.client() as client:
        with pytest.raises(OAuthLoginRequiredError) as raised:
            await client.get_records(1)
    error = raised.value
    assert error.command == "kintone-mcp auth login --connection prod"
    assert "revoked" in error.reason and error.missing_scope is None
    assert "kintone-mcp auth login --connection prod" in str(error)


async def test_a_token_revoked_before_it_expires_is_refused_after_one_refresh_attempt(
    sb: Sandbox, clock: EpochClock, tmp_path: Path
) -> None:
    signed = await sign_in(sb, clock, tmp_path)
    with sb.store.transaction() as conn:
        oauthstore.revoke(conn, login="sato")
    async with signed.client() as client:
        with pytest.raises(OAuthLoginRequiredError, match="auth login"):
            await client.get_app(1)


async def test_no_stored_sign_in_names_the_command(sb: Sandbox, clock: EpochClock, tmp_path: Path) -> None:
    signed = await sign_in(sb, clock, tmp_path, connection="staging")
    signed.store.delete("staging")
    async with signed.client() as client:
        with pytest.raises(OAuthLoginRequiredError) as raised:
            await client.get_app(1)
    assert "Not signed in" in str(raised.value)
    assert raised.value.command == "kintone-mcp auth login --connection staging"
    assert access_tokens_issued(sb) == 1  # nothing was sent with a stale token


async def test_tokens_of_another_domain_are_not_used(sb: Sandbox, clock: EpochClock, tmp_path: Path) -> None:
    signed = await sign_in(sb, clock, tmp_path)

    signed.store.save("default", replace(signed.tokens, base_url="https://other.cybozu.com"))
    async with signed.client() as client:
        with pytest.raises(OAuthLoginRequiredError, match=r"other\.cybozu\.com"):
            await client.get_app(1)


@pytest.mark.parametrize(("status", "code", "challenge"), [(403, "CB_NO02", True), (403, "CB_NO02", False),
                                                            (401, "CB_OA01", True)])
async def test_a_missing_scope_is_named(clock: EpochClock, tmp_path: Path, status: int, code: str,
                                        challenge: bool) -> None:
    sb = make_sandbox(clock, scope_error_status=status, scope_error_code=code, scope_error_challenge=challenge)
    signed = await sign_in(sb, clock, tmp_path, scopes=("k:app_record:read",))
    async with signed.client() as client:
        assert len((await client.get_records(1, query="limit 1")).records) == 1
        with pytest.raises(OAuthLoginRequiredError) as raised:
            await client.get_app(1)
    assert raised.value.missing_scope == "k:app_settings:read"
    assert "k:app_settings:read" in str(raised.value) and "kintone-mcp auth login" in str(raised.value)


async def test_a_403_for_a_granted_scope_stays_a_permission_error(sb: Sandbox, clock: EpochClock,
                                                                  tmp_path: Path) -> None:
    sb.set_allowed_users(1, ["suzuki"])
    signed = await sign_in(sb, clock, tmp_path)
    async with signed.client() as client:
        with pytest.raises(PermissionDeniedError):
            await client.get_records(1)


@pytest.mark.parametrize("rotation", ["reuse", "rotate", "omit"])
async def test_every_rotation_mode_keeps_a_working_refresh_token(clock: EpochClock, tmp_path: Path,
                                                                 rotation: str) -> None:
    sb = make_sandbox(clock, refresh_rotation=rotation)
    signed = await sign_in(sb, clock, tmp_path)
    auth = signed.auth()
    async with signed.client(auth) as client:
        for _ in range(3):
            clock.advance(3601)
            await client.get_records(1, query="limit 1")
    assert auth.refresh_count == 3
    stored = signed.store.load("default")
    assert stored is not None and stored.refresh_token
    if rotation == "rotate":
        assert stored.refresh_token != signed.tokens.refresh_token
    else:
        assert stored.refresh_token == signed.tokens.refresh_token


async def test_a_second_process_uses_the_tokens_the_first_one_rotated(clock: EpochClock, tmp_path: Path) -> None:
    sb = make_sandbox(clock, refresh_rotation="rotate")
    signed = await sign_in(sb, clock, tmp_path)
    first, second = signed.auth(), signed.auth()
    async with signed.client(first) as one, signed.client(second) as two:
        await one.get_records(1, query="limit 1")
        await two.get_records(1, query="limit 1")
        clock.advance(3601)
        await one.get_records(1, query="limit 1")  # rotates: the refresh token the second one holds is dead
        await two.get_records(1, query="limit 1")
    assert first.refresh_count == 1
    assert second.refresh_count == 0  # it picked up the first one's tokens from the store
    assert access_tokens_issued(sb) == 2


async def test_a_store_that_cannot_be_written_does_not_fail_the_call(sb: Sandbox, clock: EpochClock,
                                                                     tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    signed = await sign_in(sb, clock, tmp_path)
    auth = signed.auth()
    async with signed.client(auth) as client:
        await client.get_records(1, query="limit 1")
        blocker = tmp_path / "blocker"
        blocker.write_text("a file where the store's directory should be")
        auth.store = FileTokenStore(blocker / "tokens")
        clock.advance(3601)
        await client.get_records(1, query="limit 1")
    assert auth.refresh_count == 1
    assert "could not save the refreshed OAuth tokens" in caplog.text
    assert "could not re-read the OAuth token store" in caplog.text


async def test_without_a_refresh_token_the_token_is_used_until_it_expires(sb: Sandbox, clock: EpochClock,
                                                                          tmp_path: Path) -> None:
    signed = await sign_in(sb, clock, tmp_path)
    signed.store.save("default", replace(signed.tokens, refresh_token=None))
    auth = signed.auth()
    async with signed.client(auth) as client:
        clock.advance(3600 - 30)  # inside the refresh leeway: nothing to refresh with, the token still works
        await client.get_records(1, query="limit 1")
        clock.advance(31)
        with pytest.raises(OAuthLoginRequiredError, match="no refresh token"):
            await client.get_records(1, query="limit 1")
    assert auth.refresh_count == 0


async def test_a_token_endpoint_outage_is_a_network_error_not_a_sign_in_problem(
    sb: Sandbox, clock: EpochClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    signed = await sign_in(sb, clock, tmp_path)
    async with httpx2.AsyncClient(transport=signed.transport, base_url=signed.base_url) as admin:
        answer = await admin.put("/_sandbox/faults", json=["error:status=503,paths=/oauth2/token"])
        assert answer.status_code == 200, answer.text
    auth = signed.auth()
    async with signed.client(auth) as client:
        clock.advance(3600 - 30)
        await client.get_records(1, query="limit 1")  # early refresh failed; the token still works
        assert "could not refresh the OAuth token early" in caplog.text
        clock.advance(31)
        with pytest.raises(NetworkError, match="token endpoint answered HTTP 503"):
            await client.get_records(1, query="limit 1")
    assert auth.refresh_count == 0
