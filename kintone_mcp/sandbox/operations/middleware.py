"""Operational behaviour wrapped around the sandbox app: concurrency limit, method override, fault injection, and the
sandbox-only admin endpoints (``/_sandbox/faults``, ``/_sandbox/health``).

Pure ASGI rather than Starlette's BaseHTTPMiddleware, for two reasons: streamed responses and client disconnects must
pass through untouched, and dropping or truncating a connection needs the server's own ``send``/``receive``.

``wrap()`` must be the outermost layer (the app handed to uvicorn or to ``httpx2.ASGITransport``): a connection drop
under uvicorn reaches the socket through uvicorn's ``send`` callable, which any middleware outside this one would hide.

How a broken connection is made visible to an httpx2 client:

* over a real socket (uvicorn): the middleware closes uvicorn's transport, before any byte (``drop``) or after the
  headers and part of the body (``truncate``), then waits for uvicorn to notice, so uvicorn neither answers 500 nor
  logs an application error. httpx2 raises ``RemoteProtocolError`` ("Server disconnected without sending a response" /
  "peer closed connection without sending complete message body").
* in process (``httpx2.ASGITransport``): there is no connection to close, and an exception raised by the app reaches
  the caller unchanged (ASGITransport's default ``raise_app_exceptions=True``; httpx2 then attaches the request). So the
  middleware raises ``ConnectionDropped`` / ``ResponseTruncated``, subclasses of ``httpx2.RemoteProtocolError``: the
  client's retry logic sees the same exception class either way.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import secrets
import string
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import anyio
import httpx2
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kintone_mcp.loopback import is_loopback
from kintone_mcp.sandbox import messages
from kintone_mcp.sandbox.operations.faults import (
    NO_FAULT,
    FaultInjector,
    FaultPlan,
    FaultRule,
    FaultSpecError,
    parse_fault_spec,
    rules_from_json,
)

logger = logging.getLogger(__name__)

#: Real Kintone never serves paths under this prefix, so admin endpoints cannot shadow an API.
ADMIN_PREFIX = "/_sandbox/"
FAULTS_PATH = "/_sandbox/faults"
HEALTH_PATH = "/_sandbox/health"
MAX_ADMIN_BODY = 1 << 20

LIMIT_HEADER = b"x-concurrencylimit-limit"
RUNNING_HEADER = b"x-concurrencylimit-running"
OVERRIDE_HEADER = b"x-http-method-override"

#: The body of a ``malformed`` fault: a 200 whose JSON stops mid-way, as a broken proxy or a cut buffer would give.
MALFORMED_BODY = b'{"sandbox":"malformed response injected by a fault rule","records":[{"$id":'

UNEXPECTED_ERROR = "An unexpected error occurred. Retry the request."
OVERRIDE_ERROR = "Only GET can be requested through X-HTTP-Method-Override, and only on a POST request."

_ID_ALPHABET = string.ascii_letters + string.digits


@dataclass
class OperationsConfig:
    #: In-flight requests allowed at once (Kintone: 100 per domain); one more is answered 429 GAIA_TO04.
    concurrency_limit: int = 100
    #: Faults active from the start (``--fault SPEC``); the admin endpoint can replace them at run time.
    faults: list[FaultRule] = field(default_factory=list)
    #: Seed of the fault dice; None picks one at random (shown by ``GET /_sandbox/faults`` so a run can be replayed).
    seed: int | None = None
    #: Longest path and query string served, in bytes (Kintone: "roughly 8 KB", docs/kintone-api.md §1); a longer
    #: request line is answered 414 before it reaches the app, as a front-end server would. None: no limit.
    max_url_length: int | None = 8192
    #: Serve ``/_sandbox/*`` admin endpoints only to loopback clients. They take no credentials: the sandbox binds
    #: 127.0.0.1 by default, and a fault switch must stay usable by a test that has no Kintone login.
    admin_loopback_only: bool = True


class ConnectionDropped(httpx2.RemoteProtocolError):
    """Raised in process where a real server would close the socket without answering (fault ``drop``)."""


class ResponseTruncated(httpx2.RemoteProtocolError):
    """Raised in process where a real server would close the socket mid-body (fault ``truncate``)."""


class ConcurrencyLimiter:
    """Counts in-flight requests for one sandbox (one Kintone domain). A lock, because the sandbox may be served from
    one thread while tests call into it from another."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"concurrency_limit must be 1 or more, got {limit}")
        self.limit = limit
        self._running = 0
        self._lock = threading.Lock()

    @property
    def running(self) -> int:
        return self._running

    def try_acquire(self) -> bool:
        with self._lock:
            if self._running >= self.limit:
                return False
            self._running += 1
            return True

    def release(self) -> None:
        with self._lock:
            self._running -= 1


