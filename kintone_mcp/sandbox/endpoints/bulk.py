"""bulkRequest.json: up to 20 record writes, across apps, as one transaction (docs/kintone-api.md §4.4).

Each sub-request names a full path (``/k/v1/record.json`` or ``/k/guest/{space}/v1/record.json``) and runs through
the same handler as a direct call, with the outer request's credentials (so an API token's permissions apply per
app) and inside the outer request's transaction, each in its own savepoint. The first failure stops the run and
answers with that sub-request's HTTP status and ``{"results": [{}, {code, id, message, errors?}, {}, ...]}``: the
failing position holds its error, every other position ``{}``; nothing is committed. OAuth is refused.

A malformed envelope (no requests, more than 20, a method/API pair bulkRequest does not run, a bad path or payload)
is refused as a whole with CB_VA01 before anything runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kintone_mcp.sandbox.access.oauthscopes import refuse_oauth
from kintone_mcp.sandbox.errors import ErrorReply, invalid
from kintone_mcp.sandbox.http.params import Params
from kintone_mcp.sandbox.http.responses import PreparedError, error_body
from kintone_mcp.sandbox.http.routing import Endpoint, RequestContext, Router

router = Router()

MAX_REQUESTS = 20
#: The (method, endpoint) pairs bulkRequest runs; everything else (reads, comments, files, settings) is refused.
ALLOWED: frozenset[tuple[str, str]] = frozenset(
    {
        ("POST", "record.json"),
        ("PUT", "record.json"),
        ("POST", "records.json"),
        ("PUT", "records.json"),
        ("DELETE", "records.json"),
        ("PUT", "record/status.json"),
        ("PUT", "records/status.json"),
        ("PUT", "record/assignees.json"),
    }
)
_API_PATH = re.compile(r"^/k/(?:guest/(?P<space>[1-9]\d*)/)?v1/(?P<path>[A-Za-z/]+\.json)$")
_ALLOWED_TEXT = ", ".join(f"{m} {p}" for m, p in sorted(ALLOWED, key=lambda mp: (mp[1], mp[0])))


@dataclass(frozen=True)
class _SubRequest:
    endpoint: Endpoint
    guest_space: int | None
    payload: Mapping[str, Any]


def _plan(ctx: RequestContext, index: int, item: Any) -> _SubRequest:
    key = f"requests[{index}]"
    if not isinstance(item, Mapping):
        raise invalid(key, 'Specify each request as {"method": ..., "api": ..., "payload": {...}}.')
    method = item.get("method")
    if not isinstance(method, str) or not method:
        raise invalid(f"{key}.method", "Required field.")
    method = method.upper()
    api = item.get("api")
    if not isinstance(api, str) or not api:
        raise invalid(f"{key}.api", "Required field.")
    match = _API_PATH.match(api)
    if match is None:
        raise invalid(
            f"{key}.api",
            f"{api!r} is not an API path: give the full path such as /k/v1/record.json, or "
            "/k/guest/{space id}/v1/record.json for an app in a guest space.",
        )
    path = match["path"]
    if (method, path) not in ALLOWED:
        raise invalid(
            f"{key}.method" if any(p == path for _, p in ALLOWED) else f"{key}.api",
            f"{method} {path} cannot be run in a bulk request. bulkRequest runs only: {_ALLOWED_TEXT}. "
            "Send other calls on their own.",
        )
    endpoint = ctx.services.router.resolve("kintone", method, path)
    if endpoint is None:
        raise invalid(f"{key}.api", f"{method} {path} is not served by this sandbox.")
    payload = item.get("payload")
    if not isinstance(payload, Mapping):
        raise invalid(f"{key}.payload", "Required field: give the request's parameters as a JSON object.")
    space = match["space"]
    return _SubRequest(endpoint, None if space is None else int(space), payload)


@router.route("POST", "bulkRequest.json")
def bulk_request(ctx: RequestContext) -> dict[str, Any]:
    refuse_oauth(ctx.principal, "bulkRequest.json")
    raw = ctx.params.raw("requests")
    if raw is None or raw == []:
        raise invalid("requests", "Required field.")
    if not isinstance(raw, list):
        raise invalid("requests", 'Specify a list of {"method", "api", "payload"} objects.')
    if len(raw) > MAX_REQUESTS:
        raise invalid(
            "requests",
            f"A maximum of {MAX_REQUESTS} requests can be sent at one time ({len(raw)} were sent): split them "
            "into several bulk requests, each its own transaction.",
        )
    planned = [_plan(ctx, i, item) for i, item in enumerate(raw)]
    results: list[Any] = []
    for index, sub in enumerate(planned):
        sub_ctx = RequestContext(
            services=ctx.services,
            conn=ctx.conn,
            principal=ctx.principal,
            params=Params(sub.payload),
            guest_space=sub.guest_space,
            now=ctx.now,
            accept_language=ctx.accept_language,
            base_url=ctx.base_url,
        )
        try:
            with ctx.services.store.transaction():
                results.append(sub.endpoint.handler(sub_ctx))
        except ErrorReply as exc:
            # Raising rolls the outer transaction back, so the sub-requests that succeeded are undone too.
            failed = error_body(exc, ctx.accept_language)
            body = {"results": [failed if i == index else {} for i in range(len(planned))]}
            raise PreparedError(exc.status, exc.code, exc.message, body) from exc
    return {"results": results}
