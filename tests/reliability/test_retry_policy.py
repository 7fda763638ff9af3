"""The retry decision on its own: backoff bounds, Retry-After, the deadline, and how each failure is classified."""

from __future__ import annotations

import random
import ssl
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx2
import pytest

from kintone_mcp.client import BackoffRetry, Delivery, Failure, NetworkError, NoRetry
from kintone_mcp.client.errors import error_from_response
from kintone_mcp.client.retry import (
    MAX_RETRY_AFTER,
    delivery_of_exception,
    failure_of_answer,
    is_data_write,
    retry_after_seconds,
    write_check,
)


def _answer(status: int, code: str = "", **headers: str) -> Failure:
    body = f'{{"code":"{code}","id":"x","message":"m"}}'.encode() if code else b"<html>gateway</html>"
    error = error_from_response(status, body, "application/json" if code else "text/html")
    return failure_of_answer(error, httpx2.Headers(headers))


def _network() -> Failure:
    return Failure(NetworkError("no answer"), Delivery.UNKNOWN, transient=True)


def test_backoff_grows_exponentially_with_jitter_inside_its_bounds() -> None:
    policy = BackoffRetry(retries=6, base_delay=0.5, max_delay=8.0, total_timeout=None, rng=random.Random(1))
    for attempt in range(1, 7):
        ceiling = min(8.0, 0.5 * 2 ** (attempt - 1))
        delays = [policy.delay_before_retry(attempt, 0.0, _network()) for _ in range(200)]
        assert all(d is not None and ceiling / 2 <= d <= ceiling for d in delays), (attempt, ceiling)
        assert len({round(d or 0, 6) for d in delays}) > 150  # jittered, not a fixed schedule
    assert policy.ceiling(6) == 8.0  # capped


def test_the_number_of_retries_is_bounded() -> None:
    policy = BackoffRetry(retries=2, base_delay=0.01, max_delay=0.01, total_timeout=None)
    assert policy.delay_before_retry(1, 0.0, _network()) is not None
    assert policy.delay_before_retry(2, 0.0, _network()) is not None
    assert policy.delay_before_retry(3, 0.0, _network()) is None
    assert BackoffRetry(retries=0).delay_before_retry(1, 0.0, _network()) is None
    assert NoRetry().delay_before_retry(1, 0.0, _network()) is None


def test_a_wait_that_would_end_past_the_deadline_is_not_started() -> None:
    policy = BackoffRetry(retries=10, base_delay=1.0, max_delay=1.0, total_timeout=5.0, rng=random.Random(2))
    assert policy.delay_before_retry(1, 3.0, _network()) is not None  # 3 + <=1 < 5
    assert policy.delay_before_retry(1, 4.5, _network()) is None  # 4.5 + >=0.5 reaches 5


def test_retry_after_is_a_floor_and_a_long_one_ends_the_call() -> None:
    policy = BackoffRetry(retries=3, base_delay=0.01, max_delay=0.02, total_timeout=None)
    asked = _answer(429, "GAIA_TO04", **{"retry-after": "3"})
    assert asked.retry_after == 3.0
    assert policy.delay_before_retry(1, 0.0, asked) == 3.0
    too_long = _answer(503, **{"retry-after": str(int(MAX_RETRY_AFTER) + 1)})
    assert policy.delay_before_retry(1, 0.0, too_long) is None
    # ...and a deadline shorter than the wait asked for ends it too.
    assert BackoffRetry(retries=3, total_timeout=2.0).delay_before_retry(1, 0.0, asked) is None


def test_retry_after_as_an_http_date() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    seconds = retry_after_seconds(httpx2.Headers({"retry-after": later}))
    assert seconds is not None and 25 <= seconds <= 30
    assert retry_after_seconds(httpx2.Headers({"retry-after": "soon"})) is None
    assert retry_after_seconds(httpx2.Headers({})) is None


def test_a_saturated_domain_doubles_the_backoff_ceiling() -> None:
    policy = BackoffRetry(retries=3, base_delay=0.5, max_delay=8.0, total_timeout=None)
    full = _answer(429, "GAIA_TO04", **{"x-concurrencylimit-limit": "100", "x-concurrencylimit-running": "100"})
    assert full.saturated and not _answer(429, "GAIA_TO04").saturated
    assert policy.ceiling(1, saturated=True) == 1.0 == 2 * policy.ceiling(1)


