"""The one place that talks HTTP: paths, parameter encoding, authentication per API, errors, the retry seam.

Every operation module (apps, records, files, ...) goes through :class:`Connection`; none builds a URL or touches
a header itself.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Literal, Protocol
from urllib.parse import quote, urlencode

import anyio
import httpx

from kintone_mcp import __version__
from kintone_mcp.auth.base import APPS_EXTENSION, Credentials
from kintone_mcp.auth.errors import CredentialsUnavailable
from kintone_mcp.auth.oauth_errors import OAuthUnavailable
from kintone_mcp.client.errors import (
    ApiError,
    CredentialsError,
    CredentialsMissingError,
    KintoneError,
    NetworkError,
    OAuthLoginRequiredError,
    ServerError,
    error_from_response,
)

logger = logging.getLogger("kintone_mcp.client")

Api = Literal["rest", "user"]

USER_AGENT = f"kintone-mcp/{__version__}"
#: js-sdk switches long GETs to POST + X-HTTP-Method-Override past this many characters of URL (limit ~8 KB)
MAX_GET_URL_LENGTH = 4096
#: secrets at least this long are scrubbed from error text that Kintone (or a proxy) sends back
MIN_REDACTED_LENGTH = 8
#: endpoints that exist only on the normal path, even for a connection configured with a guest space
_NO_GUEST_FORM = frozenset({"apps/statistics", "spaces/statistics", "guests", "template/space"})


class RetryPolicy(Protocol):
    """Decides whether a failed request is sent again. The default never retries; the retry issue adds one.

    Called after each failure with the 1-based attempt number, the HTTP method and the error (``error.retryable``
    says whether Kintone's answer allows it). Return the delay in seconds before the next attempt, or None to
    give up and raise. Requests with a streamed body (file uploads) are never retried.
    """

    def delay_before_retry(self, attempt: int, method: str, error: KintoneError) -> float | None: ...


class NoRetry:
    def delay_before_retry(self, attempt: int, method: str, error: KintoneError) -> float | None:
        return None


QueryPairs = list[tuple[str, str | int | float | bool | None]]


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
        transport: httpx.AsyncBaseTransport | None = None,
        mounts: Mapping[str, httpx.AsyncBaseTransport] | None = None,
        timeout: float | httpx.Timeout = 60.0,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        url = httpx.URL(base_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"the Kintone base URL must be http(s)://host, got {base_url!r}")
        self.base_url = str(url.copy_with(query=None, fragment=None)).rstrip("/")
        self.credentials = credentials
        self.guest_space_id = guest_space_id
        self.retry_policy: RetryPolicy = retry_policy or NoRetry()
        # Scrubbing is a second line of defence (messages are never built from what we send). Secrets shorter than
        # 8 characters are left out: replacing every "sandbox" in Kintone's text would garble it for no gain.
        self._secrets = sorted(
            {s for s in credentials.secret_values() if len(s) >= MIN_REDACTED_LENGTH}, key=len, reverse=True
        )
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            mounts=dict(mounts) if mounts else None,
            headers={"User-Agent": USER_AGENT},
            timeout=timeout,
            trust_env=False,  # config.py is the only reader of the environment (HTTPS_PROXY etc.)
            follow_redirects=False,
        )

    # --- lifecycle ----------------------------------------------------------------------------------------------

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def closed(self) -> bool:
        return self._http.is_closed

    # --- paths --------------------------------------------------------------------------------------------------

    def rest_path(self, endpoint: str, *, preview: bool = False) -> str:
        """``/k/v1/{endpoint}.json``, or ``/k/guest/{id}/v1/...`` when the connection is in a guest space."""
        prefix = "preview/" if preview else ""
        if self.guest_space_id is not None and endpoint not in _NO_GUEST_FORM:
            return f"/k/guest/{self.guest_space_id}/v1/{prefix}{endpoint}.json"
        return f"/k/v1/{prefix}{endpoint}.json"

    @staticmethod
    def user_api_path(endpoint: str) -> str:
        return f"/v1/{endpoint}.json"

    def path(self, api: Api, endpoint: str) -> str:
        return self.rest_path(endpoint) if api == "rest" else self.user_api_path(endpoint)

    # --- secrets ------------------------------------------------------------------------------------------------

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, "***")
        return text

    def _auth_for(self, api: Api) -> httpx.Auth:
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
    ) -> httpx.Request:
        """A GET goes with its parameters in the query string unless they cannot be written there or the URL
        would exceed :data:`MAX_GET_URL_LENGTH`: then it is a POST with ``X-HTTP-Method-Override: GET`` and a
        JSON body, which Kintone accepts for every GET endpoint."""
        path = self.path(api, endpoint)
        extensions = {APPS_EXTENSION: tuple(apps)}
        headers: dict[str, str] = {}
        if method == "GET" and params:
            pairs = encode_query_params(params)
            if pairs is not None:
                length = len(self.base_url) + len(path) + 1 + len(urlencode(pairs, quote_via=quote))
                if length <= MAX_GET_URL_LENGTH:
                    return self._http.build_request(
                        "GET", path, params=httpx.QueryParams(pairs), headers=headers, extensions=extensions
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
    ) -> Any:
        """Sends one request and returns the decoded JSON answer; raises the typed error otherwise."""
        data, _ = await self.call_with_headers(method, api, endpoint, params=params, body=body, apps=apps)
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
    ) -> tuple[Any, httpx.Headers]:
        request = self.build_request(method, api, endpoint, params=params, body=body, apps=apps)
        response = await self.send(request, api)
        try:
            return response.json(), response.headers
        except ValueError:
            raise ServerError(
                status=response.status_code,
                message="the answer is not JSON",
                method=request.method,
                path=request.url.path,
                hint="Check that KINTONE_BASE_URL points at Kintone (not a login page or proxy).",
                redact=self.redact,
            ) from None

    async def send(self, request: httpx.Request, api: Api, *, stream: bool = False) -> httpx.Response:
        """Sends ``request`` with ``api``'s credentials; on an error answer raises the mapped exception.

        With ``stream=True`` a successful response is returned unread (the caller must close it).
        """
        auth = self._auth_for(api)
        attempt = 0
        # A body held in memory can be sent again; a streamed upload cannot.
        replayable = isinstance(request.stream, httpx.ByteStream)
        while True:
            attempt += 1
            error: KintoneError
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
            except httpx.TimeoutException as exc:
                error = NetworkError(
                    f"Kintone did not answer {request.method} {request.url.path} in time "
                    f"({type(exc).__name__}). Check the network, or retry later."
                )
            except httpx.TransportError as exc:
                error = NetworkError(
                    self.redact(
                        f"Could not reach Kintone at {self.base_url} for {request.method} {request.url.path}: "
                        f"{type(exc).__name__}: {exc}. Check KINTONE_BASE_URL, the network, KINTONE_CA_BUNDLE "
                        "and HTTPS_PROXY."
                    )
                )
            else:
                if response.status_code < 300:
                    return response
                error = await self._error_of(request, response, stream=stream)
            delay = self.retry_policy.delay_before_retry(attempt, request.method, error) if replayable else None
            if delay is None:
                raise error
            logger.info("retrying %s %s in %.1fs after: %s", request.method, request.url.path, delay, error)
            await anyio.sleep(delay)

    async def _error_of(self, request: httpx.Request, response: httpx.Response, *, stream: bool) -> ApiError:
        try:
            content = await response.aread()
        finally:
            if stream:
                await response.aclose()
        method = request.headers.get("X-HTTP-Method-Override", request.method)
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
    async def stream(self, request: httpx.Request, api: Api) -> AsyncIterator[httpx.Response]:
        """A successful response whose body is read by the caller, closed on exit."""
        response = await self.send(request, api, stream=True)
        try:
            yield response
        finally:
            await response.aclose()
