"""The :class:`KintoneClient`: one object, one connection pool, every operation."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType

import httpx2

from kintone_mcp.auth.base import Credentials
from kintone_mcp.client import oauth_fallback
from kintone_mcp.client.comments import CommentsMixin
from kintone_mcp.client.connection import DEFAULT_MAX_CONCURRENCY, Connection
from kintone_mcp.client.cursor import CursorMixin
from kintone_mcp.client.directory import DirectoryMixin
from kintone_mcp.client.files import FilesMixin
from kintone_mcp.client.records import RecordsMixin
from kintone_mcp.client.retry import RetryPolicy
from kintone_mcp.client.space_api import SpacesMixin
from kintone_mcp.redaction import SecretRedactor


class KintoneClient(RecordsMixin, CursorMixin, CommentsMixin, FilesMixin, DirectoryMixin, SpacesMixin):
    """An async Kintone client. Use it as an async context manager, or call :meth:`aclose`.

    ``base_url`` is ``https://SUBDOMAIN.cybozu.com`` (or ``.kintone.com``, ``.cybozu.cn``, a sandbox's
    ``http://127.0.0.1:PORT``). ``credentials`` pairs the REST API strategy with the User API one (see
    :class:`kintone_mcp.auth.Credentials`). ``guest_space_id`` switches REST paths to ``/k/guest/{id}/v1/``.
    ``transport`` replaces the network (tests pass ``httpx2.ASGITransport(app=sandbox.asgi_app)``); ``mounts``
    route schemes to other transports (the HTTPS proxy). ``retry_policy`` decides on retries (default: none;
    :class:`~kintone_mcp.client.retry.BackoffRetry` is what ``build_client`` configures). ``timeout`` bounds one
    request (float: seconds from sending to the last byte of the answer; an ``httpx2.Timeout`` sets connect / read
    / write / pool apart, its read value bounding the whole answer). ``max_concurrency`` caps the requests this
    client has in flight at once, all callers together (Kintone allows 100 per domain, shared by every client);
    ``max_open_cursors`` the cursors it holds open at once (Kintone allows 10 per domain; default: no own limit).
    """

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
        self._conn = Connection(
            base_url,
            credentials=credentials,
            guest_space_id=guest_space_id,
            transport=transport,
            mounts=mounts,
            timeout=timeout,
            retry_policy=retry_policy,
            max_concurrency=max_concurrency,
            max_open_cursors=max_open_cursors,
        )
        self._related_apps = {}

    @property
    def base_url(self) -> str:
        return self._conn.base_url

    @property
    def guest_space_id(self) -> int | None:
        return self._conn.guest_space_id

    @property
    def credentials(self) -> Credentials:
        return self._conn.credentials

    @property
    def has_rest_credentials(self) -> bool:
        return self._conn.credentials.rest is not None

    @property
    def has_user_api_credentials(self) -> bool:
        return self._conn.credentials.user_api is not None

    @property
    def refuses_cursor_and_bulk(self) -> bool:
        """True under OAuth, which Kintone refuses on the cursor and bulkRequest APIs: reads then page by ``$id``
        and writes of more than 100 records go as sequential calls of 100 (see ``oauth_fallback``)."""
        return oauth_fallback.refuses_cursor_and_bulk(self._conn)

    @property
    def redactor(self) -> SecretRedactor:
        """Masks this client's secrets in text (the server applies it to every log record)."""
        return self._conn.redactor

    @property
    def retry_policy(self) -> RetryPolicy:
        return self._conn.retry_policy

    def describe_credentials(self) -> str:
        """Which credentials serve which API, without secrets (for ``check`` and error reports)."""
        creds = self._conn.credentials
        return f"REST API: {creds.describe('rest')}; User API: {creds.describe('user')}"

    async def probe(self) -> int:
        """The HTTP status of one request sent without credentials; NetworkError when the host does not answer (or
        its certificate does not verify). Tells whether the address answers when no authenticated request can be
        sent (API tokens that name no app)."""
        return await self._conn.probe()

    async def aclose(self) -> None:
        await self._conn.aclose()

    async def __aenter__(self) -> KintoneClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        space = f", guest_space_id={self.guest_space_id}" if self.guest_space_id is not None else ""
        return f"KintoneClient({self.base_url!r}{space})"
