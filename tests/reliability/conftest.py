"""Shared set-up of the reliability tests: sandboxes with fault rules, clients with fast seeded retries, and an
instrumented transport that records what went over the wire (in process, through httpx2.ASGITransport)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest

from kintone_mcp.auth import Credentials, PasswordAuth
from kintone_mcp.client import BackoffRetry, KintoneClient, NoRetry, RetryPolicy
from kintone_mcp.sandbox import Sandbox, SandboxConfig
from kintone_mcp.sandbox.operations.faults import FaultRule
from kintone_mcp.sandbox.operations.middleware import OperationsConfig, OperationsMiddleware

BASE = "http://sandbox.test"
CUSTOMERS, DEALS, TICKETS = 1, 2, 3
SEED = 20261128


def admin() -> Credentials:
    auth = PasswordAuth("Administrator", "sandbox")
    return Credentials(rest=auth, user_api=auth)


def fast_retries(retries: int = 4, *, total: float | None = 20.0, seed: int = SEED) -> BackoffRetry:
    """Real backoff and jitter, scaled down to milliseconds so that a test with many retries stays fast."""
    return BackoffRetry(retries=retries, base_delay=0.001, max_delay=0.01, total_timeout=total, rng=random.Random(seed))


def faults(sandbox: Sandbox) -> OperationsMiddleware:
    assert isinstance(sandbox.asgi_app, OperationsMiddleware)
    return sandbox.asgi_app


def faulty_sandbox(*rules: FaultRule, seed: int = SEED, **config: Any) -> Sandbox:
    operations = OperationsConfig(faults=list(rules), seed=seed, concurrency_limit=config.pop("concurrency_limit", 100))
    return Sandbox(SandboxConfig(demo=True, operations=operations, **config))


@dataclass
class Exchange:
    method: str
    path: str
    status: int | None
    error: str | None = None


@dataclass
class Wire(httpx2.AsyncBaseTransport):
    """Forwards to the sandbox in process and records every exchange; ``in_flight``/``peak`` count requests
    waiting for their answer. ``before`` may run for each request first (to change fault rules mid-call, or
    to fail a connection attempt as a refused TCP connect would)."""

    inner: httpx2.AsyncBaseTransport
    exchanges: list[Exchange] = field(default_factory=list)
    before: Callable[[httpx2.Request, int], None] | None = None
    in_flight: int = 0
    peak: int = 0

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        method = request.headers.get("X-HTTP-Method-Override", request.method)
        n = len(self.exchanges)
        entry = Exchange(method, request.url.path, None)
        self.exchanges.append(entry)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            if self.before is not None:
                self.before(request, n)
            response = await self.inner.handle_async_request(request)
            entry.status = response.status_code
            return response
        except Exception as exc:
            entry.error = type(exc).__name__
            raise
        finally:
            self.in_flight -= 1

    def sent(self, method: str, path_end: str) -> list[Exchange]:
        return [e for e in self.exchanges if e.method == method and e.path.endswith(path_end)]


def wire_for(sandbox: Sandbox) -> Wire:
    return Wire(httpx2.ASGITransport(app=sandbox.asgi_app))


def client_for(
    sandbox: Sandbox,
    *,
    wire: Wire | None = None,
    retry: RetryPolicy | None = None,
    timeout: float | httpx2.Timeout = 10.0,
    max_concurrency: int = 10,
    credentials: Credentials | None = None,
) -> KintoneClient:
    return KintoneClient(
        BASE,
        credentials=credentials or admin(),
        transport=wire if wire is not None else httpx2.ASGITransport(app=sandbox.asgi_app),
        retry_policy=retry if retry is not None else fast_retries(),
        timeout=timeout,
        max_concurrency=max_concurrency,
    )


def refuse_connections(count: int) -> Callable[[httpx2.Request, int], None]:
    """The first ``count`` requests fail as a refused TCP connection does: nothing reaches the server."""

    def before(request: httpx2.Request, n: int) -> None:
        if n < count:
            raise httpx2.ConnectError("[Errno 111] Connection refused", request=request)

    return before


async def count_records(sandbox: Sandbox, app: int, query: str) -> int:
    """Counted without faults and without retries, straight from the sandbox."""
    ops = faults(sandbox)
    saved = ops.faults.rules
    ops.faults.clear()
    try:
        async with client_for(sandbox, retry=NoRetry()) as client:
            page = await client.get_records(app, query=f"{query} limit 1", total_count=True)
            return page.total_count or 0
    finally:
        ops.faults.replace(saved)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    sb = faulty_sandbox()
    yield sb
    sb.close()


def mcp_server(
    sandbox: Sandbox,
    *,
    retry: RetryPolicy | None = None,
    timeout: float = 10.0,
    credentials: Credentials | None = None,
    policy: Any = None,
    **options: Any,
) -> Any:
    """The real MCP server over the real client, against ``sandbox`` in process."""
    from kintone_mcp.server.app import build_server
    from kintone_mcp.server.policy import Policy
    from kintone_mcp.server.state import ServerOptions

    creds = credentials or admin()

    def client_factory() -> KintoneClient:
        return client_for(sandbox, retry=retry, timeout=timeout, credentials=creds)

    # What launch derives from the settings: search and the space tools need password authentication.
    auth_type = "password" if isinstance(creds.rest, PasswordAuth) else "api_token" if creds.rest else "none"
    opts = ServerOptions(base_url=BASE, user_api=creds.user_api is not None, **{"auth_type": auth_type, **options})
    return build_server(policy=policy or Policy.build(default_app=DEALS), options=opts, client_factory=client_factory)
