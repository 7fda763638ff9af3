"""OAuth 2.0 for the Kintone REST API: the token endpoint (through authlib's httpx2 integration) and the
``httpx2.Auth`` strategy that signs every request with the stored access token.

:class:`OAuthAuth` keeps the connection signed in without user action:

* every request carries ``Authorization: Bearer``;
* shortly before the access token expires (``refresh_leeway``), the next request refreshes it first;
* a 401 answer is taken as an expired token (Kintone's exact answer is undocumented) and refreshed once, then the
  request is sent again; a second 401 means the sign-in is gone;
* one lock per strategy: when twenty calls meet an expired token at once, one refreshes and the others wait and
  use the result. A refresh is shielded from cancellation, so a rotated refresh token is never lost half-way;
* new tokens go to the token store at once, and before refreshing the store is read again in case another process
  refreshed first (with rotation, ours would already be dead);
* a 403 for a call whose scope the sign-in was not granted becomes :class:`OAuthUnavailable` naming that scope.

Kintone refuses OAuth on the cursor and bulkRequest APIs; ``refuses_cursor_and_bulk`` tells the client to page by
``$id`` and to write in sequential calls of 100 instead.
"""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import AsyncGenerator, Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.to_thread
import httpx2
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from kintone_mcp.auth.oauth_errors import OAuthUnavailable, TokenEndpointError
from kintone_mcp.auth.oauth_scopes import required_scope
from kintone_mcp.auth.oauth_tokens import OAuthTokens
from kintone_mcp.auth.token_store import TokenStore, TokenStoreError

logger = logging.getLogger("kintone_mcp.auth")

#: Where ``kintone-mcp auth login`` receives the redirect unless KINTONE_OAUTH_REDIRECT_URI says otherwise (the
#: sandbox's demo client is registered with the same URI).
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8789/callback"
AUTHORIZATION_PATH = "/oauth2/authorization"
TOKEN_PATH = "/oauth2/token"
#: refresh this many seconds before the access token expires
REFRESH_LEEWAY = 60.0

#: Makes the transport for one token call to the given URL, and says whether the call owns it (closes it after).
TransportFactory = Callable[[str], tuple[httpx2.AsyncBaseTransport, bool]]



def _default_transport(url: str) -> tuple[httpx2.AsyncBaseTransport, bool]:
    # The same verification as the API calls' (auth/tls.py): the system's CA store through Python's ssl, whatever
    # httpx2's own default would be on this platform.
    return httpx2.AsyncHTTPTransport(verify=ssl.create_default_context(), trust_env=False), True


