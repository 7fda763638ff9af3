"""The Sandbox object: storage, seed data and the ASGI app that answers like Kintone."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable
from datetime import datetime
from functools import partial
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from kintone_mcp.sandbox import messages
from kintone_mcp.sandbox.access import apitokens, oauthscopes, oauthstore, principals, userapitokens
from kintone_mcp.sandbox.access.apitokens import TOKEN_PERMISSIONS
from kintone_mcp.sandbox.demo import seed
from kintone_mcp.sandbox.endpoints import (
    apps,
    bulk,
    catalog,
    comments,
    cursor,
    files,
    oauth,
    records,
    settings,
    status,
    users,
)
from kintone_mcp.sandbox.errors import ErrorReply
from kintone_mcp.sandbox.http import uploads
from kintone_mcp.sandbox.http.params import Params, parse_query_items
from kintone_mcp.sandbox.http.responses import error_response, json_response
from kintone_mcp.sandbox.http.routing import Api, Endpoint, RequestContext, Router, Services
from kintone_mcp.sandbox.operations import middleware
from kintone_mcp.sandbox.options import SandboxConfig
from kintone_mcp.sandbox.store import database, directory, filestore, spaces
from kintone_mcp.sandbox.store.database import Store
from kintone_mcp.sandbox.store.directory import ADMIN_LOGIN, ADMINISTRATORS_GROUP, DEFAULT_PASSWORD

logger = logging.getLogger(__name__)

_METHODS = ["GET", "POST", "PUT", "DELETE"]


def default_routers() -> list[Router]:
    return [apps.router, settings.router, records.router, users.router, files.router, cursor.router, status.router,
            comments.router, bulk.router, catalog.router]


class Sandbox:
    """A Kintone-compatible server over SQLite. ``asgi_app`` is what to serve or to hand to httpx.ASGITransport."""

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
        self.starlette = Starlette(
            routes=[
                Route("/k/v1/{path:path}", self._kintone, methods=_METHODS),
                Route("/k/guest/{space:int}/v1/{path:path}", self._kintone, methods=_METHODS),
                Route("/v1/{path:path}", self._user_api, methods=_METHODS),
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

    def add_space(self, name: str, *, guest: bool = False, conn: sqlite3.Connection | None = None) -> int:
        with self.store.within(conn) as c:
            return spaces.add_space(c, name, guest=guest)

    def set_allowed_users(self, app: int, logins: list[str] | None) -> None:
        """Restrict an app to these users (None: everyone). Administrator is always allowed."""
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE apps SET allowed_users = ? WHERE id = ?", (None if logins is None else json.dumps(logins), app)
            )

    @property
    def demo_tokens(self) -> dict[int, str]:
        """The full-permission token of each demo app (app id -> token)."""
        with self.store.reading() as conn:
            rows = conn.execute("SELECT app, token FROM api_tokens WHERE demo = 1 ORDER BY app").fetchall()
        return {int(r["app"]): str(r["token"]) for r in rows}

    def open_cursor_count(self) -> int:
        """Cursors (records/cursor.json) open now; tests use it to check that clients delete theirs."""
        return cursor.open_cursor_count(self.services)

    def close(self) -> None:
        self.store.close()

    # -- HTTP ----------------------------------------------------------------------------------------------------

    async def _kintone(self, request: Request) -> Response:
        space = request.path_params.get("space")
        return await self._dispatch(request, "kintone", request.path_params["path"], space)

    async def _user_api(self, request: Request) -> Response:
        return await self._dispatch(request, "user", request.path_params["path"], None)

    async def _dispatch(self, request: Request, api: Api, path: str, guest_space: int | None) -> Response:
        language = _Language(request.headers.get("accept-language"))
        try:
            params = await _read_params(request, self.config.max_file_size)
            endpoint = self.router.resolve(api, request.method, path)
            result = await anyio.to_thread.run_sync(
                partial(
                    self._execute, endpoint, request.method, path, request.headers, params, guest_space, api,
                    str(request.base_url), language,
                )
            )
        except ErrorReply as exc:
            return error_response(exc, language.accept_language)
        except Exception:
            logger.exception("unexpected error in %s %s", request.method, request.url.path)
            return error_response(
                ErrorReply(500, "CB_IL02", "Unexpected error in the sandbox; see its log for details."),
                language.accept_language,
            )
        # Downloads (file.json) answer with the file itself, not JSON.
        return result if isinstance(result, Response) else json_response(result)

    def _execute(
        self,
        endpoint: Endpoint | None,
        method: str,
        path: str,
        headers: Headers,
        params: dict[str, Any],
        guest_space: int | None,
        api: Api = "kintone",
        base_url: str = "",
        language: _Language | None = None,
    ) -> Any:
        principals.check_basic_gate(headers, self.config.basic_auth)
        if endpoint is None or endpoint.auth:
            with self.store.reading() as conn:
                principal = principals.authenticate(
                    conn, headers, basic_gate=self.config.basic_auth is not None, user_api=api == "user",
                    now=self.now(),
                )
        else:
            principal = principals.Principal(scheme="password", login="")
        language = language or _Language(headers.get("accept-language"))
        if principal.scheme in ("password", "oauth") and principal.login:
            with self.store.reading() as conn:
                language.choose_for(conn, principal.login)
        if endpoint is None:
            allowed = self.router.methods(api, path)
            hint = f" It supports {', '.join(allowed)}." if allowed else ""
            raise ErrorReply(404, "CB_NF01", f"The API {method} {path} does not exist in this sandbox.{hint}")
        if principal.uses_token and not endpoint.tokens:
            raise ErrorReply(
                403,
                "GAIA_NO01",
                f"Using this API token, you cannot run the specified API: {endpoint.path} does not accept API "
                "tokens; use password authentication.",
            )
        oauthscopes.check(principal, self.config.oauth, api=endpoint.api, method=endpoint.method, path=endpoint.path)
        with self.store.transaction() if endpoint.writes else self.store.reading() as conn:
            if guest_space is not None:
                _check_guest_path(conn, guest_space)
            ctx = RequestContext(
                services=self.services,
                conn=conn,
                principal=principal,
                params=Params(params),
                guest_space=guest_space,
                now=self.now(),
                accept_language=language.accept_language,
                base_url=base_url,
            )
            return endpoint.handler(ctx)


class _Language:
    """The language of a request's messages: the user's language setting when it names one, else the
    ``Accept-Language`` header (kintone-api.md §7.1). Carried as an Accept-Language value, which is what the message
    functions read; a language setting of "auto" (the default: follow the browser) leaves the header in charge."""

    def __init__(self, header: str | None) -> None:
        self.accept_language = header

    def choose_for(self, conn: sqlite3.Connection, login: str) -> None:
        row = conn.execute("SELECT locale FROM users WHERE code = ?", (login,)).fetchone()
        if row is not None and row["locale"] in messages.SUPPORTED_LANGUAGES:
            self.accept_language = str(row["locale"])


def _check_guest_path(conn: sqlite3.Connection, space: int) -> None:
    # Every /k/guest/{space}/v1/ call needs {space} to be a guest space; without this a regular space's id in a guest
    # path would list (apps.json) or create (preview/app.json) that space's apps.
    row = conn.execute("SELECT is_guest FROM spaces WHERE id = ?", (space,)).fetchone()
    if row is None or not row["is_guest"]:
        raise ErrorReply(
            403,
            "CB_NO02",
            f"No privilege to proceed: there is no guest space {space}. Guest paths (/k/guest/ID/v1/) are for "
            "guest spaces; use /k/v1/ for everything else.",
        )


async def _read_params(request: Request, max_file_size: int) -> dict[str, Any]:
    params = parse_query_items(request.query_params.multi_items())
    if uploads.is_multipart(request.headers):
        params.update(await uploads.read_form(request, max_file_size))
        return params
    body = await request.body()
    if body.strip():
        try:
            decoded = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ErrorReply(
                400, "CB_IJ01", f"The request body is not valid JSON ({exc}); send a JSON object."
            ) from exc
        if not isinstance(decoded, dict):
            raise ErrorReply(400, "CB_IJ01", "The request body must be a JSON object.")
        params.update(decoded)
    return params
