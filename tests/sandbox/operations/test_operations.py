"""The operations middleware around a tiny app: concurrency limit and its headers, method override, admin endpoints."""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from kintone_mcp.sandbox.operations.faults import FaultRule
from kintone_mcp.sandbox.operations.middleware import (
    OperationsConfig,
    OperationsMiddleware,
    add_operations_arguments,
    operations_config_from_args,
    wrap,
)

pytestmark = pytest.mark.anyio


class SlowApp:
    """``/k/v1/slow.json`` waits until the test releases it, so a test can hold exactly N requests in flight.
    ``/k/v1/echo.json`` reports the method and parameters it was served with."""

    def __init__(self) -> None:
        self.inside = 0
        self.release = anyio.Event()
        self.changed = anyio.Event()
        self.echoed: list[dict[str, Any]] = []

        async def slow(request: Request) -> JSONResponse:
            self.inside += 1
            changed, self.changed = self.changed, anyio.Event()
            changed.set()
            await self.release.wait()
            return JSONResponse({"ok": True})

        async def echo(request: Request) -> JSONResponse:
            body = await request.body()
            seen = {
                "method": request.method,
                "query": dict(request.query_params),
                "json": json.loads(body) if body else None,
            }
            self.echoed.append(seen)
            return JSONResponse(seen)

        async def stream(request: Request) -> StreamingResponse:
            async def chunks() -> AsyncIterator[bytes]:
                for i in range(3):
                    yield f"chunk{i};".encode()

            return StreamingResponse(chunks(), media_type="text/plain")

        self.app = Starlette(
            routes=[
                Route("/k/v1/slow.json", slow),
                Route("/k/v1/echo.json", echo, methods=["GET", "POST", "PUT", "DELETE"]),
                Route("/k/v1/stream.txt", stream),
                Route("/_sandbox/reset", echo, methods=["POST"]),
            ]
        )

    async def wait_inside(self, n: int) -> None:
        while self.inside < n:
            await self.changed.wait()


def client_for(app: Any, client_addr: tuple[str, int] = ("127.0.0.1", 50000)) -> httpx2.AsyncClient:
    transport = httpx2.ASGITransport(app=app, client=client_addr)
    return httpx2.AsyncClient(transport=transport, base_url="http://sandbox.test")


@pytest.fixture
def slow() -> SlowApp:
    return SlowApp()


# -- concurrency limit -------------------------------------------------------------------------------------------------


async def hold(client: httpx2.AsyncClient, app: SlowApp, n: int, results: list[httpx2.Response], tg: Any) -> None:
    """Starts n slow requests and returns once all n are inside the app."""

    async def one() -> None:
        results.append(await client.get("/k/v1/slow.json"))

    for _ in range(n):
        tg.start_soon(one)
    with anyio.fail_after(5):
        await app.wait_inside(n)


async def test_one_request_over_the_limit_gets_429(slow: SlowApp) -> None:
    ops = wrap(slow.app, OperationsConfig(concurrency_limit=3))
    held: list[httpx2.Response] = []
    async with client_for(ops) as client, anyio.create_task_group() as tg:
        await hold(client, slow, 3, held, tg)
        assert ops.concurrency.running == 3
        over = await client.get("/k/v1/echo.json")
        assert over.status_code == 429
        body = over.json()
        assert body["code"] == "GAIA_TO04"
        assert body["message"] == "The number of concurrent requests exceeded the limit (3). Wait a moment and retry."
        assert len(body["id"]) == 20
        assert over.headers["x-cybozu-error"] == "GAIA_TO04"
        assert over.headers["x-concurrencylimit-limit"] == "3"
        assert over.headers["x-concurrencylimit-running"] == "3"
        assert slow.echoed == []  # the rejected request never reached the app
        slow.release.set()
    assert [r.status_code for r in held] == [200, 200, 200]
    for response in held:
        assert response.headers["x-concurrencylimit-limit"] == "3"
        assert 1 <= int(response.headers["x-concurrencylimit-running"]) <= 3
    assert ops.concurrency.running == 0
    # A slot frees as soon as a request finishes.
    async with client_for(ops) as client:
        again = await client.get("/k/v1/echo.json")
    assert again.status_code == 200
    assert again.headers["x-concurrencylimit-running"] == "1"


