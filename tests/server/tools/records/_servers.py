"""A server over a sandbox of the test's own making (more demo records than the shared fixture), with aliases."""

from __future__ import annotations

import httpx2

from kintone_mcp.client import KintoneClient
from kintone_mcp.sandbox import Sandbox
from kintone_mcp.server.app import KintoneMCPServer, build_server
from kintone_mcp.server.policy import Policy
from kintone_mcp.server.state import ServerOptions
from tests.server.conftest import BASE_URL, CUSTOMERS, DEALS, password_credentials


def server_on(sandbox: Sandbox) -> KintoneMCPServer:
    creds = password_credentials()
    return build_server(
        policy=Policy.build(default_app=DEALS, aliases={"deals": DEALS, "customers": CUSTOMERS}),
        options=ServerOptions(base_url=BASE_URL, user_api=True),
        client_factory=lambda: KintoneClient(
            BASE_URL, credentials=creds, transport=httpx2.ASGITransport(app=sandbox.asgi_app)
        ),
    )