class OperationsMiddleware:
    """The ASGI app ``wrap()`` returns. ``faults`` and ``concurrency`` are public so a test or the sandbox CLI can
    change faults or read the load without going through HTTP."""

    def __init__(self, app: ASGIApp, config: OperationsConfig) -> None:
        self.app = app
        self.config = config
        self.concurrency = ConcurrencyLimiter(config.concurrency_limit)
        self.faults = FaultInjector.with_rules(config.faults, config.seed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path in (FAULTS_PATH, HEALTH_PATH):
            await self._admin(scope, receive, send)
            return
        if path.startswith(ADMIN_PREFIX):
            # Other sandbox-only endpoints belong to the app, but like these they bypass limits and faults.
            await self.app(scope, receive, send)
            return
        limit = self.config.max_url_length
        if limit is not None and _target_length(scope) > limit:
            await self._url_too_long(receive, send, limit)
            return
        language = _header(scope, b"accept-language")
        if not self.concurrency.try_acquire():
            await self._too_many_requests(receive, send, language)
            return
        try:
            await self._serve(scope, receive, send, language)
        finally:
            self.concurrency.release()

    async def _url_too_long(self, receive: Receive, send: Send, limit: int) -> None:
        # Kintone's application never sees such a request: the answer is the front end's page, not Kintone JSON.
        await _drain(receive)
        title = "414 Request-URI Too Long"
        text = (
            f"The request URL is longer than {limit:,} bytes. Send long GET parameters as a POST with "
            "X-HTTP-Method-Override: GET and the parameters in a JSON body."
        )
        page = f"<!DOCTYPE html><html><head><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body>"
        await _send_bytes(send, 414, (page + "</html>").encode(), "text/html; charset=utf-8", [])

    # -- concurrency limit ---------------------------------------------------------------------------------------------

    def _limit_headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (LIMIT_HEADER, str(self.concurrency.limit).encode()),
            (RUNNING_HEADER, str(self.concurrency.running).encode()),
        ]

    def _with_limit_headers(self, send: Send) -> Send:
        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *self._limit_headers()]}
            await send(message)

        return send_with_limits

    async def _too_many_requests(self, receive: Receive, send: Send, language: str | None) -> None:
        limit = self.concurrency.limit
        text = messages.localize("GAIA_TO04", "", language, {"limit": limit})
        await _drain(receive)
        await _send_kintone_error(self._with_limit_headers(send), 429, "GAIA_TO04", text)

    # -- serving -------------------------------------------------------------------------------------------------------

    async def _serve(self, scope: Scope, receive: Receive, send: Send, language: str | None) -> None:
        limited_send = self._with_limit_headers(send)
        override = _header(scope, OVERRIDE_HEADER)
        if override is not None:
            wanted, method = override.strip().upper(), scope["method"]
            if wanted != method:
                if method != "POST" or wanted != "GET":
                    await _drain(receive)
                    errors = {
                        "X-HTTP-Method-Override": {"messages": [messages.localize_text(OVERRIDE_ERROR, language)]}
                    }
                    text = messages.localize("CB_VA01", "Missing or invalid input.", language)
                    await _send_kintone_error(limited_send, 400, "CB_VA01", text, errors)
                    return
                # The core's GET handlers read parameters from the query string or a JSON body alike.
                scope = {**scope, "method": "GET"}
        plan = self.faults.plan(scope["method"], scope["path"])
        if plan is NO_FAULT:
            await self.app(scope, receive, limited_send)
        else:
            await self._with_faults(plan, scope, receive, limited_send, _server_transport(send), language)

    async def _with_faults(
        self,
        plan: FaultPlan,
        scope: Scope,
        receive: Receive,
        send: Send,
        transport: asyncio.BaseTransport | None,
        language: str | None,
    ) -> None:
        if plan.delay_before:
            await anyio.sleep(plan.delay_before)
        rule = plan.fault
        if rule is None:
            await self.app(scope, receive, _delay_response(send, plan.delay_after))
            return
        captured: _CapturedResponse | None = None
        if rule.commits:
            captured = _CapturedResponse()
            await self.app(scope, receive, captured.send)
        else:
            # Read the request as a server would before failing; nothing of it reaches the app.
            await _drain(receive)
        if plan.delay_after:
            await anyio.sleep(plan.delay_after)
        logger.debug("injecting %s fault into %s %s", rule.kind, scope["method"], scope["path"])
        if rule.kind == "error":
            await self._send_fault_error(rule, send, language)
        elif rule.kind == "malformed":
            await _send_bytes(send, 200, MALFORMED_BODY, "application/json; charset=utf-8")
        elif rule.kind == "drop":
            await _close_connection(
                transport,
                receive,
                ConnectionDropped("Server disconnected without sending a response. (sandbox fault: drop)"),
            )
        else:  # truncate; it always commits, so the app's answer is there to cut
            assert captured is not None
            await _send_truncated(captured, rule.keep, send, transport, receive)

    async def _send_fault_error(self, rule: FaultRule, send: Send, language: str | None) -> None:
        headers: list[tuple[bytes, bytes]] = []
        if rule.retry_after is not None:
            headers.append((b"retry-after", str(rule.retry_after).encode()))
        if rule.code is not None:
            text = rule.message or messages.localize(rule.code, "", language, {"limit": self.concurrency.limit})
            if text == rule.code:  # a code the message table does not know
                text = messages.localize_text(UNEXPECTED_ERROR, language)
            await _send_kintone_error(send, rule.status, rule.code, text, headers=headers)
            return
        # No Kintone code: what a gateway or a maintenance page answers, which is not JSON.
        status = rule.status
        phrase = _reason(status)
        if status == 503:
            title = "Service Unavailable"
            text = rule.message or "The service is temporarily unavailable for maintenance. Please try again later."
        elif status in (502, 504):
            title = f"{status} {phrase}"
            text = rule.message or "The server received an invalid response from an upstream server."
        else:
            plain = (rule.message or f"{status} {phrase}").encode()
            await _send_bytes(send, status, plain, "text/plain; charset=utf-8", headers)
            return
        page = f"<!DOCTYPE html><html><head><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body>"
        page += "</html>"
        await _send_bytes(send, status, page.encode(), "text/html; charset=utf-8", headers)

    # -- admin endpoints -----------------------------------------------------------------------------------------------

    async def _admin(self, scope: Scope, receive: Receive, send: Send) -> None:
        method: str = scope["method"]
        if self.config.admin_loopback_only and not _is_loopback(scope.get("client")):
            await _drain(receive)
            await _send_json(send, 403, {"error": "the /_sandbox/ admin endpoints only answer loopback clients"})
            return
        if scope["path"] == HEALTH_PATH:
            if method not in ("GET", "HEAD"):
                await _method_not_allowed(receive, send, "GET, HEAD")
                return
            health = {
                "status": "ok",
                "concurrency": {"limit": self.concurrency.limit, "running": self.concurrency.running},
                "faults": {"rules": len(self.faults.rules), "injected": sum(self.faults.injected())},
            }
            await _send_json(send, 200, health)
            return
        if method in ("GET", "HEAD"):
            await _send_json(send, 200, self.faults.snapshot())
        elif method == "PUT":
            try:
                rules, seed = _parse_fault_update(await _read_body(receive, MAX_ADMIN_BODY))
            except (FaultSpecError, ValueError) as exc:
                await _send_json(send, 400, {"error": str(exc)})
                return
            self.faults.replace(rules, seed)
            await _send_json(send, 200, self.faults.snapshot())
        elif method == "DELETE":
            await _drain(receive)
            self.faults.clear()
            await _send_json(send, 200, self.faults.snapshot())
        else:
            await _method_not_allowed(receive, send, "GET, PUT, DELETE")