async def test_limit_exactly_reached_is_still_served(slow: SlowApp) -> None:
    ops = wrap(slow.app, OperationsConfig(concurrency_limit=3))
    held: list[httpx2.Response] = []
    async with client_for(ops) as client, anyio.create_task_group() as tg:
        await hold(client, slow, 2, held, tg)
        third = await client.get("/k/v1/echo.json")  # the 3rd in flight: allowed
        assert third.status_code == 200
        assert third.headers["x-concurrencylimit-running"] == "3"
        slow.release.set()


async def test_429_message_is_japanese_when_asked(slow: SlowApp) -> None:
    ops = wrap(slow.app, OperationsConfig(concurrency_limit=1))
    held: list[httpx2.Response] = []
    async with client_for(ops) as client, anyio.create_task_group() as tg:
        await hold(client, slow, 1, held, tg)
        over = await client.get("/k/v1/echo.json", headers={"Accept-Language": "ja-JP,ja;q=0.9,en;q=0.8"})
        assert over.json()["message"] == (
            "同時リクエスト数が上限（1）を超えました。しばらく待ってから再実行してください。"
        )
        slow.release.set()


async def test_admin_endpoints_bypass_the_limit(slow: SlowApp) -> None:
    ops = wrap(slow.app, OperationsConfig(concurrency_limit=2))
    held: list[httpx2.Response] = []
    async with client_for(ops) as client, anyio.create_task_group() as tg:
        await hold(client, slow, 2, held, tg)
        health = await client.get("/_sandbox/health")
        assert health.status_code == 200
        assert health.json()["concurrency"] == {"limit": 2, "running": 2}
        assert "x-concurrencylimit-limit" not in health.headers
        # Other /_sandbox/ paths belong to the app and are exempt too.
        assert (await client.post("/_sandbox/reset")).status_code == 200
        slow.release.set()


async def test_default_limit_is_100_and_headers_are_on_every_response(slow: SlowApp) -> None:
    ops = wrap(slow.app, OperationsConfig())
    async with client_for(ops) as client:
        for response in (
            await client.get("/k/v1/echo.json"),
            await client.get("/k/v1/missing.json"),  # the app's own 404
            await client.post("/k/v1/echo.json", headers={"X-HTTP-Method-Override": "PUT"}),  # our 400
        ):
            assert response.headers["x-concurrencylimit-limit"] == "100"
            assert response.headers["x-concurrencylimit-running"] == "1"
    assert ops.concurrency.running == 0


async def test_streamed_responses_pass_through(slow: SlowApp) -> None:
    ops = wrap(slow.app, OperationsConfig())
    async with client_for(ops) as client:
        response = await client.get("/k/v1/stream.txt")
    assert response.text == "chunk0;chunk1;chunk2;"
    assert response.headers["x-concurrencylimit-limit"] == "100"


async def test_slot_is_released_when_the_app_fails(slow: SlowApp) -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    ops = wrap(broken, OperationsConfig(concurrency_limit=1))
    async with client_for(ops) as client:
        for _ in range(2):
            with pytest.raises(RuntimeError, match="boom"):
                await client.get("/k/v1/echo.json")
    assert ops.concurrency.running == 0


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="concurrency_limit must be 1 or more"):
        wrap(SlowApp().app, OperationsConfig(concurrency_limit=0))


# -- method override ---------------------------------------------------------------------------------------------------


async def test_post_with_override_get_is_served_as_get(slow: SlowApp) -> None:
    ops = wrap(slow.app, OperationsConfig())
    async with client_for(ops) as client:
        response = await client.post(
            "/k/v1/echo.json?app=3",
            headers={"X-HTTP-Method-Override": "GET"},
            json={"app": 3, "query": 'title in ("a", "b") limit 500'},
        )
        lower = await client.post("/k/v1/echo.json", headers={"X-HTTP-Method-Override": "get"}, json={"app": 1})
    assert response.status_code == 200
    assert response.json() == {
        "method": "GET",
        "query": {"app": "3"},
        "json": {"app": 3, "query": 'title in ("a", "b") limit 500'},
    }
    assert lower.json()["method"] == "GET"


