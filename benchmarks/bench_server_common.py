"""Shared set-up for the server benchmarks (not a benchmark itself): the demo sandbox behind the real client and
server, in process."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

import httpx2

from kintone_mcp.auth import Credentials, PasswordAuth
from kintone_mcp.client import KintoneClient
from kintone_mcp.sandbox import Sandbox, SandboxConfig
from kintone_mcp.server.app import KintoneMCPServer, build_server
from kintone_mcp.server.policy import Policy
from kintone_mcp.server.state import ServerOptions

BASE_URL = "http://127.0.0.1:8787"
ADMIN = PasswordAuth("Administrator", "sandbox")


def sandbox(records: int = 300) -> Sandbox:
    return Sandbox(SandboxConfig(demo=True, demo_records=records))


def client_for(sb: Sandbox) -> KintoneClient:
    return KintoneClient(
        BASE_URL, credentials=Credentials(rest=ADMIN, user_api=ADMIN), transport=httpx2.ASGITransport(app=sb.asgi_app)
    )


def server_for(sb: Sandbox, policy: Policy | None = None, *, lazy: bool = True) -> KintoneMCPServer:
    return build_server(
        policy=policy or Policy.build(default_app=2),
        options=ServerOptions(base_url=BASE_URL, user_api=True),
        client_factory=lambda: client_for(sb),
        lazy=lazy,
    )


def describe(samples: Sequence[float], unit: str = "ms", scale: float = 1000.0) -> str:
    ordered = sorted(samples)
    return (
        f"median {statistics.median(ordered) * scale:.2f} {unit}, min {ordered[0] * scale:.2f}, "
        f"p90 {ordered[int(len(ordered) * 0.9) - 1] * scale:.2f} (n={len(ordered)})"
    )
