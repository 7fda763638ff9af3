"""Refusing OAuth on the endpoints Kintone does not open to it (cursor and bulkRequest, kintone-api.md §2.2).

The status and code Kintone answers with are not documented; CB_NO02 (403, "No privilege to proceed.") is the
closest documented refusal. Both are constants here so that a measurement can correct them in one place.
"""

from __future__ import annotations

from kintone_mcp.sandbox.errors import KintoneError
from kintone_mcp.sandbox.http.routing import RequestContext

OAUTH_REFUSED_STATUS = 403
OAUTH_REFUSED_CODE = "CB_NO02"


def refuse_oauth(ctx: RequestContext, api: str) -> None:
    """Raise unless the caller authenticated some other way than an OAuth access token."""
    if ctx.principal.scheme == "oauth":
        raise KintoneError(
            OAUTH_REFUSED_STATUS,
            OAUTH_REFUSED_CODE,
            f"No privilege to proceed: {api} cannot be used with OAuth. Authenticate with a password "
            "(X-Cybozu-Authorization) or an API token (X-Cybozu-API-Token) for this call.",
        )
