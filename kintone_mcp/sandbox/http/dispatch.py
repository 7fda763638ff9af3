"""From an HTTP request to a handler's answer: reading the parameters, authenticating the caller, choosing the
language of messages, checking tokens, OAuth scopes and guest paths, then running the handler in a worker thread
inside one transaction (or read lock), and turning its result or ``ErrorReply`` into a Kintone-shaped response."""

from __future__ import annotations

import json
import logging
import sqlite3
from functools import partial
from typing import Any

import anyio.to_thread
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response

from kintone_mcp.sandbox import messages
from kintone_mcp.sandbox.access import oauthscopes, principals
from kintone_mcp.sandbox.errors import ErrorReply
from kintone_mcp.sandbox.http import uploads
from kintone_mcp.sandbox.http.params import Params, parse_query_items
from kintone_mcp.sandbox.http.responses import error_response, json_response
from kintone_mcp.sandbox.http.routing import Api, Endpoint, RequestContext, Services
from kintone_mcp.sandbox.store import directory, spaces

logger = logging.getLogger(__name__)


class Dispatcher:
    """Answers the Kintone REST API (``/k/v1/``, ``/k/guest/{space}/v1/``) and the User API (``/v1/``) of one
    sandbox."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def kintone(self, request: Request) -> Response:
        space = request.path_params.get("space")
        return await self.dispatch(request, "kintone", request.path_params["path"], space)

    async def user_api(self, request: Request) -> Response:
        return await self.dispatch(request, "user", request.path_params["path"], None)

    async def dispatch(self, request: Request, api: Api, path: str, guest_space: int | None) -> Response:
        language = _Language(request.headers.get("accept-language"))
        try:
            params = await _read_params(request, self.services.config.max_file_size)
            endpoint = self.services.router.resolve(api, request.method, path)
            result = await anyio.to_thread.run_sync(
                partial(
                    self.execute, endpoint, request.method, path, request.headers, params, guest_space, api,
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

    def execute(
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
        principals.check_basic_gate(headers, self.services.config.basic_auth)
        if endpoint is None or endpoint.auth:
            with self.services.store.reading() as conn:
                principal = principals.authenticate(
                    conn, headers, basic_gate=self.services.config.basic_auth is not None, user_api=api == "user",
                    now=self.services.now(),
                )
        else:
            principal = principals.Principal(scheme="password", login="")
        language = language or _Language(headers.get("accept-language"))
        if principal.scheme in ("password", "oauth") and principal.login:
            with self.services.store.reading() as conn:
                language.choose_for(conn, principal.login)
        if endpoint is None:
            allowed = self.services.router.methods(api, path)
            hint = f" It supports {', '.join(allowed)}." if allowed else ""
            raise ErrorReply(404, "CB_NF01", f"The API {method} {path} does not exist in this sandbox.{hint}")
        if principal.uses_token and not endpoint.tokens:
            raise ErrorReply(
                403,
                "GAIA_NO01",
                f"Using this API token, you cannot run the specified API: {endpoint.path} does not accept API "
                "tokens; use password authentication.",
            )
        oauthscopes.check(
            principal, self.services.config.oauth, api=endpoint.api, method=endpoint.method, path=endpoint.path
        )
        with self.services.store.transaction() if endpoint.writes else self.services.store.reading() as conn:
            if guest_space is not None:
                _check_guest_path(conn, guest_space)
            ctx = RequestContext(
                services=self.services,
                conn=conn,
                principal=principal,
                params=Params(params),
                guest_space=guest_space,
                now=self.services.now(),
                accept_language=language.accept_language,
                base_url=base_url,
            )
            return endpoint.handler(ctx)


class _Language:
    """The language of a request's messages: the user's language setting when it names one, else the
    ``Accept-Language`` header (docs/kintone-api.md §7.1). Carried as an Accept-Language value, which is what the
    message functions read; a language setting of "auto" (the default: follow the browser) leaves the header in
    charge."""

    def __init__(self, header: str | None) -> None:
        self.accept_language = header

    def choose_for(self, conn: sqlite3.Connection, login: str) -> None:
        locale = directory.user_locale(conn, login)
        if locale in messages.SUPPORTED_LANGUAGES:
            self.accept_language = locale


def _check_guest_path(conn: sqlite3.Connection, space: int) -> None:
    # Every /k/guest/{space}/v1/ call needs {space} to be a guest space; without this a regular space's id in a guest
    # path would list (apps.json) or create (preview/app.json) that space's apps.
    if not spaces.is_guest_space(conn, space):
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
