"""The OAuth scope each Kintone endpoint needs (docs/kintone-api.md §3), so a refused call can name what is missing.

Written independently of the sandbox's table on purpose: each checks the other in the tests.
"""

from __future__ import annotations

import re

#: Every Kintone scope, in the order of Kintone's documentation.
KINTONE_SCOPES: tuple[str, ...] = (
    "k:app_record:read",
    "k:app_record:write",
    "k:app_settings:read",
    "k:app_settings:write",
    "k:file:read",
    "k:file:write",
)
#: What ``kintone-mcp auth login`` asks for when KINTONE_OAUTH_SCOPES is not set: everything the tools can use.
DEFAULT_SCOPES: tuple[str, ...] = KINTONE_SCOPES

_PATH = re.compile(r"^/k/(?:guest/\d+/)?v1/(?P<endpoint>.+)\.json\Z")
_RECORD_ENDPOINTS = frozenset(
    {"record", "records", "record/comment", "record/comments", "record/status", "records/status", "record/assignees"}
)


def required_scope(method: str, path: str) -> str | None:
    """The scope a call needs, or None when it is not a Kintone REST call this table knows (or none applies)."""
    match = _PATH.match(path)
    if match is None:
        return None
    endpoint = match.group("endpoint")
    read = method.upper() == "GET"
    if endpoint in _RECORD_ENDPOINTS:
        return "k:app_record:read" if read else "k:app_record:write"
    if endpoint == "file":
        return "k:file:read" if read else "k:file:write"
    # record/acl and field/acl are app settings (permissions), not records (docs/kintone-api.md §4.1).
    if endpoint in ("app", "apps", "record/acl", "field/acl") or endpoint.startswith(("app/", "preview/")):
        return "k:app_settings:read" if read else "k:app_settings:write"
    return None
