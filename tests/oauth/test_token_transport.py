"""Token calls run authlib's httpx2 client directly over our transports: a lent transport (the API client's, or
the in-process sandbox) stays open after the call's client is closed, a transport built for one call is closed."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest

from kintone_mcp.auth.oauth import OAuthSession
from kintone_mcp.sandbox import Sandbox
from tests.oauth.browser import make_sandbox
from tests.oauth.signin import EpochClock, sign_in

pytestmark = pytest.mark.anyio


class Recording(httpx2.AsyncBaseTransport):
    """The sandbox in process, counting the requests it carries and whether it was closed."""

    def __init__(self, sb: Sandbox) -> None:
        self._inner = httpx2.ASGITransport(app=sb.asgi_app)
        self.requests: list[str] = []
        self.closed = False

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        assert not self.closed, "a closed transport was used"
        self.requests.append(f"{request.method} {request.url.path}")
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        self.closed = True


@pytest.mark.parametrize("owned", [False, True])
async def test_token_calls_leave_a_lent_transport_open_and_close_their_own(tmp_path: Path, owned: bool) -> None:
    clock = EpochClock()
    sb = make_sandbox(clock)
    signed = await sign_in(sb, clock, tmp_path)
    built: list[Recording] = []

    def factory(url: str) -> tuple[httpx2.AsyncBaseTransport, bool]:
        if owned or not built:
            built.append(Recording(sb))
        return built[-1], owned

    session = OAuthSession(signed.session.config, transport_factory=factory)
    refresh = signed.tokens.refresh_token
    assert refresh
    for _ in range(2):
        answer = await session.refresh(refresh)
        refresh = answer.get("refresh_token", refresh)
        assert answer["access_token"]
    assert len(built) == (2 if owned else 1)
    assert [r for t in built for r in t.requests] == ["POST /oauth2/token"] * 2
    assert [t.closed for t in built] == [owned] * len(built)
