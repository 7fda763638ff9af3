"""Which credentials offer the space tools and search (docs/kintone-api.md §2.2): password authentication only.
With API tokens or OAuth they are withheld from tools/list, and a call is answered with the reason."""

from __future__ import annotations

import pytest
from mcp import Client

from kintone_mcp.sandbox import Sandbox
from kintone_mcp.server.policy import Policy
from tests.server.conftest import ServerFactory, token_credentials
from tests.server.helpers import call_error
from tests.server.tools.spaces.conftest import WITH_SPACES

pytestmark = pytest.mark.anyio
SPACE_TOOLS = {"get_space", "create_space", "update_space", "update_space_members", "delete_space",
               "create_thread", "update_thread", "add_thread_comment"}


async def test_password_offers_them(spaces_mcp: Client) -> None:
    names = {t.name for t in (await spaces_mcp.list_tools()).tools}
    assert SPACE_TOOLS | {"search"} <= names


@pytest.mark.parametrize("auth_type", ["api_token", "oauth"])
async def test_tokens_and_oauth_withhold_them_with_the_reason(
    make_server: ServerFactory, sandbox: Sandbox, auth_type: str
) -> None:
    server = make_server(Policy.build(toolsets=WITH_SPACES, default_app=2), credentials=token_credentials(sandbox),
                         auth_type=auth_type)
    async with Client(server) as mcp:
        names = {t.name for t in (await mcp.list_tools()).tools}
        assert not (SPACE_TOOLS | {"search"}) & names
        assert "get_records" in names  # the record tools stay
        text = await call_error(mcp, "search", keywords=["Kaze"])
        assert "search is not offered" in text and "password authentication" in text
        assert "KINTONE_USERNAME" in await call_error(mcp, "get_space", space=1)


async def test_a_toolset_that_is_off_says_so_before_credentials(make_server: ServerFactory, sandbox: Sandbox) -> None:
    async with Client(make_server(credentials=token_credentials(sandbox), auth_type="api_token")) as mcp:
        text = await call_error(mcp, "get_space", space=1)
    assert "'spaces' toolset" in text


async def test_list_users_still_needs_the_user_api(make_server: ServerFactory, sandbox: Sandbox) -> None:
    async with Client(make_server(credentials=token_credentials(sandbox))) as mcp:
        text = await call_error(mcp, "list_users")
    assert "User API token" in text