async def test_plain_requests_are_untouched(slow: SlowApp) -> None:
    ops = wrap(slow.app, OperationsConfig())
    async with client_for(ops) as client:
        post = await client.post("/k/v1/echo.json", json={"x": 1})
        same = await client.get("/k/v1/echo.json", headers={"X-HTTP-Method-Override": "GET"})
    assert post.json()["method"] == "POST"
    assert same.status_code == 200 and same.json()["method"] == "GET"


@pytest.mark.parametrize(
    ("method", "override"),
    [("POST", "PUT"), ("POST", "DELETE"), ("POST", "PATCH"), ("PUT", "GET"), ("DELETE", "GET"), ("GET", "POST")],
)
async def test_only_get_may_be_overridden(slow: SlowApp, method: str, override: str) -> None:
    ops = wrap(slow.app, OperationsConfig())
    async with client_for(ops) as client:
        response = await client.request(
            method, "/k/v1/echo.json", headers={"X-HTTP-Method-Override": override}, json={"app": 1}
        )
        japanese = await client.request(
            method, "/k/v1/echo.json", headers={"X-HTTP-Method-Override": override, "Accept-Language": "ja"}
        )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "CB_VA01"
    assert body["message"] == "Missing or invalid input."
    assert body["errors"] == {
        "X-HTTP-Method-Override": {
            "messages": ["Only GET can be requested through X-HTTP-Method-Override, and only on a POST request."]
        }
    }
    assert response.headers["x-cybozu-error"] == "CB_VA01"
    assert japanese.json()["message"] == "入力内容が正しくありません。"
    assert slow.echoed == []


# -- admin endpoints ---------------------------------------------------------------------------------------------------


async def test_faults_admin_get_put_delete(slow: SlowApp) -> None:
    ops = wrap(slow.app, OperationsConfig(seed=99, faults=[FaultRule("error", status=503, max_count=1)]))
    async with client_for(ops) as client:
        initial = (await client.get("/_sandbox/faults")).json()
        assert initial == {
            "seed": 99,
            "injected": 0,
            "rules": [
                {
                    "kind": "error",
                    "rate": 1.0,
                    "max_count": 1,
                    "after_commit": False,
                    "status": 503,
                    "code": None,
                    "matched": 0,
                    "injected": 0,
                }
            ],
        }
        assert (await client.get("/k/v1/echo.json")).status_code == 503
        assert (await client.get("/_sandbox/faults")).json()["rules"][0]["injected"] == 1

        new_rules = [
            "latency:rate=1,ms=1-2,paths=/k/v1/echo.json",
            {"kind": "error", "rate": 1, "status": 520, "code": "GAIA_DA02", "methods": ["POST"], "after_commit": True},
        ]
        put = await client.put("/_sandbox/faults", json=new_rules)
        assert put.status_code == 200
        state = put.json()
        assert state["seed"] == 99
        assert [r["kind"] for r in state["rules"]] == ["latency", "error"]
        assert state["rules"][0]["ms"] == [1, 2] and state["rules"][0]["paths"] == ["/k/v1/echo.json"]
        assert state["rules"][1]["after_commit"] is True

        posted = await client.post("/k/v1/echo.json", json={"write": 1})
        assert posted.status_code == 520 and posted.json()["code"] == "GAIA_DA02"
        assert slow.echoed[-1]["json"] == {"write": 1}  # after_commit: the app saw the write
        counted = (await client.get("/_sandbox/faults")).json()
        assert [(r["matched"], r["injected"]) for r in counted["rules"]] == [(1, 1), (1, 1)]
        assert counted["injected"] == 2

        reseeded = await client.put("/_sandbox/faults", json={"rules": ["drop:rate=0.5"], "seed": 5})
        assert reseeded.json()["seed"] == 5 and ops.faults.seed == 5

        cleared = await client.delete("/_sandbox/faults")
        assert cleared.json() == {"seed": 5, "rules": [], "injected": 0}
        assert (await client.post("/k/v1/echo.json", json={})).status_code == 200


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"not json", "the body must be JSON"),
        (b'{"kind": "error"}', "expected a JSON list"),
        (b'[{"kind": "explode"}]', "rule 0: unknown fault kind 'explode'"),
        (b'[{"kind": "drop"}, "latency:rate=2,ms=5"]', "rule 1: invalid fault spec"),
        (b'[{"kind": "latency", "rate": 1, "status": 500}]', "status cannot be used with a latency fault"),
        (b'{"rules": [], "sed": 1}', "unknown keys ['sed']"),
        (b'{"rules": [], "seed": "x"}', "seed must be a whole number"),
    ],
)
async def test_faults_admin_rejects_bad_rules_clearly(slow: SlowApp, body: bytes, needle: str) -> None:
    ops = wrap(slow.app, OperationsConfig(faults=[FaultRule("drop", rate=0)]))
    async with client_for(ops) as client:
        response = await client.put("/_sandbox/faults", content=body)
    assert response.status_code == 400
    assert needle in response.json()["error"]
    assert len(ops.faults.rules) == 1  # nothing replaced


