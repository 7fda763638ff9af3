from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import httpx2
import pytest

from kintone_mcp.auth import ApiToken, ApiTokenAuth, Credentials, PasswordAuth
from kintone_mcp.client import KintoneClient
from kintone_mcp.sandbox import Sandbox, SandboxConfig

#: any host works in process: ASGITransport never resolves it
BASE = "http://sandbox.test"
ADMIN = ("Administrator", "sandbox")

ClientFactory = Callable[..., KintoneClient]


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[Sandbox]:
    """A demo sandbox shared by a module's read-only tests (tests that write make their own)."""
    sb = Sandbox(SandboxConfig(demo=True))
    yield sb
    sb.close()


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    sb = Sandbox(SandboxConfig(demo=True))
    yield sb
    sb.close()


def password_credentials(login: str = ADMIN[0], password: str = ADMIN[1]) -> Credentials:
    auth = PasswordAuth(login, password)
    return Credentials(rest=auth, user_api=auth)


def token_credentials(sb: Sandbox, *apps: int, mapped: bool = True) -> Credentials:
    tokens = sb.demo_tokens
    return Credentials(rest=ApiTokenAuth(ApiToken(tokens[a], a if mapped else None) for a in apps))


def client_for(sb: Sandbox, credentials: Credentials | None = None, **kwargs: object) -> KintoneClient:
    return KintoneClient(
        BASE,
        credentials=credentials or password_credentials(),
        transport=httpx2.ASGITransport(app=sb.asgi_app),
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
async def admin(sandbox: Sandbox) -> AsyncIterator[KintoneClient]:
    async with client_for(sandbox) as client:
        yield client


@pytest.fixture
async def shared_admin(shared_sandbox: Sandbox) -> AsyncIterator[KintoneClient]:
    async with client_for(shared_sandbox) as client:
        yield client


class RecordingTransport(httpx2.AsyncBaseTransport):
    """Passes every request to the real sandbox and keeps a copy, so tests can see what went over the wire."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx2.Request] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def recording_client(sb: Sandbox, credentials: Credentials | None = None) -> tuple[KintoneClient, RecordingTransport]:
    transport = RecordingTransport(httpx2.ASGITransport(app=sb.asgi_app))
    client = KintoneClient(BASE, credentials=credentials or password_credentials(), transport=transport)
    return client, transport


async def create_app(sb: Sandbox, name: str, properties: dict[str, dict[str, object]]) -> int:
    """A new live app with these fields, made through the sandbox's own settings API (setup, not under test)."""
    headers = {"X-Cybozu-Authorization": "QWRtaW5pc3RyYXRvcjpzYW5kYm94"}  # Administrator:sandbox
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=sb.asgi_app), base_url=BASE) as raw:
        created = await raw.post("/k/v1/preview/app.json", json={"name": name}, headers=headers)
        created.raise_for_status()
        app = int(created.json()["app"])
        fields = {code: {"code": code, **prop} for code, prop in properties.items()}
        added = await raw.post(
            "/k/v1/preview/app/form/fields.json", json={"app": app, "properties": fields}, headers=headers
        )
        added.raise_for_status()
        deployed = await raw.post("/k/v1/preview/app/deploy.json", json={"apps": [{"app": app}]}, headers=headers)
        deployed.raise_for_status()
        return app
