"""A server with the spaces toolset on (it is off by default), as the Administrator with a password."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from mcp import Client

from kintone_mcp.server.policy import Policy
from tests.server.conftest import ServerFactory

WITH_SPACES = ["core", "records", "files", "users", "spaces"]
SALES, GUEST, BOARD = 1, 2, 3
PROJECT_TEMPLATE = 1


@pytest.fixture
async def spaces_mcp(make_server: ServerFactory) -> AsyncIterator[Client]:
    async with Client(make_server(Policy.build(default_app=2, toolsets=WITH_SPACES))) as client:
        yield client
