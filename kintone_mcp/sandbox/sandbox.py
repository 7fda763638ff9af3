"""The Sandbox object: wires storage, seed data, the endpoints and the operational wrapper into the ASGI app that
answers like Kintone."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime

from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp

from kintone_mcp.sandbox.access import apitokens, oauthstore, userapitokens
from kintone_mcp.sandbox.access.apitokens import TOKEN_PERMISSIONS
from kintone_mcp.sandbox.demo import seed
from kintone_mcp.sandbox.endpoints import (
    apps,
    bulk,
    catalog,
    comments,
    cursor,
    files,
    guests,
    oauth,
    permissions,
    records,
    search,
    settings,
    status,
    threads,
    users,
)
from kintone_mcp.sandbox.endpoints import spaces as spaces_api
from kintone_mcp.sandbox.http.dispatch import Dispatcher
from kintone_mcp.sandbox.http.routing import Router, Services
from kintone_mcp.sandbox.operations import middleware
from kintone_mcp.sandbox.options import SandboxConfig
from kintone_mcp.sandbox.store import appstore, database, directory, filestore, spaces
from kintone_mcp.sandbox.store.database import Store
from kintone_mcp.sandbox.store.directory import ADMIN_LOGIN, ADMINISTRATORS_GROUP, DEFAULT_PASSWORD

_METHODS = ["GET", "POST", "PUT", "DELETE"]


def default_routers() -> list[Router]:
    return [apps.router, settings.router, permissions.router, records.router, users.router, files.router,
            cursor.router, status.router, comments.router, bulk.router, catalog.router, spaces_api.router,
            threads.router, search.router, guests.router]


class Sandbox:
    """A Kintone-compatible server over SQLite. ``asgi_app`` is what to serve or to hand to httpx2.ASGITransport."""

    def __init__(self, config: SandboxConfig | None = None, *, routers: Iterable[Router] | None = None) -> None:
        self.config = config or SandboxConfig()
        self.store = Store(self.config.db_path)
        #: Files being downloaded right now (a record write that lets go of one leaves it until the download ends).
        self.downloads = filestore.Downloads()
        self.router = Router()
        self.router.include(default_routers() if routers is None else routers)
        #: What request handlers get of this sandbox (instead of the sandbox itself).
        self.services = Services(config=self.config, store=self.store, downloads=self.downloads, router=self.router)
        self._bootstrap()
        dispatcher = Dispatcher(self.services)
        self.starlette = Starlette(
            routes=[
                Route("/k/v1/{path:path}", dispatcher.kintone, methods=_METHODS),
                Route("/k/guest/{space:int}/v1/{path:path}", dispatcher.kintone, methods=_METHODS),
                Route("/v1/{path:path}", dispatcher.user_api, methods=_METHODS),
                *oauth.routes(self.services),
            ]
        )
        self.asgi_app: ASGIApp = middleware.wrap(self.starlette, self.config.operations)

    # -- clock ---------------------------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.services.now()

    def now_text(self) -> str:
        return self.services.now_text()

    # -- setup ---------------------------------------------------------------------------------------------------

    def _bootstrap(self) -> None:
        now = self.now_text()
        fresh = self.store.get_meta("initialized") is None
        #: Whether this start created the database (False when --db named an existing file).
        self.fresh = fresh
        with self.store.transaction() as conn:
            # Files dropped while a download was still reading them, left over from the last run of this database.
            filestore.purge_dropped(conn, self.downloads)
            if fresh:
                database.set_meta(conn, "initialized", now)
                directory.upsert_user(conn, ADMIN_LOGIN, DEFAULT_PASSWORD, name="Administrator", now=now)
                directory.add_group(conn, ADMINISTRATORS_GROUP, "Administrators", [ADMIN_LOGIN])
                if self.config.demo:
                    seed.seed(conn, self.config)
            for user in self.config.users:
                directory.upsert_user(
                    conn,
                    user.login,
                    user.password,
                    name=user.name,
                    now=now,
                    timezone=user.timezone,
                    primary_org=user.primary_organization,
                )
            for token in self.config.api_tokens:
                self.add_api_token(token.app, token.token, token.permissions, conn=conn)
            for user_token in self.config.user_api_tokens:
                userapitokens.add(conn, user_token.token, user_token.scope, user_token.expires)
            if fresh and self.config.demo and not self.config.user_api_tokens:
                userapitokens.add(conn, userapitokens.demo_token(self.config.seed), "read", demo=True)
            oauthstore.register_configured(
                conn, self.config.oauth, seed_demo=fresh and self.config.demo, seed=self.config.seed
            )

    def add_api_token(
        self,
        app: int,
        token: str,
        permissions: Iterable[str] = TOKEN_PERMISSIONS,
        *,
        demo: bool = False,
        conn: sqlite3.Connection | None = None,
    ) -> None:
        with self.store.within(conn) as c:
            apitokens.add(c, app, token, permissions, demo=demo)

    def add_user_api_token(
        self,
        token: str,
        scope: str = "read",
        expires: datetime | None = None,
        *,
        conn: sqlite3.Connection | None = None,
    ) -> None:
        """Issue a cybozu.com User API token (``Authorization: Bearer``, /v1/ only); ``scope`` in USER_API_SCOPES."""
        with self.store.within(conn) as c:
            userapitokens.add(c, token, scope, expires)

    def revoke_user_api_token(self, token: str) -> bool:
        with self.store.transaction() as conn:
            return userapitokens.revoke(conn, token)

    @property
    def demo_user_api_token(self) -> str | None:
        """The read-scope User API token minted for demo data (None without demo data or when tokens were given)."""
        with self.store.reading() as conn:
            return userapitokens.demo(conn)

    def add_user(
        self,
        login: str,
        password: str = DEFAULT_PASSWORD,
        *,
        name: str | None = None,
        timezone: str = "Asia/Tokyo",
        primary_organization: str | None = None,
    ) -> None:
        with self.store.transaction() as conn:
            directory.upsert_user(
                conn, login, password, name=name, now=self.now_text(), timezone=timezone,
                primary_org=primary_organization,
            )

    def add_space(
        self, name: str, *, guest: bool = False, private: bool = False, conn: sqlite3.Connection | None = None
    ) -> int:
        """A space whose only member and admin is the Administrator."""
        with self.store.within(conn) as c:
            return spaces.add_space(c, name, guest=guest, private=private, now=self.now_text())

    def set_allowed_users(self, app: int, logins: list[str] | None) -> None:
        """Restrict an app to these users (None: everyone). Administrator is always allowed."""
        with self.store.transaction() as conn:
            appstore.set_allowed_users(conn, app, logins)

    @property
    def demo_tokens(self) -> dict[int, str]:
        """The full-permission token of each demo app (app id -> token)."""
        with self.store.reading() as conn:
            return apitokens.demo_tokens(conn)

    def open_cursor_count(self) -> int:
        """Cursors (records/cursor.json) open now; tests use it to check that clients delete theirs."""
        return cursor.open_cursor_count(self.services)

    def close(self) -> None:
        self.store.close()