@pytest.mark.parametrize(
    ("status", "code", "delivery", "transient"),
    [
        (429, "GAIA_TO04", Delivery.NOT_SENT, True),  # refused on arrival, before anything is done
        (502, "", Delivery.UNKNOWN, True),
        (503, "", Delivery.UNKNOWN, True),
        (504, "", Delivery.UNKNOWN, True),
        (520, "GAIA_XX01", Delivery.UNKNOWN, True),
        (520, "GAIA_DA02", Delivery.UNKNOWN, True),
        (409, "GAIA_LT01", Delivery.UNKNOWN, True),
        (400, "GAIA_RE18", Delivery.UNKNOWN, True),
        (500, "CB_IL02", Delivery.UNKNOWN, False),  # Kintone's own bug: it would fail again
        (400, "GAIA_TM12", Delivery.REJECTED, False),  # cursors free up after minutes, not milliseconds
        (400, "CB_VA01", Delivery.REJECTED, False),
        (401, "CB_WA01", Delivery.REJECTED, False),
        (403, "CB_NO02", Delivery.REJECTED, False),
        (404, "GAIA_RE01", Delivery.REJECTED, False),
        (409, "GAIA_CO02", Delivery.REJECTED, False),
    ],
)
def test_answers_are_classified(status: int, code: str, delivery: Delivery, transient: bool) -> None:
    failure = _answer(status, code)
    assert (failure.delivery, failure.transient) == (delivery, transient)


def test_transport_failures_are_classified() -> None:
    request = httpx2.Request("POST", "https://example.cybozu.com/k/v1/record.json")
    refused = httpx2.ConnectError("refused", request=request)
    assert delivery_of_exception(refused) == (Delivery.NOT_SENT, True)
    assert delivery_of_exception(httpx2.PoolTimeout("pool", request=request)) == (Delivery.NOT_SENT, True)
    assert delivery_of_exception(httpx2.ConnectTimeout("slow", request=request)) == (Delivery.NOT_SENT, True)
    for unknown in (httpx2.ReadTimeout, httpx2.WriteTimeout, httpx2.RemoteProtocolError, httpx2.ReadError):
        assert delivery_of_exception(unknown("x", request=request)) == (Delivery.UNKNOWN, True), unknown
    bad_certificate = httpx2.ConnectError("certificate verify failed", request=request)
    bad_certificate.__cause__ = ssl.SSLCertVerificationError("CERTIFICATE_VERIFY_FAILED")
    assert delivery_of_exception(bad_certificate) == (Delivery.NOT_SENT, False)


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    [
        ("POST", "/k/v1/record.json", "add"),
        ("POST", "/k/guest/5/v1/records.json", "add"),
        ("PUT", "/k/v1/record.json", "update"),
        ("PUT", "/k/v1/records.json", "update"),
        ("DELETE", "/k/v1/records.json", "delete"),
        ("PUT", "/k/v1/record/status.json", "status"),
        ("PUT", "/k/v1/records/status.json", "status"),
        ("PUT", "/k/v1/record/assignees.json", "assignees"),
        ("POST", "/k/v1/record/comment.json", "comment"),
        ("DELETE", "/k/v1/record/comment.json", "delete_comment"),
        ("POST", "/k/v1/bulkRequest.json", "bulk"),
        ("PUT", "/k/v1/preview/app/settings.json", "write"),
    ],
)
def test_each_write_says_what_to_check(method: str, path: str, operation: str) -> None:
    assert write_check(method, path)[0] == operation
    assert write_check(method, path)[1].endswith(".")
    assert is_data_write(method, path)


def test_what_is_not_a_data_write() -> None:
    assert not is_data_write("GET", "/k/v1/records.json")
    assert not is_data_write("POST", "/k/v1/file.json")  # an unattached upload is discarded by Kintone
    assert not is_data_write("POST", "/k/v1/records/cursor.json")
    assert not is_data_write("DELETE", "/k/v1/records/cursor.json")