async def test_admin_methods_and_health(slow: SlowApp) -> None:
    ops = wrap(slow.app, OperationsConfig(concurrency_limit=7))
    async with client_for(ops) as client:
        health = await client.get("/_sandbox/health")
        assert health.json() == {
            "status": "ok",
            "concurrency": {"limit": 7, "running": 0},
            "faults": {"rules": 0, "injected": 0},
        }
        refused = await client.post("/_sandbox/faults", json=[])
        assert refused.status_code == 405 and refused.headers["allow"] == "GET, PUT, DELETE"
        assert (await client.delete("/_sandbox/health")).status_code == 405


@pytest.mark.parametrize("address", ["10.0.0.5", "192.168.1.20", "2001:db8::1"])
async def test_admin_answers_loopback_only(slow: SlowApp, address: str) -> None:
    ops = wrap(slow.app, OperationsConfig())
    async with client_for(ops, (address, 40000)) as remote:
        response = await remote.put("/_sandbox/faults", json=["drop"])
        assert response.status_code == 403
        assert "loopback" in response.json()["error"]
        assert (await remote.get("/_sandbox/health")).status_code == 403
        assert (await remote.get("/k/v1/echo.json")).status_code == 200  # the API itself is open to anyone
    assert ops.faults.rules == []


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.1", "::1"])
async def test_loopback_addresses_are_admitted(slow: SlowApp, address: str) -> None:
    ops = wrap(slow.app, OperationsConfig())
    async with client_for(ops, (address, 40000)) as local:
        assert (await local.get("/_sandbox/health")).status_code == 200


async def test_loopback_check_can_be_turned_off(slow: SlowApp) -> None:
    ops = wrap(slow.app, OperationsConfig(admin_loopback_only=False))
    async with client_for(ops, ("10.0.0.5", 40000)) as remote:
        assert (await remote.get("/_sandbox/health")).status_code == 200


async def test_non_http_scopes_pass_through() -> None:
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    ops: OperationsMiddleware = wrap(app, OperationsConfig())
    await ops({"type": "lifespan"}, None, None)  # type: ignore[arg-type]
    assert seen == ["lifespan"]


# -- command-line options ----------------------------------------------------------------------------------------------


def cli_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kintone-mcp sandbox", exit_on_error=False)
    add_operations_arguments(parser)
    return parser


def test_cli_options_build_the_config() -> None:
    args = cli_parser().parse_args(
        ["--concurrency-limit", "5", "--fault", "latency:ms=50-200", "--fault", "drop:rate=0.05", "--fault-seed", "9"]
    )
    config = operations_config_from_args(args)
    assert config.concurrency_limit == 5 and config.seed == 9
    assert config.faults == [FaultRule("latency", ms=(50, 200)), FaultRule("drop", rate=0.05)]
    defaults = operations_config_from_args(cli_parser().parse_args([]))
    assert (defaults.concurrency_limit, defaults.faults, defaults.seed) == (100, [], None)


def test_cli_shows_the_spec_error_itself(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="kintone-mcp sandbox")
    add_operations_arguments(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(["--fault", "latency:status=503"])
    err = capsys.readouterr().err
    expected = "argument --fault: invalid fault spec 'latency:status=503': status cannot be used with a latency fault"
    assert expected in err
    assert "invalid parse_fault_spec value" not in err


def test_cli_rejects_a_zero_limit() -> None:
    with pytest.raises(argparse.ArgumentError, match="argument --concurrency-limit: must be 1 or more, got 0"):
        cli_parser().parse_args(["--concurrency-limit", "0"])
