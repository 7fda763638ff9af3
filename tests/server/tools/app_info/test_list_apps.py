"""list_apps end to end against the sandbox."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from tests.server.conftest import ServerFactory, token_credentials
from tests.server.helpers import call_ok


@pytest.mark.anyio
async def test_token_auth_lists_the_tokens_apps(make_server: ServerFactory, sandbox: Any) -> None:
    async with Client(make_server(credentials=token_credentials(sandbox, [2, 3]))) as mcp:
        apps = await call_ok(mcp, "list_apps")
        assert [a["id"] for a in apps["apps"]] == [2, 3]
        page = await call_ok(mcp, "get_records", app=2, limit=2)
        assert page["returned"] == 2
