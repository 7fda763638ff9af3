"""When a failed request is sent again, and when it must not be.

Three questions decide, in this order:

1. *Could the same request succeed a moment later?* (``Failure.transient``) Yes for 429, 502/503/504, 520, the
   database lock codes (GAIA_DA02, GAIA_LT01, GAIA_RE18), an answer that never came or came cut, and a 2xx whose body
   is not JSON. No for every other 4xx (the request itself is wrong), for a 500 (Kintone's own bug repeats), for TLS
   verification failures and for GAIA_TM12 (cursors free up only after minutes).
2. *Is it safe to send twice?* (the ``idempotent`` flag of each call) A request is idempotent when two copies have
   the effect of one: every GET (also a POST carrying ``X-HTTP-Method-Override: GET``) and writes guarded by a
   revision (a second copy is refused with GAIA_CO02 instead of applied again). Anything else (adds, unguarded
   updates, upserts, status actions, comments) is sent again only when the first copy provably never reached
   Kintone (``Delivery.NOT_SENT``): no connection was made, no pool slot was free, or Kintone answered 429
   GAIA_TO04, which it does before doing anything.
3. *Is there budget left?* The :class:`RetryPolicy` answers: how many attempts, how long to wait (exponential
   backoff with jitter, at least what ``Retry-After`` asks), and a deadline for the whole call.

:class:`~kintone_mcp.client.connection.Connection` asks these questions; this module holds the answers that do
not need the network, so that they can be tested (and replaced) on their own.
"""

from __future__ import annotations

import enum
import random
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol

import httpx2

from kintone_mcp.client.errors import ApiError, KintoneError

#: statuses whose answer means "try again later"
TRANSIENT_STATUSES = frozenset({429, 502, 503, 504, 520})
#: database lock / deadlock answers: the same request may well succeed a moment later
LOCK_CODES = frozenset({"GAIA_DA02", "GAIA_LT01", "GAIA_RE18"})
#: answered before Kintone did anything (the concurrent-request limit)
NOT_PROCESSED_CODES = frozenset({"GAIA_TO04"})
#: never worth a quick retry even though the class says "rate limit": cursors free up after ~10 minutes
SLOW_TO_CLEAR_CODES = frozenset({"GAIA_TM12"})
#: longest Retry-After honoured; a longer one ends the call rather than silently stalling it
MAX_RETRY_AFTER = 60.0

DEFAULT_RETRIES = 3
DEFAULT_BASE_DELAY = 0.5
DEFAULT_MAX_DELAY = 8.0
DEFAULT_TOTAL_TIMEOUT = 120.0


class Delivery(enum.Enum):
    """What a failed attempt tells about whether Kintone processed the request."""

    #: provably not processed: no connection, no free pool slot, or refused by the concurrency limit
    NOT_SENT = "not sent"
    #: Kintone answered that it did not do it (a 4xx other than the lock codes)
    REJECTED = "rejected"
    #: may or may not have been processed: no (complete) answer, a 5xx, a lock error, a timeout
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Failure:
    """One failed attempt, as the retry decision sees it."""

    error: KintoneError
    delivery: Delivery
    transient: bool
    #: seconds Kintone (or a gateway) asked to wait before trying again
    retry_after: float | None = None
    #: the domain reported every concurrent-request slot in use (X-ConcurrencyLimit-Running >= -Limit)
    saturated: bool = False


class RetryPolicy(Protocol):
    """Decides how long to wait before another attempt, or that there is none.

    Only failures that may be repeated reach it (transient, and idempotent or not sent). ``attempt`` is the number
    of the attempt that failed (1-based), ``elapsed`` the seconds since the call began. Return the delay in
    seconds, or None to give up. ``total_timeout`` bounds a whole call, waits and attempts included (None: no
    bound); requests with a streamed body (uploads) are never repeated.
    """

    total_timeout: float | None

    def delay_before_retry(self, attempt: int, elapsed: float, failure: Failure) -> float | None: ...


