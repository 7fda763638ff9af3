"""The project's own client against the sandbox's User API: every directory call parses into the typed models, with a
User API token beside app API tokens (the split kintone_mcp.auth.Credentials makes)."""

from __future__ import annotations

from datetime import date

import httpx2
import pytest
from sandbox_api import Api, client_for

from kintone_mcp.auth import ApiToken, ApiTokenAuth, Credentials, UserApiTokenAuth
from kintone_mcp.client import KintoneClient
from kintone_mcp.sandbox import Sandbox, SandboxConfig

pytestmark = pytest.mark.anyio


async def test_directory_calls_with_a_user_api_token_beside_app_tokens() -> None:
    sb = Sandbox(SandboxConfig(demo=True, demo_records=5))
    token = sb.demo_user_api_token
    assert token is not None
    # Give sato a few optional attributes so the typed fields are exercised, not only the nulls.
    async with client_for(sb) as http:
        await Api(http).ok("PUT", "/v1/users.json", {"users": [{
            "code": "sato", "birthDate": "1990-04-01", "sortOrder": 3,
            "customItemValues": [{"code": "badge", "value": "7"}]}]})
    credentials = Credentials(rest=ApiTokenAuth([ApiToken(sb.demo_tokens[1], 1)]), user_api=UserApiTokenAuth(token))
    async with KintoneClient(
        "http://sandbox.test", credentials=credentials, transport=httpx2.ASGITransport(app=sb.asgi_app)
    ) as client:
        users = await client.list_users()
        assert [u.code for u in users] == ["Administrator", "sato", "suzuki", "tanaka", "takahashi", "watanabe"]
        sato = users[1]
        assert sato.id == 2 and sato.birth_date == date(1990, 4, 1) and sato.sort_order == 3
        assert sato.custom_item_values[0].value == "7" and sato.ctime is not None
        assert [u.code for u in await client.list_users(codes=["tanaka"], ids=[2])] == ["sato", "tanaka"]
        assert [u.code for u in await client.list_users(offset=4, size=1)] == ["takahashi"]
        assert len(await client.list_all_users()) == 6
        orgs = await client.list_organizations()
        assert [o.code for o in orgs] == ["sales", "support", "engineering"]
        assert sato.primary_organization == orgs[0].id
        assert [g.code for g in await client.list_groups()] == ["Administrators", "managers", "everyone"]
        titles = await client.get_user_organizations("sato")
        assert [(t.organization.code, t.title) for t in titles] == [("sales", None)]
        assert [g.code for g in await client.get_user_groups("takahashi")] == ["managers", "everyone"]
        members = await client.get_organization_users("support")
        assert [m.user.code for m in members] == ["suzuki", "tanaka"]
        assert [u.code for u in await client.get_group_users("managers", size=1, offset=1)] == ["takahashi"]
        # The same client still reads records with its app token.
        assert (await client.get_app(1)).code == "CUSTOMERS"
    sb.close()
