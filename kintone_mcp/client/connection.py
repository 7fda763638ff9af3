"""The one place that talks HTTP: paths, parameter encoding, authentication per API, errors, the retry seam.

Every operation module (apps, records, files, ...) goes through :class:`Connection`; none builds a URL or touches
a header itself.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Literal
from urllib.parse import quote, urlencode

import anyio
import httpx2

from kintone_mcp import __version__
from kintone_mcp.auth.base import APPS_EXTENSION, Credentials
from kintone_mcp.auth.errors import CredentialsUnavailable
from kintone_mcp.auth.oauth_errors import OAuthUnavailable
from kintone_mcp.client.errors import (
    ApiError,
    CredentialsError,
    CredentialsMissingError,
    GuestSpaceUnknownError,
    KintoneError,
    NetworkError,
    OAuthLoginRequiredError,
    OutcomeUnknownError,
    ServerError,
    WriteOutcomeUnknownError,
    error_from_response,
)
from kintone_mcp.client.retry import (
    Delivery,
    Failure,
    NoRetry,
    RetryPolicy,
    concurrency_limit,
    delivery_of_exception,
    failure_of_answer,
    is_data_write,
    write_check,
)
from kintone_mcp.client.spaces import GUEST_APP_ON_NORMAL_PATH, NOT_IN_THIS_SPACE, AppSpaces, Space
from kintone_mcp.redaction import SecretRedactor

logger = logging.getLogger("kintone_mcp.client")

Api = Literal["rest", "user"]

USER_AGENT = f"kintone-mcp/{__version__}"
#: js-sdk switches long GETs to POST + X-HTTP-Method-Override past this many characters of URL (limit ~8 KB)
MAX_GET_URL_LENGTH = 4096
#: endpoints that exist only on the normal path, even for a connection configured with a guest space
_NO_GUEST_FORM = frozenset({"apps/statistics", "spaces/statistics", "guests", "template/space"})
#: requests in flight at once per client, all callers together (Kintone allows 100 per domain, shared by everyone)
DEFAULT_MAX_CONCURRENCY = 10
#: a revision-guarded write retried after an attempt with an unknown outcome is refused with these when the first
#: attempt was in fact applied (the revision moved; the records are gone)
_APPLIED_BEFORE = frozenset({"GAIA_CO02", "GAIA_RE01"})


QueryPairs = list[tuple[str, str | int | float | bool | None]]


class _Unset:
    """The path of the request's app (or the configured guest space), as opposed to an explicit space."""


_BY_APP = _Unset()


