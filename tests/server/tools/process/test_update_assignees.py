"""update_assignees end to end."""

from __future__ import annotations

import pytest
from mcp import Client

from tests.server.helpers import call_error


@pytest.mark.anyio
async def test_update_assignees_explains_names_and_apps_without_a_process(mcp: Client) -> None:
    text = await call_error(mcp, "update_assignees", app=3, id=1, assignees=["Tanaka Ren"])
    assert "user codes" in text and "list_users" in text
    assert "does not use process management" in await call_error(
        mcp, "update_assignees", app=2, id=1, assignees=["tanaka"]
    )
