"""Two people sign in to one remote server with their own Kintone accounts, through the SDK's OAuth client."""

from __future__ import annotations

import pytest

from tests.server.helpers import call_error, call_ok
from tests.server.remote.harness import User, connect, make_sandbox, remote_server

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
