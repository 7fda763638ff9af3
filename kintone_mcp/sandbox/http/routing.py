"""How endpoints are declared and what a handler receives.

An endpoint module owns a ``Router`` and declares its handlers on it::

    router = Router()

    @router.route("GET", "record.json")
    def get_record(ctx: RequestContext) -> dict[str, Any]:
        app = ctx.app_param("view")
        ...

Paths are written without the ``/k/v1/`` or ``/k/guest/{id}/v1/`` prefix (``preview/app.json`` for preview
settings); the sandbox serves each ``kintone`` endpoint under both prefixes. ``api="user"`` endpoints are served
under ``/v1/`` (the cybozu.com User API).

Handlers are synchronous: they run in a worker thread, inside one database transaction for writes (``writes``
defaults to True for every method but GET), so a handler that raises leaves nothing behind. A bulk request can
call other handlers through ``Router.resolve`` within its own transaction; nested transactions are savepoints.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from kintone_mcp.sandbox.access.permissions import Permission, check_app_permission
from kintone_mcp.sandbox.access.principals import Principal
from kintone_mcp.sandbox.errors import ErrorReply, invalid
from kintone_mcp.sandbox.http.params import Params
from kintone_mcp.sandbox.options import SandboxConfig
from kintone_mcp.sandbox.records.context import RecordContext
from kintone_mcp.sandbox.store import appstore, spaces
from kintone_mcp.sandbox.store.appstore import AppInfo
from kintone_mcp.sandbox.store.database import Store
from kintone_mcp.sandbox.store.directory import ADMIN_LOGIN
from kintone_mcp.sandbox.store.filestore import Downloads

Api = Literal["kintone", "user"]
Handler = Callable[["RequestContext"], Any]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    api: Api = "kintone"
    #: Whether app API tokens may call it at all (apps.json and the space APIs refuse them).
    tokens: bool = True
    writes: bool = True
    #: Whether the request needs credentials (apis.json does not).
    auth: bool = True


class Router:
    def __init__(self) -> None:
        self._endpoints: dict[tuple[Api, str, str], Endpoint] = {}

    def route(
        self,
        method: str,
        path: str,
        *,
        api: Api = "kintone",
        tokens: bool = True,
        writes: bool | None = None,
        auth: bool = True,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            endpoint = Endpoint(
                method=method.upper(),
                path=path,
                handler=handler,
                api=api,
                tokens=tokens,
                writes=(method.upper() != "GET") if writes is None else writes,
                auth=auth,
            )
            self.add(endpoint)
            return handler

        return register

    def add(self, endpoint: Endpoint) -> None:
        key = (endpoint.api, endpoint.method, endpoint.path)
        if key in self._endpoints:
            raise ValueError(f"endpoint {endpoint.method} {endpoint.path} is declared twice")
        self._endpoints[key] = endpoint

    def include(self, routers: Iterable[Router]) -> None:
        for router in routers:
            for endpoint in router._endpoints.values():
                self.add(endpoint)

    def resolve(self, api: Api, method: str, path: str) -> Endpoint | None:
        return self._endpoints.get((api, method.upper(), path))

    def methods(self, api: Api, path: str) -> list[str]:
        return sorted(m for (a, m, p) in self._endpoints if a == api and p == path)

    def endpoints(self) -> list[Endpoint]:
        return list(self._endpoints.values())


def format_time(moment: datetime) -> str:
    """Kintone's timestamp form: UTC, minute precision."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:00Z")


@dataclass(frozen=True, eq=False)
class Services:
    """The long-lived parts of one sandbox that handlers may use, built once by ``Sandbox``: its configuration and
    clock, the database, the files being downloaded, and the router (bulk requests and apis.json look endpoints up)."""

    config: SandboxConfig
    store: Store
    #: Files being downloaded right now (a record write that lets go of one leaves it until the download ends).
    downloads: Downloads
    router: Router
    #: app -> monotonic time its running deploy reports done (SandboxConfig.deploy_seconds)
    deploys: dict[int, float] = field(default_factory=dict)

    def now(self) -> datetime:
        moment = self.config.clock() if self.config.clock is not None else datetime.now(UTC)
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

    def now_text(self) -> str:
        return format_time(self.now())


@dataclass
class RequestContext:
    """Everything a handler may use. ``conn`` is inside the request's transaction (or read lock)."""

    services: Services
    conn: sqlite3.Connection
    principal: Principal
    params: Params
    guest_space: int | None
    now: datetime
    accept_language: str | None = None
    #: The scheme, host and port the request came to, ending in "/" (``http://127.0.0.1:8787/``).
    base_url: str = ""

    @property
    def login(self) -> str:
        return self.principal.login

    @property
    def lenient_operators(self) -> bool:
        """Whether queries may use the operators whose support by Kintone is unconfirmed (SandboxConfig)."""
        return self.services.config.lenient_operators

    def record_context(self) -> RecordContext:
        """What record logic needs of this request (the record timestamp is read from the clock now)."""
        config = self.services.config
        return RecordContext(
            conn=self.conn,
            principal=self.principal,
            now=self.now,
            now_text=self.services.now_text(),
            downloads=self.services.downloads,
            upload_retention=config.upload_retention,
            subtable_default_row=config.subtable_default_row,
        )

    def app_param(self, permission: Permission | tuple[Permission, ...], name: str = "app") -> AppInfo:
        """The app named by the request parameter ``name``, loaded and checked as ``app`` does. Kintone refuses an id
        below 1 as invalid input rather than as an unknown app."""
        app_id = self.params.require_int(name)
        if app_id < 1:
            raise invalid(name, "must be greater than or equal to 1")
        return self.app(app_id, permission)

    def app(self, app_id: int, permission: Permission | tuple[Permission, ...]) -> AppInfo:
        """Load an app the caller may use with ``permission``, checking guest-space paths (§1) and tokens (§2)."""
        info = appstore.load_app(self.conn, app_id)
        if info is None:
            raise ErrorReply(
                404,
                "GAIA_AP01",
                f"The app (ID: {app_id}) is not found, or it has been deleted.",
                params={"app": app_id},
            )
        self.check_space(info)
        self.check_permission(info, permission)
        return info

    def check_space(self, info: AppInfo) -> None:
        app_guest_space = spaces.guest_space_of(self.conn, info)
        if app_guest_space is not None and self.guest_space is None:
            raise ErrorReply(
                400,
                "GAIA_IL23",
                f"The app (ID: {info.id}) is in guest space {app_guest_space}: "
                f"call it through /k/guest/{app_guest_space}/v1/.",
                params={"space": app_guest_space},
            )
        if self.guest_space is not None and app_guest_space != self.guest_space:
            raise ErrorReply(
                403,
                "CB_NO02",
                f"No privilege to proceed: the app (ID: {info.id}) is not in guest space {self.guest_space}.",
            )

    def check_permission(self, info: AppInfo, permission: Permission | tuple[Permission, ...]) -> None:
        check_app_permission(self.principal, info, permission)

    @property
    def is_admin(self) -> bool:
        """The Administrator user (or a token, which acts as Administrator) manages every app."""
        return self.principal.login == ADMIN_LOGIN