def wrap(app: ASGIApp, config: OperationsConfig) -> OperationsMiddleware:
    """``app`` behind the concurrency limit, method override, fault injection and admin endpoints. Make it the
    outermost layer (see the module docstring)."""
    return OperationsMiddleware(app, config)


def _whole_number(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be {minimum} or more, got {value}")
    return value


def positive_int(text: str) -> int:
    """An argparse ``type``: a whole number of 1 or more."""
    return _whole_number(text, 1)


def non_negative_int(text: str) -> int:
    """An argparse ``type``: a whole number of 0 or more."""
    return _whole_number(text, 0)


def add_operations_arguments(parser: argparse.ArgumentParser) -> None:
    """The operational options of ``kintone-mcp sandbox``; pair with ``operations_config_from_args``."""
    group = parser.add_argument_group("operations (limits and fault injection)")
    group.add_argument(
        "--concurrency-limit",
        type=positive_int,
        default=OperationsConfig.concurrency_limit,
        metavar="N",
        help="in-flight requests allowed before answering 429 GAIA_TO04, as Kintone does (default: %(default)s)",
    )
    group.add_argument(
        "--max-url-length",
        type=non_negative_int,
        default=OperationsConfig.max_url_length,
        metavar="BYTES",
        help="longest path and query string served; longer is 414, as Kintone's ~8 KB limit (default: %(default)s; "
        "0 lifts it)",
    )
    group.add_argument(
        "--fault",
        action="append",
        type=parse_fault_spec,
        default=[],
        metavar="SPEC",
        help="inject a fault, repeatable: KIND[:key=value,...], KIND one of error, latency, drop, truncate, "
        "malformed; e.g. 'error:rate=0.1,status=520,code=GAIA_DA02,after_commit=1' or 'latency:ms=50-200'. "
        "Change them at run time with PUT /_sandbox/faults",
    )
    group.add_argument(
        "--fault-seed",
        type=int,
        default=None,
        metavar="N",
        help="seed of the fault dice, for reproducible runs (default: random, shown by GET /_sandbox/faults)",
    )


def operations_config_from_args(args: argparse.Namespace) -> OperationsConfig:
    if args.concurrency_limit < 1:
        raise SystemExit(f"--concurrency-limit must be 1 or more, got {args.concurrency_limit}")
    return OperationsConfig(
        concurrency_limit=args.concurrency_limit,
        faults=list(args.fault),
        seed=args.fault_seed,
        max_url_length=args.max_url_length or None,
    )


def _parse_fault_update(body: bytes) -> tuple[list[FaultRule], int | None]:
    """The body of ``PUT /_sandbox/faults``: a list of rules (objects or spec strings), or
    ``{"rules": [...], "seed": N}``."""
    try:
        data = json.loads(body or b"null")
    except ValueError as exc:
        raise ValueError(f"the body must be JSON (a list of fault rules): {exc}") from None
    seed: Any = None
    if isinstance(data, dict):
        if "kind" in data:
            raise ValueError("expected a JSON list of fault rules; wrap a single rule in [ ]")
        unknown = set(data) - {"rules", "seed"}
        if unknown:
            raise ValueError(f'unknown keys {sorted(unknown)}; the object form is {{"rules": [...], "seed": N}}')
        seed = data.get("seed")
        data = data.get("rules", [])
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"seed must be a whole number, got {seed!r}")
    return rules_from_json(data), seed