class NoRetry:
    """Every failure is final (the client's default when built directly; ``build_client`` configures retries)."""

    total_timeout: float | None = None

    def delay_before_retry(self, attempt: int, elapsed: float, failure: Failure) -> float | None:
        return None


@dataclass
class BackoffRetry:
    """Exponential backoff with jitter, a bounded number of retries and a deadline for the whole call.

    The n-th retry waits between half and all of ``min(max_delay, base_delay * 2**(n-1))`` (the random half keeps
    many clients that failed together from coming back together), at least what ``Retry-After`` asked, and twice
    as long when the domain says all its concurrent-request slots are taken. A wait that would end past
    ``total_timeout`` is not started: the call fails at once with the last error.
    """

    retries: int = DEFAULT_RETRIES
    base_delay: float = DEFAULT_BASE_DELAY
    max_delay: float = DEFAULT_MAX_DELAY
    total_timeout: float | None = DEFAULT_TOTAL_TIMEOUT
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        if self.retries < 0:
            raise ValueError(f"retries must be 0 or more, got {self.retries}")
        if self.base_delay < 0 or self.max_delay < self.base_delay:
            raise ValueError("delays must satisfy 0 <= base_delay <= max_delay")
        if self.total_timeout is not None and self.total_timeout <= 0:
            raise ValueError(f"total_timeout must be positive, got {self.total_timeout}")

    def ceiling(self, attempt: int, *, saturated: bool = False) -> float:
        """The longest backoff after the ``attempt``-th failure (before jitter and Retry-After)."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return min(self.max_delay, ceiling * 2) if saturated else ceiling

    def delay_before_retry(self, attempt: int, elapsed: float, failure: Failure) -> float | None:
        if attempt > self.retries:
            return None
        ceiling = self.ceiling(attempt, saturated=failure.saturated)
        delay = self.rng.uniform(ceiling / 2, ceiling)
        if failure.retry_after is not None:
            if failure.retry_after > MAX_RETRY_AFTER:
                return None
            delay = max(delay, failure.retry_after)
        if self.total_timeout is not None and elapsed + delay >= self.total_timeout:
            return None
        return delay


# --- classifying a failure ----------------------------------------------------------------------------------------


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    value = headers.get("retry-after")
    if value is None:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds()) if moment.tzinfo else None


def concurrency_limit(headers: Mapping[str, str]) -> tuple[int | None, int | None]:
    """(limit, running) from ``X-ConcurrencyLimit-Limit`` / ``-Running``; None where absent or not a number."""

    def number(name: str) -> int | None:
        text = headers.get(name, "").strip()
        return int(text) if text.isascii() and text.isdigit() else None

    return number("x-concurrencylimit-limit"), number("x-concurrencylimit-running")


def failure_of_answer(error: ApiError, headers: Mapping[str, str]) -> Failure:
    """An error answer: Kintone (or a gateway in front of it) said something."""
    limit, running = concurrency_limit(headers)
    saturated = limit is not None and running is not None and running >= limit
    if error.code in SLOW_TO_CLEAR_CODES:
        return Failure(error, Delivery.REJECTED, transient=False)
    if error.code in NOT_PROCESSED_CODES or error.status == 429:
        # Kintone refuses over-limit requests on arrival; a proxy's 429 never forwarded the request either.
        return Failure(error, Delivery.NOT_SENT, True, retry_after_seconds(headers), saturated)
    if error.code in LOCK_CODES:
        return Failure(error, Delivery.UNKNOWN, True, retry_after_seconds(headers), saturated)
    if error.status < 500:
        return Failure(error, Delivery.REJECTED, transient=False)
    transient = error.status in TRANSIENT_STATUSES
    return Failure(error, Delivery.UNKNOWN, transient, retry_after_seconds(headers), saturated)


def _is_tls_verification(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLError):
            return True
        current = current.__cause__ or current.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def delivery_of_exception(exc: httpx2.TransportError) -> tuple[Delivery, bool]:
    """(delivery, transient) for a request that got no answer."""
    if isinstance(exc, httpx2.ConnectError | httpx2.ConnectTimeout | httpx2.PoolTimeout | httpx2.ProxyError):
        # Nothing left this machine towards Kintone (or the proxy refused to forward it). A certificate that does
        # not verify will not verify a second later.
        return Delivery.NOT_SENT, not _is_tls_verification(exc)
    if isinstance(exc, httpx2.UnsupportedProtocol | httpx2.LocalProtocolError):
        return Delivery.NOT_SENT, False
    # Read/write timeouts, a connection closed before or during the answer: the request may have been processed.
    return Delivery.UNKNOWN, True


# --- what to check after a write whose outcome is unknown ---------------------------------------------------------

_ENDPOINT = re.compile(r"/v1/(?:preview/)?(?P<endpoint>.+?)\.json$")

#: (method, endpoint) -> (operation, what to do before sending it again)
_WRITE_CHECKS: dict[tuple[str, str], tuple[str, str]] = {
    ("POST", "record"): (
        "add",
        "look for the record in the app (search on a value you just wrote) before adding it again: sending the "
        "add again could create a duplicate.",
    ),
    ("POST", "records"): (
        "add",
        "look for the records in the app (search on values you just wrote) before adding them again: the add is "
        "all-or-nothing, so either all of them are there or none is; sending it again could create duplicates.",
    ),
    ("PUT", "record"): (
        "update",
        "read the record back and compare its values and revision with what was sent; send the change again only "
        "if it is not there, with the record's current revision.",
    ),
    ("PUT", "records"): (
        "update",
        "read the records back and compare their values and revisions with what was sent (the write is "
        "all-or-nothing); send it again only if the change is not there.",
    ),
    ("DELETE", "records"): (
        "delete",
        "check whether the records still exist before deleting again (the delete is all-or-nothing).",
    ),
    ("PUT", "record/status"): (
        "status",
        "read the record's status before running the action again: running it twice would move the record twice.",
    ),
    ("PUT", "records/status"): (
        "status",
        "read the records' statuses before running the actions again: running them twice would move the records twice.",
    ),
    ("PUT", "record/assignees"): ("assignees", "read the record's assignees before sending the change again."),
    ("POST", "record/comment"): (
        "comment",
        "read the record's comments before posting again: posting twice would duplicate the comment.",
    ),
    ("DELETE", "record/comment"): ("delete_comment", "read the record's comments to see whether it is gone."),
    ("POST", "bulkRequest"): (
        "bulk",
        "the transaction was applied entirely or not at all: read back one of its records to tell which before "
        "sending it again.",
    ),
}


def endpoint_of(path: str) -> str:
    """``record/status`` from ``/k/v1/record/status.json`` (or a guest-space or User API path)."""
    match = _ENDPOINT.search(path)
    return match.group("endpoint") if match else path


def write_check(method: str, path: str) -> tuple[str, str]:
    """(operation, guidance) for a write whose outcome is unknown."""
    return _WRITE_CHECKS.get(
        (method.upper(), endpoint_of(path)),
        ("write", "read back what the request would have changed before sending it again."),
    )


#: requests that change nothing anyone reads: an upload only yields a temporary key (unattached uploads are
#: discarded), and cursors are private and expire
NOT_DATA_WRITES = frozenset({"file", "records/cursor"})


def is_data_write(method: str, path: str) -> bool:
    return method.upper() != "GET" and endpoint_of(path) not in NOT_DATA_WRITES


__all__ = [
    "DEFAULT_BASE_DELAY",
    "DEFAULT_MAX_DELAY",
    "DEFAULT_RETRIES",
    "DEFAULT_TOTAL_TIMEOUT",
    "BackoffRetry",
    "Delivery",
    "Failure",
    "NoRetry",
    "RetryPolicy",
    "concurrency_limit",
    "delivery_of_exception",
    "endpoint_of",
    "failure_of_answer",
    "is_data_write",
    "retry_after_seconds",
    "write_check",
]
