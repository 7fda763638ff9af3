"""Fault injection through the operations middleware, around a tiny Kintone-like app that writes to a dict.

Every HTTP-level test runs twice: in process (httpx2.ASGITransport) and over a real loopback socket (uvicorn), because
drops and truncation are made differently in the two and must look the same to an httpx2 client.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import httpx2
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from kintone_mcp.sandbox.operations.faults import FaultRule
from kintone_mcp.sandbox.operations.middleware import OperationsConfig, OperationsMiddleware, wrap

pytestmark = pytest.mark.anyio

RECORDS = "/k/v1/records.json"
RECORD = "/k/v1/record.json"


class TinyKintone:
    """Just enough of Kintone to tell whether a write reached the app: POST record.json stores, records.json lists."""

    def __init__(self) -> None:
        self.records: dict[int, dict[str, Any]] = {}
        self.calls = 0

        async def add(request: Request) -> JSONResponse:
            self.calls += 1
            body = await request.json()
            new_id = len(self.records) + 1
            self.records[new_id] = body["record"]
            return JSONResponse({"id": str(new_id), "revision": "1"})

        async def get_one(request: Request) -> JSONResponse:
            self.calls += 1
            return JSONResponse({"record": self.records[int(request.query_params["id"])]})

        async def list_records(request: Request) -> JSONResponse:
            self.calls += 1
            rows = [{"$id": {"type": "__ID__", "value": str(i)}, **r} for i, r in sorted(self.records.items())]
            return JSONResponse({"records": rows, "totalCount": str(len(rows))})

        self.app = Starlette(
            routes=[
                Route(RECORD, add, methods=["POST"]),
                Route(RECORD, get_one, methods=["GET"]),
                Route(RECORDS, list_records, methods=["GET"]),
                Route("/k/guest/{space:int}/v1/records.json", list_records, methods=["GET"]),
            ]
        )


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """uvicorn on a free loopback port in a thread, logging through the root logger (so caplog sees its errors)."""
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and without it
    # every response (headers and body written separately) waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_config=None, lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.005)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def tiny() -> TinyKintone:
    return TinyKintone()


@pytest.fixture
def ops(tiny: TinyKintone) -> OperationsMiddleware:
    return wrap(tiny.app, OperationsConfig(seed=1234))


class Switch:
    """One uvicorn per module (starting and stopping it costs ~0.2 s) serving whichever app the current test sets.
    It passes uvicorn's own send/receive through untouched, which the middleware needs to close connections."""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def shared_server() -> Iterator[tuple[str, Switch]]:
    switch = Switch()
    with serve(switch) as url:
        yield url, switch


@pytest.fixture(params=["asgi", pytest.param("socket", marks=pytest.mark.socket)])
def base_url(request: pytest.FixtureRequest, ops: OperationsMiddleware) -> Iterator[str | None]:
    if request.param == "asgi":
        yield None
    else:
        url, switch = request.getfixturevalue("shared_server")
        switch.app = ops
        yield url
        switch.app = None


@pytest.fixture
async def client(base_url: str | None, ops: OperationsMiddleware) -> AsyncIterator[httpx2.AsyncClient]:
    if base_url is None:
        transport: httpx2.AsyncBaseTransport = httpx2.ASGITransport(app=ops)
        async with httpx2.AsyncClient(transport=transport, base_url="http://sandbox.test") as c:
            yield c
    else:
        async with httpx2.AsyncClient(base_url=base_url) as c:
            yield c


def add(client: httpx2.AsyncClient, title: str) -> Any:
    return client.post(RECORD, json={"app": 1, "record": {"title": {"value": title}}})


def faults(ops: OperationsMiddleware, *rules: FaultRule) -> None:
    ops.faults.replace(rules)


# -- error -------------------------------------------------------------------------------------------------------------


