"""The operations layer through the real sandbox (demo data): in process and over a socket with serve_in_thread."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import httpx2
import pytest

from kintone_mcp.sandbox import Sandbox, SandboxConfig, serve_in_thread
from kintone_mcp.sandbox.operations.faults import FaultRule
from kintone_mcp.sandbox.operations.middleware import OperationsConfig, OperationsMiddleware

pytestmark = pytest.mark.anyio

ADMIN = {"X-Cybozu-Authorization": base64.b64encode(b"Administrator:sandbox").decode()}
CUSTOMERS = 1


def new_customer(code: str) -> dict[str, Any]:
    return {"app": CUSTOMERS, "record": {"customer_code": {"value": code}, "company_name": {"value": f"{code} Ltd."}}}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    sb = Sandbox(SandboxConfig(demo=True, demo_records=20, operations=OperationsConfig(concurrency_limit=2, seed=1)))
    yield sb
    sb.close()


@pytest.fixture
def ops(sandbox: Sandbox) -> Iterator[OperationsMiddleware]:
    assert isinstance(sandbox.asgi_app, OperationsMiddleware)
    yield sandbox.asgi_app
    sandbox.asgi_app.faults.clear()


@pytest.fixture(scope="module")
def socket_url(sandbox: Sandbox) -> Iterator[str]:
    with serve_in_thread(sandbox) as url:
        yield url


@pytest.fixture(params=["asgi", pytest.param("socket", marks=pytest.mark.socket)])
async def client(request: pytest.FixtureRequest, sandbox: Sandbox) -> AsyncIterator[httpx2.AsyncClient]:
    if request.param == "asgi":
        transport = httpx2.ASGITransport(app=sandbox.asgi_app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://sandbox.test", headers=ADMIN) as c:
            yield c
    else:
        async with httpx2.AsyncClient(base_url=request.getfixturevalue("socket_url"), headers=ADMIN) as c:
            yield c


async def count(client: httpx2.AsyncClient, code: str) -> int:
    response = await client.get(
        "/k/v1/records.json",
        params={"app": CUSTOMERS, "query": f'customer_code = "{code}"', "totalCount": "true"},
    )
    assert response.status_code == 200, response.text
    return int(response.json()["totalCount"])


async def test_after_commit_error_leaves_the_record_written(
    client: httpx2.AsyncClient, ops: OperationsMiddleware, request: pytest.FixtureRequest
) -> None:
    code = f"AC-{request.node.callspec.id}"
    ops.faults.replace([FaultRule("error", status=520, code="GAIA_DA02", after_commit=True, methods=("POST",))])
    response = await client.post("/k/v1/record.json", json=new_customer(code))
    assert response.status_code == 520 and response.json()["code"] == "GAIA_DA02"
    assert await count(client, code) == 1  # the client saw a failure, yet the server did it


async def test_drop_before_commit_writes_nothing(
    client: httpx2.AsyncClient, ops: OperationsMiddleware, request: pytest.FixtureRequest
) -> None:
    code = f"DB-{request.node.callspec.id}"
    ops.faults.replace([FaultRule("drop", methods=("POST",), paths=("/k/v1/record.json",))])
    with pytest.raises(httpx2.TransportError):
        await client.post("/k/v1/record.json", json=new_customer(code))
    assert await count(client, code) == 0


async def test_drop_after_commit_writes_and_loses_the_answer(
    client: httpx2.AsyncClient, ops: OperationsMiddleware, request: pytest.FixtureRequest
) -> None:
    code = f"DA-{request.node.callspec.id}"
    ops.faults.replace([FaultRule("drop", after_commit=True, methods=("POST",))])
    with pytest.raises(httpx2.RemoteProtocolError):
        await client.post("/k/v1/record.json", json=new_customer(code))
    assert await count(client, code) == 1


async def test_method_override_serves_records_query_from_the_body(client: httpx2.AsyncClient) -> None:
    query = 'customer_code in ("' + '", "'.join(f"X{i:04}" for i in range(400)) + '") or $id > 0 order by $id asc'
    direct = await client.get(
        "/k/v1/records.json", params={"app": CUSTOMERS, "query": "$id > 0 order by $id asc", "totalCount": "true"}
    )
    overridden = await client.post(
        "/k/v1/records.json",
        headers={"X-HTTP-Method-Override": "GET"},
        json={"app": CUSTOMERS, "query": query, "fields": ["$id", "customer_code"], "totalCount": True},
    )
    assert overridden.status_code == 200, overridden.text
    ids = [r["$id"]["value"] for r in overridden.json()["records"]]
    assert ids == [r["$id"]["value"] for r in direct.json()["records"]]
    assert overridden.json()["totalCount"] == direct.json()["totalCount"]
    assert set(overridden.json()["records"][0]) == {"$id", "customer_code"}


async def test_sandbox_errors_carry_limit_headers_and_localised_messages(client: httpx2.AsyncClient) -> None:
    response = await client.get("/k/v1/app.json", params={"id": 999}, headers={"Accept-Language": "ja"})
    assert response.status_code == 404
    assert response.json()["code"] == "GAIA_AP01"
    assert response.json()["message"] == "指定したアプリ（id: 999）が見つかりません。削除されている可能性があります。"
    assert response.headers["x-concurrencylimit-limit"] == "2"
    unauthenticated = await client.get("/k/v1/app.json", params={"id": 1}, headers={"X-Cybozu-Authorization": ""})
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["x-concurrencylimit-running"] == "1"


async def test_the_limit_applies_to_the_real_sandbox(client: httpx2.AsyncClient, ops: OperationsMiddleware) -> None:
    """Latency on one endpoint holds the two allowed slots; a third request is refused with 429 GAIA_TO04."""
    ops.faults.replace([FaultRule("latency", ms=(400, 400), paths=("/k/v1/app.json",))])
    slow: list[httpx2.Response] = []

    async def slow_call() -> None:
        slow.append(await client.get("/k/v1/app.json", params={"id": 1}))

    async with anyio.create_task_group() as tg:
        tg.start_soon(slow_call)
        tg.start_soon(slow_call)
        # Polling: over a socket the server runs on another thread's loop, where no event of ours can be awaited.
        with anyio.fail_after(2):
            while ops.concurrency.running < 2:  # noqa: ASYNC110
                await anyio.sleep(0.005)
        refused = await client.get("/k/v1/records.json", params={"app": CUSTOMERS})
        assert refused.status_code == 429
        assert refused.json()["code"] == "GAIA_TO04"
        assert refused.headers["x-cybozu-error"] == "GAIA_TO04"
        assert (refused.headers["x-concurrencylimit-limit"], refused.headers["x-concurrencylimit-running"]) == (
            "2",
            "2",
        )
    assert [r.status_code for r in slow] == [200, 200]


async def test_admin_endpoint_drives_the_real_sandbox(client: httpx2.AsyncClient, ops: OperationsMiddleware) -> None:
    put = await client.put("/_sandbox/faults", json=["error:rate=1,status=503,paths=/k/v1/app.json,max_count=1"])
    assert put.status_code == 200
    first = await client.get("/k/v1/app.json", params={"id": 1})
    second = await client.get("/k/v1/app.json", params={"id": 1})
    assert (first.status_code, second.status_code) == (503, 200)
    assert "maintenance" in first.text
    state = (await client.get("/_sandbox/faults")).json()
    assert state["rules"][0]["injected"] == 1
    assert (await client.delete("/_sandbox/faults")).json()["rules"] == []