class _Borrowed(httpx2.AsyncBaseTransport):
    """A lent transport (the in-process sandbox in tests): authlib's client sends over it, and closing that client,
    as every token call does, must leave it open for its owner."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        pass


@dataclass(frozen=True)
class OAuthClientConfig:
    """A registered Kintone OAuth client and the domain it belongs to."""

    base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str = DEFAULT_REDIRECT_URI
    scopes: tuple[str, ...] = ()

    @property
    def authorization_url(self) -> str:
        return self.base_url.rstrip("/") + AUTHORIZATION_PATH

    @property
    def token_url(self) -> str:
        return self.base_url.rstrip("/") + TOKEN_PATH


class GrantRefused(Exception):
    """The token endpoint refused the grant (RFC 6749 §5.2); ``error`` is its code (``invalid_grant`` ...)."""

    def __init__(self, error: str, description: str | None) -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description or ""


class OAuthSession:
    """Calls to Kintone's authorization and token endpoints, on authlib's ``AsyncOAuth2Client``.

    A fresh authlib client per call (token calls are rare: one an hour), over the transport ``transport_factory``
    builds: the same TLS, client-certificate and proxy settings as the API calls.
    """

    def __init__(
        self,
        config: OAuthClientConfig,
        *,
        transport_factory: TransportFactory = _default_transport,
        timeout: float = 30.0,
    ) -> None:
        self.config = config
        self._transport_factory = transport_factory
        self._timeout = timeout

    def _client(self) -> AsyncOAuth2Client:
        transport, owned = self._transport_factory(self.config.token_url)
        return AsyncOAuth2Client(
            client_id=self.config.client_id,
            client_secret=self.config.client_secret,
            token_endpoint_auth_method="client_secret_basic",
            redirect_uri=self.config.redirect_uri,
            code_challenge_method="S256",
            transport=transport if owned else _Borrowed(transport),
            timeout=self._timeout,
            trust_env=False,
        )

    def authorization_url(self, *, state: str, code_verifier: str) -> str:
        """Where to send the user's browser. ``state`` is required by Kintone; PKCE (S256) is sent too: harmless
        if Kintone ignores it, protective if it checks it."""
        url = prepare_grant_uri(
            self.config.authorization_url,
            client_id=self.config.client_id,
            response_type="code",
            redirect_uri=self.config.redirect_uri,
            scope=" ".join(self.config.scopes),
            state=state,
            code_challenge=create_s256_code_challenge(code_verifier),
            code_challenge_method="S256",
        )
        return str(url)

    async def exchange_code(self, code: str, *, code_verifier: str) -> dict[str, Any]:
        return await self._token_call(
            lambda c: c.fetch_token(
                self.config.token_url,
                grant_type="authorization_code",
                code=code,
                redirect_uri=self.config.redirect_uri,
                code_verifier=code_verifier,
            )
        )

    async def refresh(self, refresh_token: str) -> dict[str, Any]:
        return await self._token_call(lambda c: c.refresh_token(self.config.token_url, refresh_token=refresh_token))

    async def _token_call(self, call: Callable[[AsyncOAuth2Client], Any]) -> dict[str, Any]:
        client = self._client()
        try:
            token = await call(client)
        except OAuthError as exc:
            raise GrantRefused(str(exc.error or "error"), exc.description) from None
        except httpx2.HTTPStatusError as exc:
            raise TokenEndpointError(
                f"the OAuth token endpoint answered HTTP {exc.response.status_code} without a token; retry later"
            ) from None
        except ValueError:
            raise TokenEndpointError("the OAuth token endpoint's answer is not a token (JSON object)") from None
        finally:
            await client.aclose()
        answer = dict(token)
        if not answer.get("access_token"):
            raise TokenEndpointError("the OAuth token endpoint's answer has no access_token")
        return answer


def new_state() -> str:
    return str(generate_token(32))


def new_code_verifier() -> str:
    # RFC 7636: 43 to 128 characters from the unreserved set.
    return str(generate_token(64))


class OAuthAuth(httpx2.Auth):
    """Signs Kintone REST requests with the OAuth sign-in stored for ``connection`` (see the module docstring)."""

    uses_authorization_header = True
    #: Kintone answers OAuth callers of records/cursor.json and bulkRequest.json with a refusal.
    refuses_cursor_and_bulk = True

    def __init__(
        self,
        session: OAuthSession,
        store: TokenStore,
        connection: str | None,
        *,
        refresh_leeway: float = REFRESH_LEEWAY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.session = session
        self.store = store
        self.connection = connection
        self.store_key = connection or "default"
        self.refresh_leeway = refresh_leeway
        self.clock = clock
        self._tokens: OAuthTokens | None = None
        self._lock: anyio.Lock | None = None
        #: refreshes done by this strategy (tests and diagnostics)
        self.refresh_count = 0

    # --- KintoneAuth ------------------------------------------------------------------------------------------------

    def secret_values(self) -> Sequence[str]:
        values = [self.session.config.client_secret]
        if self._tokens is not None:
            values.append(self._tokens.access_token)
            if self._tokens.refresh_token:
                values.append(self._tokens.refresh_token)
        return values

    def describe(self) -> str:
        where = f" (connection {self.connection!r})" if self.connection else ""
        return f"OAuth client {self.session.config.client_id!r}{where}"

    def __repr__(self) -> str:
        return f"OAuthAuth(client_id={self.session.config.client_id!r}, connection={self.connection!r})"

    @property
    def tokens(self) -> OAuthTokens | None:
        """The tokens in use (None until the first request loads them)."""
        return self._tokens

    # --- httpx2.Auth -------------------------------------------------------------------------------------------------

    def sync_auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
        raise RuntimeError("OAuthAuth refreshes tokens asynchronously: use it with httpx2.AsyncClient")

    async def async_auth_flow(self, request: httpx2.Request) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        tokens = await self._usable_tokens()
        request.headers["Authorization"] = f"Bearer {tokens.access_token}"
        response = yield request
        if response.status_code in (401, 403) and (named := _challenged_scope(response)) is not None:
            raise self._scope_error(named, tokens)
        if response.status_code == 401:
            tokens = await self._refresh_after_rejection(tokens)
            if not isinstance(request.stream, httpx2.ByteStream):
                return  # a streamed upload cannot be sent twice: the caller sees this 401, the next call works
            request.headers["Authorization"] = f"Bearer {tokens.access_token}"
            response = yield request
            if response.status_code == 401:
                raise OAuthUnavailable(
                    "Kintone refused the OAuth access token even after refreshing it: the sign-in was probably "
                    "revoked, or the user lost access.",
                    connection=self.connection,
                )
        if response.status_code == 403:
            # Kintone's insufficient-scope answer is undocumented: without a challenge naming the scope, a 403 for
            # a call whose scope the sign-in lacks is taken as that.
            method = request.headers.get("X-HTTP-Method-Override", request.method)
            needed = required_scope(method, request.url.path)
            if needed is not None and tokens.scopes and needed not in tokens.scopes:
                raise self._scope_error(needed, tokens)

    def _scope_error(self, scope: str, tokens: OAuthTokens) -> OAuthUnavailable:
        return OAuthUnavailable(
            f"This call needs the OAuth scope {scope}, which this sign-in was not granted "
            f"(granted: {', '.join(tokens.scopes) or 'none'}).",
            connection=self.connection,
            missing_scope=scope,
        )

    # --- tokens -----------------------------------------------------------------------------------------------------

    def _get_lock(self) -> anyio.Lock:
        # Created on first use, inside the event loop that will use it.
        if self._lock is None:
            self._lock = anyio.Lock()
        return self._lock

    async def _load(self) -> OAuthTokens | None:
        try:
            tokens = await anyio.to_thread.run_sync(self.store.load, self.store_key)
        except TokenStoreError as exc:
            raise OAuthUnavailable(
                f"The stored OAuth sign-in cannot be read: {exc}.", connection=self.connection
            ) from None
        if tokens is not None:
            self._check_belongs_here(tokens)
        return tokens

    def _check_belongs_here(self, tokens: OAuthTokens) -> None:
        config = self.session.config
        if tokens.base_url.rstrip("/") != config.base_url.rstrip("/") or tokens.client_id != config.client_id:
            raise OAuthUnavailable(
                f"The stored OAuth sign-in for this connection was made for {tokens.base_url} with client "
                f"{tokens.client_id!r}, not {config.base_url} with client {config.client_id!r}.",
                connection=self.connection,
            )

    async def _usable_tokens(self) -> OAuthTokens:
        if self._tokens is None:
            async with self._get_lock():
                if self._tokens is None:
                    self._tokens = await self._load()
                if self._tokens is None:
                    raise OAuthUnavailable(
                        f"Not signed in: no OAuth tokens are stored for this connection ({self.store.describe()}).",
                        connection=self.connection,
                    )
        tokens = self._tokens
        now = self.clock()
        if tokens.expires_within(self.refresh_leeway, now):
            still_valid = not tokens.expires_within(0, now)
            if tokens.refresh_token or not still_valid:
                async with self._get_lock():
                    # Whoever held the lock before us may have refreshed already.
                    if self._tokens is tokens:
                        try:
                            await self._refresh_locked()
                        except httpx2.TransportError as exc:
                            if not still_valid:
                                raise
                            # Refreshing early is a courtesy: the token works for a few seconds more.
                            logger.warning("could not refresh the OAuth token early (%s); using it until it expires",
                                           type(exc).__name__)
        assert self._tokens is not None
        return self._tokens

    async def _refresh_after_rejection(self, sent: OAuthTokens) -> OAuthTokens:
        async with self._get_lock():
            if self._tokens is not None and self._tokens.access_token == sent.access_token:
                await self._refresh_locked(rejected=True)
        assert self._tokens is not None
        return self._tokens

    async def _refresh_locked(self, *, rejected: bool = False) -> None:
        with anyio.CancelScope(shield=True):
            await self._refresh_shielded(rejected)

    async def _refresh_shielded(self, rejected: bool) -> None:
        current = self._tokens
        assert current is not None
        try:
            stored = await self._load()
        except OAuthUnavailable as exc:
            # The tokens in memory still work; an unreadable store only loses what other processes did.
            logger.warning("could not re-read the OAuth token store before refreshing: %s", exc.reason)
            stored = None
        if (
            stored is not None
            and stored.access_token != current.access_token
            and not stored.expires_within(self.refresh_leeway, self.clock())
        ):
            logger.info("using OAuth tokens refreshed by another process")
            self._tokens = stored
            return
        if stored is not None and stored.refresh_token and stored.refresh_token != current.refresh_token:
            current = stored  # another process rotated the refresh token; ours is spent
        if not current.refresh_token:
            raise OAuthUnavailable(
                "The OAuth access token " + ("was refused" if rejected else "expired")
                + " and Kintone gave no refresh token to renew it.",
                connection=self.connection,
            )
        try:
            answer = await self.session.refresh(current.refresh_token)
        except GrantRefused as exc:
            if exc.error == "invalid_client":
                raise OAuthUnavailable(
                    "Kintone refused the OAuth client credentials while refreshing the sign-in.",
                    connection=self.connection,
                    fix="Check KINTONE_OAUTH_CLIENT_ID and KINTONE_OAUTH_CLIENT_SECRET against the client registered "
                    "in Kintone (User & System Administration > OAuth).",
                ) from None
            raise OAuthUnavailable(
                f"The OAuth sign-in has expired or was revoked (Kintone refused the refresh token: {exc.error}).",
                connection=self.connection,
            ) from None
        refreshed = current.with_answer(answer, self.clock())
        self._tokens = refreshed
        self.refresh_count += 1
        logger.info("refreshed the OAuth access token of %s", self.describe())
        try:
            await anyio.to_thread.run_sync(self.store.save, self.store_key, refreshed)
        except TokenStoreError as exc:
            logger.warning("could not save the refreshed OAuth tokens (%s); this process keeps using them", exc)


def _challenged_scope(response: httpx2.Response) -> str | None:
    """The scope named by an RFC 6750 ``insufficient_scope`` challenge, if the answer carries one."""
    challenge = response.headers.get("www-authenticate", "")
    if "insufficient_scope" not in challenge:
        return None
    for part in challenge.split(","):
        name, _, value = part.strip().partition("=")
        if name.strip().lower().endswith("scope") and "error" not in name.lower():
            named: list[str] = value.strip().strip('"').split()
            if named:
                return named[0]
    return None