def encode_query_params(params: Mapping[str, Any]) -> QueryPairs | None:
    """Kintone's query-string form: arrays as ``ids[0]=1&ids[1]=2``, booleans as ``true``/``false``.

    Returns None when a parameter is an object (or an array of objects), which only a JSON body can carry.
    """
    pairs: QueryPairs = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                if isinstance(item, (Mapping, list, tuple)):
                    return None
                pairs.append((f"{key}[{i}]", _scalar(item)))
        elif isinstance(value, Mapping):
            return None
        else:
            pairs.append((key, _scalar(value)))
    return pairs


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Connection:
    """One connection pool to one Kintone domain, with the credentials for each API."""

    def __init__(
        self,
        base_url: str,
        *,
        credentials: Credentials,
        guest_space_id: int | None = None,
        transport: httpx2.AsyncBaseTransport | None = None,
        mounts: Mapping[str, httpx2.AsyncBaseTransport] | None = None,
        timeout: float | httpx2.Timeout = 60.0,
        retry_policy: RetryPolicy | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        max_open_cursors: int | None = None,
    ) -> None:
        url = httpx2.URL(base_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"the Kintone base URL must be http(s)://host, got {base_url!r}")
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be 1 or more, got {max_concurrency}")
        self.base_url = str(url.copy_with(query=None, fragment=None)).rstrip("/")
        self.credentials = credentials
        self.guest_space_id = guest_space_id
        #: the path of each app, learnt from Kintone's answers (see :mod:`.spaces`)
        self.spaces = AppSpaces(default=guest_space_id)
        self.retry_policy: RetryPolicy = retry_policy or NoRetry()
        # Scrubbing is a second line of defence (messages are never built from what we send).
        self.redactor = SecretRedactor(credentials.secret_values)
        #: one request to Kintone may take this long, from sending to the last byte of the answer (streamed
        #: uploads and downloads excepted: httpx2's per-read timeout bounds them)
        self.attempt_timeout: float | None = timeout.read if isinstance(timeout, httpx2.Timeout) else timeout
        self.max_concurrency = max_concurrency
        # Shared by every caller of this client; lowered to the domain's own limit when Kintone announces a smaller
        # one (X-ConcurrencyLimit-Limit), never raised above max_concurrency.
        self._slots = anyio.CapacityLimiter(max_concurrency)
        #: cursors this client may hold open at once (None: as many as Kintone allows; see :mod:`.cursor`)
        self.cursor_slots = anyio.CapacityLimiter(max_open_cursors) if max_open_cursors else None
        self._http = httpx2.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            mounts=dict(mounts) if mounts else None,
            headers={"User-Agent": USER_AGENT},
            timeout=timeout,
            trust_env=False,  # kintone_mcp.settings is the only reader of the environment (HTTPS_PROXY etc.)
            follow_redirects=False,
        )

    # --- lifecycle ----------------------------------------------------------------------------------------------

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def closed(self) -> bool:
        return self._http.is_closed

    async def probe(self) -> int:
        """One request without credentials (``GET`` of the REST API's ``apps.json``, which Kintone refuses without
        them), over the same transport, TLS settings and proxy as every call: the HTTP status when the host answers
        (a certificate that does not verify, or no answer, raises NetworkError). For ``check`` when no
        authenticated request can be sent, so that it reports what it saw rather than what it assumed."""
        request = self._http.build_request("GET", self.path("rest", "apps"))
        try:
            with anyio.fail_after(self.attempt_timeout or 60.0):
                response = await self._http.send(request)
                await response.aclose()
        except (httpx2.TransportError, TimeoutError) as exc:
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            text = f"{self.base_url} did not answer a request without credentials ({reason})"
            raise NetworkError(self.redact(text)) from None
        return response.status_code

    # --- paths --------------------------------------------------------------------------------------------------

    def space_for(self, apps: Sequence[int]) -> Space:
        """The guest space a request about ``apps`` goes to (its first app decides; None: the normal path)."""
        return self.spaces.of(apps[0]) if apps else self.guest_space_id

    def rest_path(self, endpoint: str, *, preview: bool = False, space: Space | _Unset = _BY_APP) -> str:
        """``/k/v1/{endpoint}.json``, or ``/k/guest/{id}/v1/...`` for a guest space (by default the configured one)."""
        prefix = "preview/" if preview else ""
        guest = self.guest_space_id if isinstance(space, _Unset) else space
        if guest is not None and endpoint not in _NO_GUEST_FORM:
            return f"/k/guest/{guest}/v1/{prefix}{endpoint}.json"
        return f"/k/v1/{prefix}{endpoint}.json"

    @staticmethod
    def user_api_path(endpoint: str) -> str:
        return f"/v1/{endpoint}.json"

    def path(self, api: Api, endpoint: str, *, space: Space | _Unset = _BY_APP) -> str:
        return self.rest_path(endpoint, space=space) if api == "rest" else self.user_api_path(endpoint)

    # --- secrets ------------------------------------------------------------------------------------------------

    def redact(self, text: str) -> str:
        return self.redactor.redact(text)

    def _auth_for(self, api: Api) -> httpx2.Auth:
        auth = self.credentials.rest if api == "rest" else self.credentials.user_api
        if auth is None:
            if api == "rest":
                raise CredentialsMissingError(
                    "This connection has no credentials for the Kintone REST API (apps, records, files, comments). "
                    "Configure KINTONE_USERNAME and KINTONE_PASSWORD, KINTONE_API_TOKEN, or OAuth."
                )
            raise CredentialsMissingError(
                "This connection has no credentials for the cybozu.com User API (users, organizations, groups). "
                "Configure KINTONE_USER_API_TOKEN, or password authentication (KINTONE_USERNAME and "
                "KINTONE_PASSWORD); app API tokens are not accepted there."
            )
        return auth

    # --- requests -----------------------------------------------------------------------------------------------

    def build_request(
        self,
        method: str,
        api: Api,
        endpoint: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        apps: Sequence[int] = (),
        space: Space | _Unset = _BY_APP,
    ) -> httpx2.Request:
        """A GET goes with its parameters in the query string unless they cannot be written there or the URL
        would exceed :data:`MAX_GET_URL_LENGTH`: then it is a POST with ``X-HTTP-Method-Override: GET`` and a
        JSON body, which Kintone accepts for every GET endpoint. The path is that of ``apps[0]``'s space unless
        ``space`` names one."""
        path = self.path(api, endpoint, space=self.space_for(apps) if isinstance(space, _Unset) else space)
        extensions = {APPS_EXTENSION: tuple(apps)}
        headers: dict[str, str] = {}
        if method == "GET" and params:
            pairs = encode_query_params(params)
            if pairs is not None:
                length = len(self.base_url) + len(path) + 1 + len(urlencode(pairs, quote_via=quote))
                if length <= MAX_GET_URL_LENGTH:
                    return self._http.build_request(
                        "GET", path, params=httpx2.QueryParams(pairs), headers=headers, extensions=extensions
                    )
            headers["X-HTTP-Method-Override"] = "GET"
            method = "POST"
            body = {k: v for k, v in params.items() if v is not None}
        content = None
        if body is not None:
            content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        return self._http.build_request(method, path, content=content, headers=headers, extensions=extensions)

    async def call(
        self,
        method: str,
        api: Api,
        endpoint: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        apps: Sequence[int] = (),
        idempotent: bool | None = None,
        space: Space | _Unset = _BY_APP,
    ) -> Any:
        """Sends one request and returns the decoded JSON answer; raises the typed error otherwise.

        ``idempotent`` says whether two copies of the request have the effect of one (default: only for GET);
        only then may a copy that possibly reached Kintone be sent again (see :mod:`.retry`). ``space`` sends it
        to that guest space's path (None: the normal path) instead of the path of ``apps[0]``.
        """
        data, _ = await self.call_with_headers(
            method, api, endpoint, params=params, body=body, apps=apps, idempotent=idempotent, space=space
        )
        return data

    async def call_with_headers(
        self,
        method: str,
        api: Api,
        endpoint: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        apps: Sequence[int] = (),
        idempotent: bool | None = None,
        space: Space | _Unset = _BY_APP,
    ) -> tuple[Any, httpx2.Headers]:
        request = self.build_request(method, api, endpoint, params=params, body=body, apps=apps, space=space)
        try:
            response, data = await self._exchange(request, api, idempotent=idempotent, decode=True)
        except ApiError as exc:
            # On the wrong path for its app, nothing was done: learn the right one and send again there.
            by_app = isinstance(space, _Unset) and api == "rest" and bool(apps)
            if not by_app or not await self.relearn_space(apps[0], exc, self.space_for(apps)):
                raise
            request = self.build_request(method, api, endpoint, params=params, body=body, apps=apps)
            response, data = await self._exchange(request, api, idempotent=idempotent, decode=True)
        return data, response.headers

    # --- guest spaces -------------------------------------------------------------------------------------------

    async def ensure_space(self, app: int) -> None:
        """Learn ``app``'s path before a request that cannot simply be sent again on another one (a streamed
        upload, a bulkRequest whose body names paths): one ``app.json`` read, once per app."""
        if self.spaces.knows(app):
            return
        used = self.spaces.of(app)
        error = await self._probe(app, used)
        if error is None:
            self.spaces.learn(app, used)
        elif not await self.relearn_space(app, error, used):
            raise error

    async def relearn_space(self, app: int, error: ApiError, used: Space) -> bool:
        """True when ``error`` said ``app`` is not on the path ``used`` and another path was found for it (now
        remembered). Raises GuestSpaceUnknownError when the app is in a guest space none of the known paths reach."""
        if error.code == NOT_IN_THIS_SPACE and used is not None:
            # Also Kintone's answer for "no permission" in the right space: then the app answers there.
            if await self._probe(app, used) is None:
                self.spaces.learn(app, used)
                return False
        elif error.code != GUEST_APP_ON_NORMAL_PATH or used is not None:
            return False
        tried: list[Space] = [used]
        candidates = self.spaces.candidates(app, used, error.message)
        in_a_guest_space = error.code == GUEST_APP_ON_NORMAL_PATH
        while candidates:
            space = candidates.pop(0)
            tried.append(space)
            refused = await self._probe(app, space)
            if refused is None:
                logger.info("app %s answers on %s", app, f"guest space {space}" if space else "the normal path")
                self.spaces.learn(app, space)
                return True
            if refused.code == GUEST_APP_ON_NORMAL_PATH:
                in_a_guest_space = True
                more = self.spaces.candidates(app, None, refused.message)
                candidates += [s for s in more if s not in tried and s not in candidates]
        if in_a_guest_space:
            raise GuestSpaceUnknownError.of(app, error, [s for s in tried if s is not None])
        return False

    async def _probe(self, app: int, space: Space) -> ApiError | None:
        """None when ``app.json`` answers for ``app`` on ``space``'s path; otherwise the refusal."""
        request = self.build_request("GET", "rest", "app", params={"id": app}, apps=(app,), space=space)
        try:
            await self._exchange(request, "rest", idempotent=True, decode=True)
        except ApiError as exc:
            return exc
        return None

    async def send(
        self, request: httpx2.Request, api: Api, *, stream: bool = False, idempotent: bool | None = None
    ) -> httpx2.Response:
        """Sends ``request`` with ``api``'s credentials; on an error answer raises the mapped exception.

        With ``stream=True`` a successful response is returned unread (the caller must close it); prefer
        :meth:`stream`, which also holds a concurrency slot until the body has been read.
        """
        response, _ = await self._exchange(request, api, idempotent=idempotent, decode=False, stream=stream)
        return response

    async def _exchange(
        self,
        request: httpx2.Request,
        api: Api,
        *,
        idempotent: bool | None,
        decode: bool,
        stream: bool = False,
        hold_slot: bool = True,
    ) -> tuple[httpx2.Response, Any]:
        """The request with its retries: the response (and its JSON when ``decode``), or the final error."""
        auth = self._auth_for(api)
        method = request.headers.get("X-HTTP-Method-Override", request.method).upper()
        safe = method == "GET" if idempotent is None else idempotent
        write = is_data_write(method, request.url.path)
        # A body held in memory can be sent again; a streamed upload cannot.
        replayable = isinstance(request.stream, httpx2.ByteStream)
        policy = self.retry_policy
        started = time.monotonic()
        deadline = started + policy.total_timeout if policy.total_timeout is not None else None
        #: an earlier attempt that may have been processed
        uncertain: Failure | None = None
        attempt = 0
        while True:
            attempt += 1
            budget = self.attempt_timeout if replayable else None
            if deadline is not None and replayable:
                remaining = max(0.0, deadline - time.monotonic())
                budget = remaining if budget is None else min(budget, remaining)
            outcome = await self._attempt(
                request, method, auth, stream=stream, decode=decode, hold_slot=hold_slot, budget=budget
            )
            if not isinstance(outcome, Failure):
                return outcome
            failure = outcome
            error = failure.error
            if write and uncertain is not None and isinstance(error, ApiError) and error.code in _APPLIED_BEFORE:
                operation, check = write_check(method, request.url.path)
                raise WriteOutcomeUnknownError(
                    method=method,
                    path=request.url.path,
                    cause=uncertain.error,
                    attempts=attempt,
                    operation=operation,
                    check=check,
                    reason=(
                        f"the first copy got no definite answer ({uncertain.error}), and a second copy was refused "
                        f"with {error.code}, which is what Kintone answers when the first one was applied (or when "
                        "someone else changed the same records meanwhile)"
                    ),
                )
            may_repeat = failure.transient and replayable and (safe or failure.delivery is Delivery.NOT_SENT)
            elapsed = time.monotonic() - started
            delay = policy.delay_before_retry(attempt, elapsed, failure) if may_repeat else None
            if delay is None:
                raise self._final_error(request, method, failure, uncertain, attempt, elapsed, write=write, safe=safe)
            if failure.delivery is Delivery.UNKNOWN:
                uncertain = failure
            logger.info("retrying %s %s in %.2fs (attempt %d: %s)", method, request.url.path, delay, attempt, error)
            await anyio.sleep(delay)

    async def _attempt(
        self,
        request: httpx2.Request,
        method: str,
        auth: httpx2.Auth,
        *,
        stream: bool,
        decode: bool,
        hold_slot: bool,
        budget: float | None,
    ) -> tuple[httpx2.Response, Any] | Failure:
        """One copy of the request: the answer, or what went wrong as a :class:`Failure`."""
        path = request.url.path
        token = object()
        if hold_slot:
            await self._slots.acquire_on_behalf_of(token)
        try:
            with anyio.move_on_after(budget):
                try:
                    response = await self._http.send(request, auth=auth, stream=stream)
                except OAuthUnavailable as exc:
                    raise OAuthLoginRequiredError(
                        exc.reason,
                        connection=exc.connection,
                        command=exc.command,
                        fix=exc.fix,
                        missing_scope=exc.missing_scope,
                    ) from None
                except CredentialsUnavailable as exc:
                    cls = CredentialsMissingError if exc.missing else CredentialsError
                    raise cls(str(exc)) from None
                except httpx2.TimeoutException as exc:
                    delivery, transient = delivery_of_exception(exc)
                    error = NetworkError(
                        f"Kintone did not answer {method} {path} in time ({type(exc).__name__}). Check the network, "
                        "or retry later."
                    )
                    return Failure(error, delivery, transient)
                except httpx2.TransportError as exc:
                    delivery, transient = delivery_of_exception(exc)
                    error = NetworkError(
                        self.redact(
                            f"Could not reach Kintone at {self.base_url} for {method} {path}: "
                            f"{type(exc).__name__}: {exc}. Check KINTONE_BASE_URL, the network, KINTONE_CA_BUNDLE "
                            "and HTTPS_PROXY."
                        )
                    )
                    return Failure(error, delivery, transient)
                self._observe_limits(response.headers)
                if response.status_code >= 300:
                    return failure_of_answer(
                        await self._error_of(request, method, response, stream=stream), response.headers
                    )
                if not decode:
                    return response, None
                try:
                    return response, response.json()
                except ValueError:
                    unreadable = ServerError(
                        status=response.status_code,
                        message="the answer is not JSON",
                        method=method,
                        path=path,
                        hint="Check that KINTONE_BASE_URL points at Kintone (not a login page or proxy).",
                        redact=self.redact,
                    )
                    # A success status: a write was most likely applied, but its answer cannot be read.
                    return Failure(unreadable, Delivery.UNKNOWN, transient=True)
            error = NetworkError(
                f"Kintone did not answer {method} {path} within {budget:g} s (KINTONE_TIMEOUT / "
                "KINTONE_TOTAL_TIMEOUT). Check the network, or retry later."
            )
            return Failure(error, Delivery.UNKNOWN, transient=True)
        finally:
            if hold_slot:
                self._slots.release_on_behalf_of(token)

    def _final_error(
        self,
        request: httpx2.Request,
        method: str,
        failure: Failure,
        uncertain: Failure | None,
        attempts: int,
        elapsed: float,
        *,
        write: bool,
        safe: bool,
    ) -> KintoneError:
        """The error a call ends with: a write that may have been applied says so; anything else is the last
        failure, saying how many attempts were made."""
        error = failure.error
        unknown = failure.delivery is Delivery.UNKNOWN or uncertain is not None
        path = request.url.path
        if unknown and write:
            operation, check = write_check(method, path)
            return WriteOutcomeUnknownError(
                method=method, path=path, cause=error, attempts=attempts, operation=operation, check=check
            )
        if unknown and not safe and method == "GET":
            # A read that moves something on (a cursor page): repeating it would skip what the lost answer held.
            return OutcomeUnknownError(
                f"{method} {path} may or may not have been processed, and it is not safe to send twice: {error}",
                method=method,
                path=path,
                cause=error,
                attempts=attempts,
            )
        if attempts > 1:
            error.args = (f"{error} (gave up after {attempts} attempts in {elapsed:.1f} s)",)
        return error

    def _observe_limits(self, headers: httpx2.Headers) -> None:
        """Kintone announces the domain's concurrent-request limit on every answer; never exceed it ourselves."""
        limit, _ = concurrency_limit(headers)
        if limit is not None and 0 < limit < self._slots.total_tokens:
            logger.info("Kintone allows %d concurrent requests; lowering this client's limit to it", limit)
            self._slots.total_tokens = limit

    @property
    def concurrency(self) -> tuple[int, int]:
        """(requests in flight now, the current limit)."""
        return self._slots.borrowed_tokens, int(self._slots.total_tokens)

    async def _error_of(
        self, request: httpx2.Request, method: str, response: httpx2.Response, *, stream: bool
    ) -> ApiError:
        try:
            content = await response.aread()
        finally:
            if stream:
                await response.aclose()
        if 300 <= response.status_code < 400:
            return ServerError(
                status=response.status_code,
                message=f"redirected to {response.headers.get('location', '?')}",
                method=method,
                path=request.url.path,
                hint="Kintone does not redirect API calls: check KINTONE_BASE_URL (https://SUBDOMAIN.cybozu.com).",
                redact=self.redact,
            )
        return error_from_response(
            response.status_code,
            content,
            response.headers.get("content-type", ""),
            method=method,
            path=request.url.path,
            redact=self.redact,
        )

    @asynccontextmanager
    async def stream(self, request: httpx2.Request, api: Api) -> AsyncIterator[httpx2.Response]:
        """A successful response whose body is read by the caller, closed on exit. It holds one concurrency slot
        until then: a download in progress is a request in flight."""
        token = object()
        await self._slots.acquire_on_behalf_of(token)
        try:
            response, _ = await self._exchange(
                request, api, idempotent=None, decode=False, stream=True, hold_slot=False
            )
            try:
                yield response
            finally:
                await response.aclose()
        finally:
            self._slots.release_on_behalf_of(token)
