from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from sandbox_api import Api, client_for

from kintone_mcp.sandbox import Sandbox, SandboxConfig


@pytest.fixture
def demo_sandbox() -> Iterator[Sandbox]:
    sb = Sandbox(SandboxConfig(demo=True))
    yield sb
    sb.close()


@pytest.fixture
async def demo_api(demo_sandbox: Sandbox) -> AsyncIterator[Api]:
    async with client_for(demo_sandbox) as client:
        yield Api(client)


@pytest.fixture
async def api(sandbox: Sandbox) -> AsyncIterator[Api]:
    """A client of the test module's own ``sandbox`` fixture."""
    async with client_for(sandbox) as client:
        yield Api(client)
