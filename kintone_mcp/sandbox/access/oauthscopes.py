"""Which OAuth scope each endpoint needs, and which endpoints refuse OAuth outright (docs/kintone-api.md §2.2, §3).

Kept as rules over (method, path) here rather than on each route, so endpoint modules need not know about OAuth:

* records, comments, status and assignees: ``k:app_record:read`` for GET, ``k:app_record:write`` otherwise;
* app settings (``apps.json``, ``app.json``, ``app/...``, ``record/acl.json``, ``field/acl.json``) and pre-live
  settings (``preview/...``):
  ``k:app_settings:read`` for GET, ``k:app_settings:write`` otherwise (deploy included);
* ``file.json``: ``k:file:read`` for GET, ``k:file:write`` for POST;
* the cursor API, ``bulkRequest.json``, the space APIs and ``search.json`` are not open to OAuth at all.

An endpoint none of these rules knows is let through without a scope check and logged once, so that a new
endpoint works under OAuth before someone decides its scope here.

The status and code Kintone refuses OAuth with (cursor and bulkRequest) are not documented; CB_NO02 (403, "No
privilege to proceed.") is the closest documented refusal. Both are constants here so that a measurement can correct
them in one place.
"""

from __future__ import annotations

import logging

from kintone_mcp.sandbox.access.oauthclients import OAuthConfig
from kintone_mcp.sandbox.access.principals import Principal
from kintone_mcp.sandbox.errors import ErrorReply

logger = logging.getLogger(__name__)

OAUTH_REFUSED_STATUS = 403
OAUTH_REFUSED_CODE = "CB_NO02"

#: Marks endpoints that refuse OAuth whatever the scopes.
REFUSED = "refused"

_RECORD_PATHS = frozenset(
    {
        "record.json",
        "records.json",
        "record/comment.json",
        "record/comments.json",
        "record/status.json",
        "records/status.json",
        "record/assignees.json",
    }
)
_NO_OAUTH_PATHS = frozenset(
    {"records/cursor.json", "bulkRequest.json", "guests.json", "template/space.json", "search.json"}
)
_warned: set[tuple[str, str]] = set()


def required_scope(method: str, path: str) -> str | None:
    """The scope an OAuth caller needs; :data:`REFUSED` when OAuth cannot call it; None when no rule knows it."""
    read = method.upper() == "GET"
    if path in _NO_OAUTH_PATHS or path.startswith(("space", "spaces/")):
        return REFUSED
    if path in _RECORD_PATHS:
        return "k:app_record:read" if read else "k:app_record:write"
    if path == "file.json":
        return "k:file:read" if read else "k:file:write"
    if path in ("apps.json", "app.json", "record/acl.json", "field/acl.json") or path.startswith(("app/", "preview/")):
        return "k:app_settings:read" if read else "k:app_settings:write"
    return None


def refuse_oauth(principal: Principal, api: str) -> None:
    """Raise unless the caller authenticated some other way than an OAuth access token."""
    if principal.scheme == "oauth":
        raise ErrorReply(
            OAUTH_REFUSED_STATUS,
            OAUTH_REFUSED_CODE,
            f"No privilege to proceed: {api} cannot be used with OAuth. Authenticate with a password "
            "(X-Cybozu-Authorization) or an API token (X-Cybozu-API-Token) for this call.",
        )


def check(principal: Principal, config: OAuthConfig, *, api: str, method: str, path: str) -> None:
    """Refuse an OAuth caller that may not call the endpoint (``api``, ``method``, ``path``); does nothing for other
    kinds of caller."""
    if principal.scheme != "oauth" or api != "kintone":
        return
    scope = required_scope(method, path)
    if scope is None:
        key = (method, path)
        if key not in _warned:
            _warned.add(key)
            logger.warning("no OAuth scope rule for %s %s; letting OAuth callers through", *key)
        return
    if scope == REFUSED:
        raise ErrorReply(
            OAUTH_REFUSED_STATUS,
            OAUTH_REFUSED_CODE,
            f"No privilege to proceed: {path} cannot be used with OAuth. Authenticate with a password "
            "(X-Cybozu-Authorization) or an API token (X-Cybozu-API-Token) for this call.",
        )
    if scope not in principal.oauth_scopes:
        raise ErrorReply(
            config.scope_error_status,
            config.scope_error_code,
            f"No privilege to proceed: {method} {path} needs the OAuth scope {scope}, which this "
            "access token was not granted. Sign in again asking for that scope.",
            headers=(
                {"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'}
                if config.scope_error_challenge
                else None
            ),
        )