# -- small ASGI helpers ------------------------------------------------------------------------------------------------


class _CapturedResponse:
    """Holds the app's answer instead of sending it, for faults applied after the request has been committed."""

    def __init__(self) -> None:
        self.status = 500
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = bytearray()

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", ()))
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")


def _target_length(scope: Scope) -> int:
    """Bytes of the request target: the path as sent, and the query string."""
    raw = scope.get("raw_path") or scope["path"].encode("utf-8")
    query: bytes = scope.get("query_string", b"")
    return len(raw) + (len(query) + 1 if query else 0)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            text: str = value.decode("latin-1")
            return text
    return None


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown Error"  # 520, Kintone's generic failure, is not a registered status


def _is_loopback(client: Any) -> bool:
    if client is None:
        return True  # no peer address: an in-process call
    host = str(client[0])
    # "testclient" is the peer name Starlette's in-process TestClient gives.
    return host == "testclient" or is_loopback(host)


def _server_transport(send: Send) -> asyncio.BaseTransport | None:
    """uvicorn's socket transport, reachable because its ``send`` is a method of the per-request cycle object."""
    owner = getattr(send, "__self__", None)
    transport = getattr(owner, "transport", None)
    return transport if isinstance(transport, asyncio.BaseTransport) else None


def _delay_response(send: Send, delay: float) -> Send:
    if not delay:
        return send

    async def delayed(message: Message) -> None:
        if message["type"] == "http.response.start":
            await anyio.sleep(delay)
        await send(message)

    return delayed