async def test_error_before_commit_never_reaches_the_app(
    client: httpx2.AsyncClient, ops: OperationsMiddleware, tiny: TinyKintone
) -> None:
    faults(ops, FaultRule("error", status=520, code="GAIA_DA02"))
    response = await add(client, "lost")
    assert response.status_code == 520
    body = response.json()
    assert body["code"] == "GAIA_DA02"
    assert body["message"] == "The data is locked by another operation. Wait a moment and retry."
    assert len(body["id"]) == 20
    assert response.headers["x-cybozu-error"] == "GAIA_DA02"
    assert response.headers["x-concurrencylimit-limit"] == "100"
    assert tiny.records == {} and tiny.calls == 0
    assert ops.faults.injected() == [1]


async def test_error_after_commit_keeps_the_write(
    client: httpx2.AsyncClient, ops: OperationsMiddleware, tiny: TinyKintone
) -> None:
    faults(ops, FaultRule("error", status=520, code="GAIA_DA02", after_commit=True))
    response = await add(client, "kept")
    assert response.status_code == 520 and response.json()["code"] == "GAIA_DA02"
    assert tiny.records == {1: {"title": {"value": "kept"}}}


async def test_error_message_is_localised(client: httpx2.AsyncClient, ops: OperationsMiddleware) -> None:
    faults(ops, FaultRule("error", status=429, code="GAIA_TO04", retry_after=3))
    response = await client.get(RECORDS, headers={"Accept-Language": "en;q=0.2, ja"})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"
    assert response.json()["message"] == (
        "同時リクエスト数が上限（100）を超えました。しばらく待ってから再実行してください。"
    )


async def test_custom_message_and_unknown_code(client: httpx2.AsyncClient, ops: OperationsMiddleware) -> None:
    faults(
        ops, FaultRule("error", status=500, code="GAIA_ZZ01", max_count=1), FaultRule("error", code="X", message="m")
    )
    first = await client.get(RECORDS)
    assert first.json()["message"] == "An unexpected error occurred. Retry the request."
    second = await client.get(RECORDS)
    assert (second.status_code, second.json()["code"], second.json()["message"]) == (500, "X", "m")


@pytest.mark.parametrize(
    ("status", "content_type", "needle"),
    [
        (503, "text/html", "maintenance"),
        (502, "text/html", "502 Bad Gateway"),
        (504, "text/html", "504 Gateway Timeout"),
        (500, "text/plain", "500 Internal Server Error"),
        (520, "text/plain", "520 Unknown Error"),
    ],
)
async def test_error_without_code_is_not_json(
    client: httpx2.AsyncClient, ops: OperationsMiddleware, status: int, content_type: str, needle: str
) -> None:
    faults(ops, FaultRule("error", status=status))
    response = await client.get(RECORDS)
    assert response.status_code == status
    assert response.headers["content-type"].startswith(content_type)
    assert needle in response.text
    assert "x-cybozu-error" not in response.headers
    with pytest.raises(json.JSONDecodeError):
        response.json()


# -- drop and truncate -------------------------------------------------------------------------------------------------


async def test_drop_before_commit_is_a_transport_error(
    client: httpx2.AsyncClient, ops: OperationsMiddleware, tiny: TinyKintone, caplog: pytest.LogCaptureFixture
) -> None:
    faults(ops, FaultRule("drop", max_count=1))
    with caplog.at_level(logging.WARNING), pytest.raises(httpx2.RemoteProtocolError) as caught:
        await add(client, "never")
    assert isinstance(caught.value, httpx2.TransportError)
    assert "without sending a response" in str(caught.value)
    assert caught.value.request.url.path == RECORD  # httpx2 attached the request, as for a real network error
    assert tiny.records == {}
    # The server survives and nobody logged an application error (uvicorn would on an escaped exception).
    assert (await client.get(RECORDS)).status_code == 200
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_drop_after_commit_keeps_the_write(
    client: httpx2.AsyncClient, ops: OperationsMiddleware, tiny: TinyKintone
) -> None:
    faults(ops, FaultRule("drop", after_commit=True, max_count=1))
    with pytest.raises(httpx2.RemoteProtocolError):
        await add(client, "server did it")
    assert tiny.records == {1: {"title": {"value": "server did it"}}}
    listed = (await client.get(RECORDS)).json()
    assert listed["totalCount"] == "1"


