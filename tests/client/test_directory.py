"""cybozu.com User API lookups: with a User API token beside app tokens, or with a password."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kintone_mcp.auth import ApiToken, ApiTokenAuth, Credentials, UserApiTokenAuth
from kintone_mcp.client import AuthenticationError, CredentialsMissingError, KintoneClient
from kintone_mcp.sandbox import Sandbox

from .conftest import client_for, recording_client

pytestmark = pytest.mark.anyio

DEMO_USERS = {"Administrator", "sato", "suzuki", "tanaka", "takahashi", "watanabe"}


def split_credentials(sb: Sandbox, user_token: str | None = None) -> Credentials:
    """App API tokens for records, the User API token for the directory: both on one connection."""
    return Credentials(
        rest=ApiTokenAuth([ApiToken(sb.demo_tokens[2], 2)]),
        user_api=UserApiTokenAuth(user_token or sb.demo_user_api_token or ""),
    )


async def test_one_connection_holds_app_tokens_and_a_user_api_token(shared_sandbox: Sandbox) -> None:
    client, wire = recording_client(shared_sandbox, split_credentials(shared_sandbox))
    async with client:
        users = await client.list_users()
        deal = await client.get_record(2, 1)
    assert {u.code for u in users} >= DEMO_USERS
    assert deal.id == 1
    user_call, record_call = wire.requests
    assert user_call.url.path == "/v1/users.json"
    assert user_call.headers["Authorization"] == f"Bearer {shared_sandbox.demo_user_api_token}"
    assert "X-Cybozu-API-Token" not in user_call.headers
    assert record_call.url.path == "/k/v1/record.json"
    assert "Authorization" not in record_call.headers


async def test_users_organizations_groups_and_memberships(shared_admin: KintoneClient) -> None:
    users = await shared_admin.list_users(codes=["sato", "tanaka"])
    assert sorted(u.code for u in users) == ["sato", "tanaka"]
    sato = next(u for u in users if u.code == "sato")
    assert sato.valid and sato.id > 0 and sato.name
    by_id = await shared_admin.list_users(ids=[sato.id])
    assert [u.code for u in by_id] == ["sato"]
    organizations = await shared_admin.list_organizations()
    assert {o.code for o in organizations} >= {"sales", "support", "engineering"}
    groups = await shared_admin.list_groups()
    assert {g.code for g in groups} >= {"managers", "everyone"}
    sato_orgs = await shared_admin.get_user_organizations("sato")
    assert sato.primary_organization in {t.organization.id for t in sato_orgs}
    sato_groups = {g.code for g in await shared_admin.get_user_groups("sato")}
    members = await shared_admin.get_group_users("everyone")
    assert "sato" in {u.code for u in members} and "everyone" in sato_groups
    members_of: dict[str, set[str]] = {}
    for org in organizations:
        members_of[org.code] = {t.user.code for t in await shared_admin.get_organization_users(org.code)}
    assert {t.organization.code for t in sato_orgs} == {
        code for code, members in members_of.items() if "sato" in members
    }


async def test_paging_through_every_user(sandbox: Sandbox) -> None:
    for i in range(130):
        sandbox.add_user(f"bulk-user-{i:03d}")
    async with client_for(sandbox) as client:
        first = await client.list_users(size=100)
        everyone = await client.list_all_users()
    assert len(first) == 100
    assert len(everyone) == 130 + len(DEMO_USERS) and len({u.id for u in everyone}) == len(everyone)


async def test_unknown_or_expired_user_api_token(sandbox: Sandbox) -> None:
    sandbox.add_user_api_token("cy.s.api1.expired.token.x", "read", datetime.now(UTC) - timedelta(days=1))
    for token in ("cy.s.api1.unknown.token.x", "cy.s.api1.expired.token.x"):
        async with client_for(sandbox, split_credentials(sandbox, token)) as client:
            with pytest.raises(AuthenticationError):
                await client.list_groups()


async def test_app_tokens_alone_cannot_read_the_directory(shared_sandbox: Sandbox) -> None:
    credentials = Credentials(rest=ApiTokenAuth([ApiToken(shared_sandbox.demo_tokens[1], 1)]))
    client, wire = recording_client(shared_sandbox, credentials)
    async with client:
        with pytest.raises(CredentialsMissingError, match="KINTONE_USER_API_TOKEN"):
            await client.list_users()
    assert wire.requests == []


async def test_user_api_token_alone_cannot_read_records(shared_sandbox: Sandbox) -> None:
    credentials = Credentials(user_api=UserApiTokenAuth(shared_sandbox.demo_user_api_token or ""))
    async with client_for(shared_sandbox, credentials) as client:
        assert {g.code for g in await client.list_groups()} >= {"managers"}
        with pytest.raises(CredentialsMissingError, match="REST API"):
            await client.get_records(2)
