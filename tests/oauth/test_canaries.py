"""The client secret and the tokens never reach logs, error messages, exception reprs or object reprs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kintone_mcp.client.errors import OAuthLoginRequiredError
from kintone_mcp.sandbox.access import oauthstore
from tests.oauth.browser import make_sandbox
from tests.oauth.signin import CANARY_SECRET, EpochClock, register_canary_client, sign_in

pytestmark = pytest.mark.anyio


async def test_no_secret_in_logs_errors_or_reprs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx2's request lines included
    clock = EpochClock()
    sb = make_sandbox(clock, refresh_rotation="rotate")
    spec = register_canary_client(sb)
    printed: list[str] = []
    signed = await sign_in(sb, clock, tmp_path, spec=spec, scopes=("k:app_record:read",), out=printed.append)
    secrets = {CANARY_SECRET, signed.tokens.access_token, signed.tokens.refresh_token or ""}
    texts: list[str] = [*printed]
    auth = signed.auth()
    async with signed.client(auth) as client:
        await client.get_records(1, query="limit 1")
        clock.advance(3601)
        await client.get_records(1, query="limit 1")  # refresh, with rotation
        assert auth.tokens is not None
        secrets |= {auth.tokens.access_token, auth.tokens.refresh_token or ""}
        with pytest.raises(OAuthLoginRequiredError) as scope_error:
            await client.get_app(1)
        with sb.store.transaction() as conn:
            oauthstore.revoke(conn, client_id=spec.client_id)
        clock.advance(3601)
        with pytest.raises(OAuthLoginRequiredError) as revoked:
            await client.get_records(1)
        texts += [repr(client), client.describe_credentials()]
    for error in (scope_error.value, revoked.value):
        texts += [str(error), repr(error), error.reason, error.fix]
    stored = signed.store.load("default")
    texts += [repr(auth), auth.describe(), repr(signed.session.config), repr(stored), str(stored), caplog.text]
    assert len(secrets) == 5 and all(len(s) > 20 for s in secrets)
    for text in texts:
        for secret in secrets:
            assert secret not in text
    assert "refreshed the OAuth access token" in caplog.text  # the log does say what happened