async def _drain(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def _read_body(receive: Receive, limit: int) -> bytes:
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        if len(body) > limit:
            await _drain(receive)
            raise ValueError(f"the body is larger than {limit} bytes")
        if not message.get("more_body", False):
            break
    return bytes(body)


async def _send_bytes(
    send: Send,
    status: int,
    body: bytes,
    content_type: str,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    all_headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        *(headers or ()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": body})


async def _send_json(send: Send, status: int, body: Any, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    await _send_bytes(send, status, payload, "application/json; charset=utf-8", headers)


async def _send_kintone_error(
    send: Send,
    status: int,
    code: str,
    message: str,
    errors: dict[str, Any] | None = None,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    body: dict[str, Any] = {"code": code, "id": _error_id(), "message": message}
    if errors:
        body["errors"] = errors
    await _send_json(send, status, body, [(b"x-cybozu-error", code.encode()), *(headers or ())])


def _error_id() -> str:
    """Random per error, like Kintone's (clients quote it to support; nobody should compare it)."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(20))


async def _method_not_allowed(receive: Receive, send: Send, allow: str) -> None:
    await _drain(receive)
    await _send_json(send, 405, {"error": f"method not allowed; use {allow}"}, [(b"allow", allow.encode())])


async def _close_connection(
    transport: asyncio.BaseTransport | None, receive: Receive, in_process: httpx2.RemoteProtocolError
) -> None:
    if transport is None:
        raise in_process
    transport.close()
    # Returning before uvicorn has seen the disconnect would make it answer 500 or log "returned without completing
    # response"; connection_lost() turns the next receive() into http.disconnect.
    with anyio.move_on_after(5):
        while (await receive())["type"] != "http.disconnect":
            pass


async def _send_truncated(
    captured: _CapturedResponse,
    keep: float,
    send: Send,
    transport: asyncio.BaseTransport | None,
    receive: Receive,
) -> None:
    body = bytes(captured.body)
    # Announce the full length so the client knows the body was cut; an empty body still announces one byte.
    announced = max(len(body), 1)
    cut = min(int(len(body) * keep), announced - 1)
    headers = [(k, v) for k, v in captured.headers if k.lower() not in (b"content-length", b"transfer-encoding")]
    headers.append((b"content-length", str(announced).encode()))
    await send({"type": "http.response.start", "status": captured.status, "headers": headers})
    await send({"type": "http.response.body", "body": body[:cut], "more_body": True})
    await _close_connection(
        transport,
        receive,
        ResponseTruncated(
            "peer closed connection without sending complete message body: "
            f"received {cut} bytes, expected {announced} (sandbox fault: truncate)"
        ),
    )


__all__ = [
    "FAULTS_PATH",
    "HEALTH_PATH",
    "ConcurrencyLimiter",
    "ConnectionDropped",
    "FaultInjector",
    "FaultRule",
    "FaultSpecError",
    "OperationsConfig",
    "OperationsMiddleware",
    "ResponseTruncated",
    "add_operations_arguments",
    "operations_config_from_args",
    "parse_fault_spec",
    "wrap",
]