async def test_truncate_sends_part_of_the_body_then_closes(
    client: httpx2.AsyncClient, ops: OperationsMiddleware, tiny: TinyKintone, caplog: pytest.LogCaptureFixture
) -> None:
    for i in range(20):
        await add(client, f"row {i}")
    full = (await client.get(RECORDS)).content
    faults(ops, FaultRule("truncate", keep=0.25, max_count=1))
    with caplog.at_level(logging.WARNING), pytest.raises(httpx2.RemoteProtocolError) as caught:
        await client.get(RECORDS)
    assert "complete message body" in str(caught.value)
    assert (await client.get(RECORDS)).content == full
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_truncate_commits_a_write(
    client: httpx2.AsyncClient, ops: OperationsMiddleware, tiny: TinyKintone
) -> None:
    faults(ops, FaultRule("truncate", methods=("POST",)))
    with pytest.raises(httpx2.TransportError):
        await add(client, "written")
    assert tiny.records == {1: {"title": {"value": "written"}}}


async def test_truncate_over_a_socket_shows_headers_first(ops: OperationsMiddleware, tiny: TinyKintone) -> None:
    """Streaming over a socket, the client gets the status and headers, then part of the body, then an error."""
    for i in range(20):
        tiny.records[i + 1] = {"title": {"value": f"row {i}"}}
    faults(ops, FaultRule("truncate", keep=0.5))
    with serve(ops) as url:
        async with httpx2.AsyncClient(base_url=url) as client, client.stream("GET", RECORDS) as response:
            assert response.status_code == 200
            announced = int(response.headers["content-length"])
            received = bytearray()
            with pytest.raises(httpx2.RemoteProtocolError):
                async for chunk in response.aiter_raw():
                    received += chunk
    assert 0 < len(received) == announced // 2


# -- malformed and latency ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("after_commit", [False, True])
async def test_malformed_is_a_200_that_is_not_json(
    client: httpx2.AsyncClient, ops: OperationsMiddleware, tiny: TinyKintone, after_commit: bool
) -> None:
    faults(ops, FaultRule("malformed", after_commit=after_commit))
    response = await add(client, "maybe")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert len(tiny.records) == (1 if after_commit else 0)


async def test_latency_before_and_after_commit(
    client: httpx2.AsyncClient, ops: OperationsMiddleware, tiny: TinyKintone
) -> None:
    faults(ops, FaultRule("latency", ms=(60, 80)))
    started = time.perf_counter()
    assert (await client.get(RECORDS)).status_code == 200
    assert time.perf_counter() - started >= 0.06

    # After commit: the write lands at once, the answer comes later.
    faults(ops, FaultRule("latency", ms=(150, 150), after_commit=True))
    seen_during_delay: list[int] = []

    async def watch() -> None:
        await anyio.sleep(0.08)
        seen_during_delay.append(len(tiny.records))

    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        tg.start_soon(watch)
        response = await add(client, "early")
    assert response.status_code == 200 and response.json()["id"] == "1"
    assert time.perf_counter() - started >= 0.15
    assert seen_during_delay == [1]


async def test_latency_combines_with_a_terminal_fault(client: httpx2.AsyncClient, ops: OperationsMiddleware) -> None:
    faults(ops, FaultRule("latency", ms=(50, 50)), FaultRule("error", status=503))
    started = time.perf_counter()
    response = await client.get(RECORDS)
    assert response.status_code == 503
    assert time.perf_counter() - started >= 0.05
    assert ops.faults.injected() == [1, 1]


# -- which requests a rule hits ----------------------------------------------------------------------------------------


