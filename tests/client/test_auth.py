"""Credential strategies against the sandbox: what works, what is refused, and how the refusal reads."""

from __future__ import annotations

import base64
import logging

import httpx2
import pytest

from kintone_mcp.auth import ApiToken, ApiTokenAuth, BasicGateAuth, Credentials, PasswordAuth, UserApiTokenAuth
from kintone_mcp.client import (
    AuthenticationError,
    CredentialsError,
    CredentialsMissingError,
    KintoneClient,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from kintone_mcp.client.connection import USER_AGENT
from kintone_mcp.sandbox import Sandbox, SandboxConfig
from kintone_mcp.sandbox.operations.faults import FaultRule
from kintone_mcp.sandbox.operations.middleware import OperationsConfig

from .conftest import BASE, RecordingTransport, client_for, password_credentials, recording_client, token_credentials

pytestmark = pytest.mark.anyio


async def test_password_auth_sends_the_cybozu_header(shared_sandbox: Sandbox) -> None:
    client, wire = recording_client(shared_sandbox)
    async with client:
        assert (await client.get_app(1)).app_id == 1
    sent = wire.requests[0]
    assert base64.b64decode(sent.headers["X-Cybozu-Authorization"]) == b"Administrator:sandbox"
    assert sent.headers["User-Agent"] == USER_AGENT
    assert "Authorization" not in sent.headers
    assert "X-Cybozu-API-Token" not in sent.headers


async def test_wrong_password_is_an_authentication_error_with_a_fix(shared_sandbox: Sandbox) -> None:
    async with client_for(shared_sandbox, password_credentials("sato", "not-the-password")) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.get_app(1)
    error = info.value
    assert (error.status, error.code) == (401, "CB_WA01")
    assert "KINTONE_PASSWORD" in str(error)
    assert error.request_id
    assert "not-the-password" not in str(error) + repr(error)


async def test_demo_users_can_sign_in(shared_sandbox: Sandbox) -> None:
    async with client_for(shared_sandbox, password_credentials("sato", "sandbox")) as client:
        assert [a.app_id for a in await client.list_apps()] == [1, 2, 3, 5]


async def test_unknown_token_is_an_authentication_error(shared_sandbox: Sandbox) -> None:
    credentials = Credentials(rest=ApiTokenAuth([ApiToken("0" * 40, 1)]))
    async with client_for(shared_sandbox, credentials) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.get_app(1)
    assert info.value.code == "GAIA_IA02"
    assert "KINTONE_API_TOKEN" in str(info.value)
    assert "0" * 40 not in str(info.value)


async def test_token_lacking_a_permission_is_permission_denied(sandbox: Sandbox) -> None:
    sandbox.add_api_token(2, "addonlytoken000000000000000000000000000", {"add"})
    credentials = Credentials(rest=ApiTokenAuth([ApiToken("addonlytoken000000000000000000000000000", 2)]))
    async with client_for(sandbox, credentials) as client:
        with pytest.raises(PermissionDeniedError) as info:
            await client.get_app(2)
    assert (info.value.status, info.value.code) == (403, "GAIA_NO01")
    assert "permission" in str(info.value)


async def test_token_for_another_app_without_mapping_is_refused_by_kintone(shared_sandbox: Sandbox) -> None:
    # Nothing says which app the token is for, so it is sent, and Kintone refuses it for app 2.
    async with client_for(shared_sandbox, token_credentials(shared_sandbox, 1, mapped=False)) as client:
        with pytest.raises(PermissionDeniedError) as info:
            await client.get_app(2)
    assert info.value.code == "GAIA_NO01"


async def test_token_for_another_app_with_mapping_is_refused_before_sending(shared_sandbox: Sandbox) -> None:
    client, wire = recording_client(shared_sandbox, token_credentials(shared_sandbox, 1))
    async with client:
        with pytest.raises(CredentialsMissingError) as info:
            await client.get_app(2)
    assert wire.requests == []
    assert "2:TOKEN" in str(info.value)


async def test_only_the_target_apps_token_is_sent(shared_sandbox: Sandbox) -> None:
    tokens = shared_sandbox.demo_tokens
    client, wire = recording_client(shared_sandbox, token_credentials(shared_sandbox, 1, 2, 3))
    async with client:
        assert (await client.get_app(3)).app_id == 3
        assert (await client.get_fields(1)).properties
    assert [r.headers["X-Cybozu-API-Token"] for r in wire.requests] == [tokens[3], tokens[1]]


async def test_unmapped_tokens_all_go_along_and_kintone_picks(shared_sandbox: Sandbox) -> None:
    tokens = shared_sandbox.demo_tokens
    client, wire = recording_client(shared_sandbox, token_credentials(shared_sandbox, 1, 2, mapped=False))
    async with client:
        assert (await client.get_app(2)).app_id == 2
    assert wire.requests[0].headers["X-Cybozu-API-Token"] == f"{tokens[1]},{tokens[2]}"


def test_more_than_nine_tokens_for_one_request_is_refused() -> None:
    auth = ApiTokenAuth([ApiToken(f"t{i}") for i in range(10)])
    with pytest.raises(Exception, match="at most 9"):
        auth.select((1,))
    mapped = ApiTokenAuth([ApiToken(f"t{i}", i) for i in range(1, 12)])
    assert mapped.select((5, 7)) == ["t5", "t7"]


async def test_too_many_tokens_is_a_credentials_error_and_nothing_is_sent(shared_sandbox: Sandbox) -> None:
    credentials = Credentials(rest=ApiTokenAuth([ApiToken(f"token{i}") for i in range(10)]))
    client, wire = recording_client(shared_sandbox, credentials)
    async with client:
        with pytest.raises(CredentialsError, match="at most 9"):
            await client.get_app(1)
    assert wire.requests == []


async def test_apps_json_refuses_tokens_and_says_why(shared_sandbox: Sandbox) -> None:
    async with client_for(shared_sandbox, token_credentials(shared_sandbox, 1, mapped=False)) as client:
        with pytest.raises(CredentialsMissingError, match="APP_ID:TOKEN"):
            await client.list_apps()


async def test_no_rest_credentials_is_reported_before_any_request() -> None:
    # The address leads nowhere: had a request been attempted, this would be a NetworkError.
    user_only = Credentials(user_api=UserApiTokenAuth("cy.s.api1.x.y.z"))
    async with KintoneClient("http://127.0.0.1:9", credentials=user_only) as client:
        with pytest.raises(CredentialsMissingError, match="REST API"):
            await client.get_app(1)
    rest_only = Credentials(rest=ApiTokenAuth(["sometoken"]))
    async with KintoneClient("http://127.0.0.1:9", credentials=rest_only) as client:
        with pytest.raises(CredentialsMissingError, match="KINTONE_USER_API_TOKEN"):
            await client.list_users()
        with pytest.raises(NetworkError):
            await client.get_app(1)


async def test_rest_calls_never_carry_the_user_api_token(shared_sandbox: Sandbox) -> None:
    credentials = Credentials(
        rest=ApiTokenAuth([ApiToken(shared_sandbox.demo_tokens[1], 1)]),
        user_api=UserApiTokenAuth("cy.s.api1.header.payload.signature"),
    )
    client, wire = recording_client(shared_sandbox, credentials)
    async with client:
        assert (await client.get_app(1)).app_id == 1
    assert "Authorization" not in wire.requests[0].headers


# --- the Basic gate ------------------------------------------------------------------------------------------


@pytest.fixture
def gated() -> Sandbox:
    return Sandbox(SandboxConfig(demo=True, basic_auth=("gatekeeper", "gate-secret")))


async def test_basic_gate_refuses_requests_without_it(gated: Sandbox) -> None:
    async with client_for(gated) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.get_app(1)
    assert info.value.status == 401


async def test_basic_gate_over_password(gated: Sandbox) -> None:
    auth = BasicGateAuth(PasswordAuth("Administrator", "sandbox"), "gatekeeper", "gate-secret")
    client, wire = recording_client(gated, Credentials(rest=auth, user_api=auth))
    async with client:
        assert (await client.get_app(1)).app_id == 1
    assert wire.requests[0].headers["Authorization"].startswith("Basic ")
    assert "X-Cybozu-Authorization" in wire.requests[0].headers


async def test_basic_gate_over_tokens(gated: Sandbox) -> None:
    auth = BasicGateAuth(ApiTokenAuth([ApiToken(gated.demo_tokens[2], 2)]), "gatekeeper", "gate-secret")
    async with client_for(gated, Credentials(rest=auth)) as client:
        assert (await client.get_app(2)).app_id == 2


async def test_wrong_basic_gate_password_is_refused(gated: Sandbox) -> None:
    auth = BasicGateAuth(PasswordAuth("Administrator", "sandbox"), "gatekeeper", "wrong-gate")
    async with client_for(gated, Credentials(rest=auth)) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.get_app(1)
    assert "wrong-gate" not in str(info.value) + repr(info.value)


def test_basic_gate_cannot_wrap_a_bearer_strategy() -> None:
    with pytest.raises(ValueError, match="cannot be combined"):
        BasicGateAuth(UserApiTokenAuth("cy.s.api1.a.b.c"), "gate", "pw")


# --- guest spaces --------------------------------------------------------------------------------------------


async def test_guest_space_paths(sandbox: Sandbox) -> None:
    space = sandbox.add_space("Partners", guest=True)
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=sandbox.asgi_app), base_url=BASE) as raw:
        created = await raw.post(
            f"/k/guest/{space}/v1/preview/app.json",
            json={"name": "Partner deals"},
            headers={"X-Cybozu-Authorization": base64.b64encode(b"Administrator:sandbox").decode()},
        )
    app = int(created.json()["app"])
    async with client_for(sandbox) as outside:
        # Not configured for the guest space: the app's path is learnt from Kintone's refusal (tests/client/
        # test_guest_spaces.py covers how).
        assert (await outside.get_app(app)).space_id == space
    wire = RecordingTransport(httpx2.ASGITransport(app=sandbox.asgi_app))
    client = KintoneClient(BASE, credentials=password_credentials(), guest_space_id=space, transport=wire)
    async with client:
        assert (await client.get_app(app)).space_id == space
        assert (await client.get_app(1)).space_id is None  # a normal app beside it
        with pytest.raises(NotFoundError):
            await client.get_app(999)
    assert wire.requests[0].url.path == f"/k/guest/{space}/v1/app.json"


