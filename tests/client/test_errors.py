"""The error tree: Kintone's error answers (real ones from the sandbox, injected faults, and bodies seen on real
Kintone) become typed exceptions whose text says what to do."""

from __future__ import annotations

import json

import pytest

from kintone_mcp.client import (
    ApiError,
    AuthenticationError,
    ConflictError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
)
from kintone_mcp.client.errors import error_from_response
from kintone_mcp.sandbox import Sandbox, SandboxConfig
from kintone_mcp.sandbox.operations.faults import FaultRule
from kintone_mcp.sandbox.operations.middleware import OperationsConfig

from .conftest import client_for

pytestmark = pytest.mark.anyio


def _body(code: str, message: str = "m", errors: dict[str, object] | None = None) -> bytes:
    body: dict[str, object] = {"code": code, "id": "req-1", "message": message}
    if errors is not None:
        body["errors"] = errors
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (401, "CB_AU01", AuthenticationError),
        (401, "CB_WA01", AuthenticationError),
        (400, "GAIA_IA02", AuthenticationError),
        (520, "GAIA_IA02", AuthenticationError),
        (403, "CB_NO02", PermissionDeniedError),
        (403, "GAIA_NO01", PermissionDeniedError),
        (404, "GAIA_AP01", NotFoundError),
        (404, "GAIA_RE01", NotFoundError),
        (400, "GAIA_RE02", NotFoundError),
        (400, "GAIA_RE20", NotFoundError),
        (400, "CB_VA01", ValidationError),
        (400, "GAIA_IQ11", ValidationError),
        (409, "GAIA_CO02", ConflictError),
        (429, "GAIA_TO04", RateLimitError),
        (400, "GAIA_TM12", RateLimitError),
        (500, "CB_IL02", ServerError),
        (520, "GAIA_XX99", ServerError),
        (418, "", ValidationError),
    ],
)
def test_status_and_code_pick_the_class(status: int, code: str, cls: type[ApiError]) -> None:
    error = error_from_response(status, _body(code), "application/json", method="GET", path="/k/v1/x.json")
    assert type(error) is cls
    assert (error.status, error.code, error.request_id) == (status, code, "req-1")
    assert f"HTTP {status}" in str(error) and "GET /k/v1/x.json" in str(error)


def test_validation_errors_keep_per_field_details() -> None:
    body = _body(
        "CB_VA01",
        "Missing or invalid input.",
        {"record.title.value": {"messages": ["Required."]}, "record.amount.value": {"messages": ["Only numbers."]}},
    )
    error = error_from_response(400, body, "application/json; charset=utf-8")
    assert isinstance(error, ValidationError)
    assert error.field_errors == {"record.title.value": ["Required."], "record.amount.value": ["Only numbers."]}
    assert "record.title.value: Required." in str(error)


def test_retryable_classes() -> None:
    assert error_from_response(429, _body("GAIA_TO04"), "application/json").retryable
    assert error_from_response(503, b"<html>maintenance</html>", "text/html").retryable
    lock = error_from_response(409, _body("GAIA_RE18"), "application/json")
    assert isinstance(lock, ConflictError) and lock.retryable
    assert not error_from_response(400, _body("CB_VA01"), "application/json").retryable


def test_html_error_pages_are_read_not_parsed() -> None:
    page = b"<html><head><title>503</title></head><body><h1>Service Unavailable</h1> maintenance</body></html>"
    error = error_from_response(503, page, "text/html")
    assert isinstance(error, ServerError)
    assert error.code == ""
    assert "Service Unavailable" in str(error) and "maintenance" in str(error).lower()
    assert "<h1>" not in str(error)


def test_bulk_request_failure_names_the_failing_request() -> None:
    body = {"results": [{}, {"code": "CB_VA01", "id": "x", "message": "bad", "errors": {"records[3].a.value": {}}}]}
    error = error_from_response(400, json.dumps(body).encode(), "application/json", path="/k/v1/bulkRequest.json")
    assert isinstance(error, ValidationError)
    assert error.bulk_index == 1
    assert "request #1" in str(error)


# --- through the sandbox -------------------------------------------------------------------------------------


def _faulty(*rules: FaultRule) -> Sandbox:
    return Sandbox(SandboxConfig(demo=True, operations=OperationsConfig(faults=list(rules))))


async def test_gateway_page_from_the_server() -> None:
    sb = _faulty(FaultRule("error", status=502))
    async with client_for(sb) as client:
        with pytest.raises(ServerError) as info:
            await client.get_app(1)
    assert info.value.status == 502
    assert "maintenance" in str(info.value) or "gateway" in str(info.value)


async def test_rate_limit_from_the_server() -> None:
    sb = _faulty(FaultRule("error", status=429, code="GAIA_TO04", message="Too many concurrent requests."))
    async with client_for(sb) as client:
        with pytest.raises(RateLimitError) as info:
            await client.get_app(1)
    assert info.value.retryable and "retry" in str(info.value).lower()


async def test_dropped_connection_is_a_network_error() -> None:
    sb = _faulty(FaultRule("drop"))
    async with client_for(sb) as client:
        with pytest.raises(NetworkError, match="Could not reach Kintone"):
            await client.get_app(1)


async def test_malformed_success_body_is_a_server_error() -> None:
    sb = _faulty(FaultRule("malformed"))
    async with client_for(sb) as client:
        with pytest.raises(ServerError, match="not JSON"):
            await client.get_app(1)


async def test_real_not_found_from_the_sandbox(shared_sandbox: Sandbox) -> None:
    async with client_for(shared_sandbox) as client:
        with pytest.raises(NotFoundError) as info:
            await client.get_layout(4242)
    assert info.value.code == "GAIA_AP01" and "4242" in info.value.message