async def test_paths_and_methods_select_requests(
    client: httpx2.AsyncClient, ops: OperationsMiddleware, tiny: TinyKintone
) -> None:
    faults(ops, FaultRule("error", status=503, methods=("POST",), paths=(RECORD,)))
    assert (await client.get(RECORDS)).status_code == 200
    assert (await add(client, "x")).status_code == 503
    faults(ops, FaultRule("error", status=503, paths=("/k/v1/record*.json",), methods=("GET",)))
    assert (await client.get(RECORDS)).status_code == 503
    assert (await add(client, "y")).status_code == 200


async def test_guest_space_paths_match_the_normal_form(client: httpx2.AsyncClient, ops: OperationsMiddleware) -> None:
    faults(ops, FaultRule("error", status=503, paths=(RECORDS,)))
    assert (await client.get("/k/guest/7/v1/records.json")).status_code == 503
    faults(ops, FaultRule("error", status=503, paths=("/k/guest/8/",)))
    assert (await client.get("/k/guest/7/v1/records.json")).status_code == 200
    assert (await client.get("/k/guest/8/v1/records.json")).status_code == 503


async def test_max_count_stops_a_rule(client: httpx2.AsyncClient, ops: OperationsMiddleware) -> None:
    faults(ops, FaultRule("error", status=503, max_count=2))
    statuses = [(await client.get(RECORDS)).status_code for _ in range(4)]
    assert statuses == [503, 503, 200, 200]
    snapshot = ops.faults.snapshot()
    assert snapshot["rules"][0]["injected"] == 2 and snapshot["injected"] == 2


async def test_method_override_is_applied_before_matching(
    client: httpx2.AsyncClient, ops: OperationsMiddleware
) -> None:
    faults(ops, FaultRule("error", status=503, methods=("GET",), paths=(RECORDS,)))
    response = await client.post(RECORDS, headers={"X-HTTP-Method-Override": "GET"}, json={"app": 1})
    assert response.status_code == 503


async def test_admin_endpoints_are_never_faulted(client: httpx2.AsyncClient, ops: OperationsMiddleware) -> None:
    faults(ops, FaultRule("drop"), FaultRule("latency", ms=(5000, 5000)))
    with anyio.fail_after(2):
        health = await client.get("/_sandbox/health")
        listed = await client.get("/_sandbox/faults")
    assert health.status_code == 200 and listed.status_code == 200
    assert ops.faults.injected() == [0, 0]


# -- reproducibility ---------------------------------------------------------------------------------------------------


async def pattern(seed: int, rules: list[FaultRule], n: int = 60) -> list[int]:
    ops = wrap(TinyKintone().app, OperationsConfig(seed=seed, faults=rules))
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=ops), base_url="http://sandbox.test") as client:
        return [(await client.get(RECORDS)).status_code for _ in range(n)]


async def test_same_seed_same_faults() -> None:
    rules = [FaultRule("error", rate=0.3, status=503)]
    first = await pattern(7, rules)
    assert first == await pattern(7, rules)
    assert first != await pattern(8, rules)
    assert 5 <= first.count(503) <= 35  # rate is honoured roughly, not all or nothing


async def test_adding_a_rule_does_not_reshuffle_an_earlier_one() -> None:
    error = FaultRule("error", rate=0.3, status=503)
    alone = await pattern(7, [error])
    with_other = await pattern(7, [error, FaultRule("error", rate=0.5, status=502)])
    assert [s == 503 for s in alone] == [s == 503 for s in with_other]
    assert 502 in with_other


async def test_replacing_rules_restarts_the_streams(client: httpx2.AsyncClient, ops: OperationsMiddleware) -> None:
    rule = FaultRule("error", rate=0.5, status=503)
    faults(ops, rule)
    first = [(await client.get(RECORDS)).status_code for _ in range(20)]
    faults(ops, rule)
    assert [(await client.get(RECORDS)).status_code for _ in range(20)] == first
