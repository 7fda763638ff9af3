"""Fixtures: the real server, over the real client, against the sandbox (in process through ASGITransport)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx2
import pytest
from mcp import Client

from kintone_mcp.auth import ApiToken, ApiTokenAuth, Credentials, PasswordAuth
from kintone_mcp.client import KintoneClient
from kintone_mcp.sandbox import Sandbox, SandboxConfig
from kintone_mcp.server.app import KintoneMCPServer, build_server
from kintone_mcp.server.policy import Policy
from kintone_mcp.server.state import ServerOptions

BASE_URL = "http://127.0.0.1:8787"  # nothing listens there: requests go through ASGITransport
DEALS, CUSTOMERS, TICKETS = 2, 1, 3


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(SandboxConfig(demo=True))


def password_credentials() -> Credentials:
    return Credentials(rest=PasswordAuth("Administrator", "sandbox"), user_api=PasswordAuth("Administrator", "sandbox"))


def token_credentials(sandbox: Sandbox, apps: list[int] | None = None) -> Credentials:
    tokens = [ApiToken(t, app=a) for a, t in sandbox.demo_tokens.items() if apps is None or a in apps]
    return Credentials(rest=ApiTokenAuth(tokens))


def auth_type_of(creds: Credentials) -> str:
    """What launch derives from settings: the space tools and search need password authentication."""
    return "password" if isinstance(creds.rest, PasswordAuth) else "api_token" if creds.rest is not None else "none"


ServerFactory = Callable[..., KintoneMCPServer]


@pytest.fixture
def make_server(sandbox: Sandbox) -> ServerFactory:
    def make(
        policy: Policy | None = None,
        credentials: Credentials | None = None,
        lazy: bool = True,
        **options: Any,
    ) -> KintoneMCPServer:
        creds = credentials or password_credentials()

        def client_factory() -> KintoneClient:
            return KintoneClient(BASE_URL, credentials=creds, transport=httpx2.ASGITransport(app=sandbox.asgi_app))

        opts = ServerOptions(base_url=BASE_URL, user_api=creds.user_api is not None,
                             **{"auth_type": auth_type_of(creds), **options})
        return build_server(
            policy=policy or Policy.build(default_app=DEALS), options=opts, client_factory=client_factory, lazy=lazy
        )

    return make


@pytest.fixture
async def mcp(make_server: ServerFactory) -> AsyncIterator[Client]:
    async with Client(make_server()) as client:
        yield client


async def add_file_field(sandbox: Sandbox, app: int, code: str = "attachments") -> str:
    """Give a demo app a FILE field through the sandbox's own settings API (preview, then deploy)."""
    auth = {"X-Cybozu-Authorization": base64.b64encode(b"Administrator:sandbox").decode()}
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=sandbox.asgi_app), base_url=BASE_URL) as http:
        body = {"app": app, "properties": {code: {"type": "FILE", "code": code, "label": "Attachments"}}}
        (await http.post("/k/v1/preview/app/form/fields.json", json=body, headers=auth)).raise_for_status()
        (
            await http.post("/k/v1/preview/app/deploy.json", json={"apps": [{"app": app}]}, headers=auth)
        ).raise_for_status()
    return code