# --- secrets never leak --------------------------------------------------------------------------------------

PASSWORD_CANARY = "canary-P4ssw0rd-7d1e9b"
TOKEN_CANARY = "canaryT0ken5f0c2a9e7b1d3c5e7f9a1b3c5d7e9f"
GATE_CANARY = "canary-gate-4b8d"


async def test_canary_secrets_never_appear_in_errors_or_logs(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    strategies = [
        Credentials(rest=PasswordAuth("sato", PASSWORD_CANARY), user_api=PasswordAuth("sato", PASSWORD_CANARY)),
        Credentials(rest=ApiTokenAuth([ApiToken(TOKEN_CANARY, 1)])),
        Credentials(rest=ApiTokenAuth([TOKEN_CANARY])),
        Credentials(rest=BasicGateAuth(PasswordAuth("sato", PASSWORD_CANARY), "gate", GATE_CANARY)),
    ]
    for credentials in strategies:
        async with client_for(sandbox, credentials) as client:
            for call in (client.get_app(1), client.get_app(2), client.list_apps(), client.get_fields(99)):
                try:
                    await call
                except Exception as exc:
                    errors.append(exc)
        async with KintoneClient("http://127.0.0.1:9", credentials=credentials) as offline:
            try:
                await offline.get_app(1)
            except Exception as exc:
                errors.append(exc)
    assert len(errors) == 4 * 5
    texts = [str(e) for e in errors] + [repr(e) for e in errors] + [str(c) for c in strategies]
    texts += [repr(s.rest) for s in strategies] + [r.getMessage() for r in caplog.records]
    encoded = base64.b64encode(f"sato:{PASSWORD_CANARY}".encode()).decode()
    for text in texts:
        for canary in (PASSWORD_CANARY, TOKEN_CANARY, GATE_CANARY, encoded):
            assert canary not in text


async def test_secrets_echoed_back_by_a_server_are_scrubbed() -> None:
    # A misbehaving proxy or server that quotes the credentials back must not get them into our errors.
    echo = FaultRule("error", status=400, code="CB_VA01", message=f"bad header {TOKEN_CANARY} / {PASSWORD_CANARY}")
    sb = Sandbox(SandboxConfig(demo=True, operations=OperationsConfig(faults=[echo])))
    credentials = Credentials(
        rest=ApiTokenAuth([ApiToken(TOKEN_CANARY, 1)]), user_api=PasswordAuth("sato", PASSWORD_CANARY)
    )
    async with client_for(sb, credentials) as client:
        with pytest.raises(ValidationError) as info:
            await client.get_app(1)
    text = str(info.value) + repr(info.value) + info.value.message
    assert "bad header *** / ***" in text
    assert TOKEN_CANARY not in text and PASSWORD_CANARY not in text
