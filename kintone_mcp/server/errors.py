"""Every failure a tool can meet, turned into text that tells a model what went wrong and what to do next.

Tools raise; the server catches in one place (``KintoneMCPServer.call_tool``) and answers with an ``isError``
result built here. Unexpected exceptions are logged with their traceback on stderr and reported to the model
without internals.
"""

from __future__ import annotations

import logging
import re

import pydantic

from kintone_mcp.client.errors import (
    ApiError,
    AuthenticationError,
    BulkWriteError,
    ConflictError,
    CredentialsError,
    GuestSpaceUnknownError,
    KintoneError,
    NetworkError,
    NotFoundError,
    OutcomeUnknownError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
    WriteOutcomeUnknownError,
)
from kintone_mcp.query.errors import QuerySyntaxError
from kintone_mcp.server.policy import AppNotAllowedError
from kintone_mcp.server.query_check import QueryRejected
from kintone_mcp.server.record_input import RecordInputError
from kintone_mcp.settings import ConfigurationError

logger = logging.getLogger(__name__)


class ToolInputError(ValueError):
    """The call's arguments cannot work (as the tool explains); raised by tools, shown to the model verbatim."""


#: ``record.Title.value``, ``records[2].record.Title.value`` and Kintone's bracket form ``record[Title].value``
_RECORD_KEY = re.compile(r"^(?:records\[(\d+)\]\.)?record(?:\.([^.\[\]]+)|\[([^\]]+)\])\.(?:value|values)")

_NEXT_STEP: dict[type[ApiError], str] = {
    AuthenticationError: "The server's Kintone credentials were refused; retrying will not help. Tell the user to run "
    "test_connection (or `kintone-mcp check`) and fix the configuration.",
    PermissionDeniedError: "The configured user or API token may not do this here. Do not retry the same call; "
    "read-only alternatives may still work. The user can grant the permission in Kintone.",
    NotFoundError: "Check the id or key (get_records finds record ids; list_apps finds app ids).",
    ConflictError: "The record changed since it was read: call get_record for the current $revision and values, "
    "then retry with that revision.",
    RateLimitError: "Kintone is busy; retry once after a short pause.",
    ServerError: "Kintone had a temporary problem; retry once later.",
}


#: A stale settings revision (app design tools): someone changed the app's pending settings meanwhile.
_SETTINGS_CONFLICT = (
    "The app's settings changed since this tool read them (someone else is editing the app). Read them again "
    "(get_app with preview: true) and retry the same change; it is rebuilt on the current settings."
)

#: what to read back, per kind of write, when a write's outcome is unknown
_READ_BACK: dict[str, str] = {
    "add": "Search for it first with get_records (filter on a value you just wrote, ideally a unique field), and "
    "add it only if it is not there.",
    "update": "Call get_record and compare the values and $revision with what you sent; send the update again only "
    "if the change is missing, with the current $revision.",
    "delete": "Check with get_records (filter on $id) which of the records still exist, and delete only those.",
    "status": "Call get_record to see the record's status now; run the action again only if the record did not move.",
    "assignees": "Call get_record to see the assignees now.",
    "comment": "Call get_comments to see whether the comment is there; post it again only if it is missing.",
    "delete_comment": "Call get_comments to see whether the comment is gone.",
    "bulk": "It was all-or-nothing: read back one of its records with get_record to tell which.",
}


def describe_unknown_outcome(exc: WriteOutcomeUnknownError) -> str:
    read_back = _READ_BACK.get(exc.operation, "Read back what it would have changed before repeating it.")
    text = (
        f"The write may or may not have been applied: {exc.reason}. Do not repeat the call before checking, or it "
        f"may be applied twice. {read_back}"
    )
    if exc.result is not None and exc.result.committed:
        text += f" {exc.result.committed_count} records of an earlier transaction were committed and stay written."
    return text


def _field_hint(exc: ValidationError) -> str:
    if not exc.field_errors:
        return "Check the call's arguments; get_app lists the app's fields and what each accepts."
    lines = []
    for key, messages in sorted(exc.field_errors.items()):
        m = _RECORD_KEY.match(key)
        # records[i] as in the `records` argument, counting from 0: the same numbering as the server's own checks.
        where = (f"records[{m.group(1)}].") if m and m.group(1) else ""
        where = where + (m.group(2) or m.group(3)) if m else key
        lines.append(f"- {where}: {' '.join(messages)}")
    return "Kintone rejected these fields:\n" + "\n".join(lines)


def describe_kintone_error(exc: KintoneError) -> str:
    if isinstance(exc, WriteOutcomeUnknownError):
        return describe_unknown_outcome(exc)
    if isinstance(exc, OutcomeUnknownError):
        return f"{exc} Reading again is safe."
    if isinstance(exc, BulkWriteError):
        return f"{exc} Records already committed stay written: retry only the rest."
    if isinstance(exc, NetworkError):
        return f"Kintone could not be reached: {exc} Retry once; if it keeps failing, run test_connection."
    if isinstance(exc, CredentialsError):
        return f"{exc} This needs a configuration change by the user; do not retry."
    if isinstance(exc, GuestSpaceUnknownError):
        return f"{exc.summary}: {exc.message}. {exc.hint} This needs the user; do not retry."
    if isinstance(exc, ValidationError):
        return f"{exc.summary} ({exc.code or exc.status}): {exc.message}\n{_field_hint(exc)}"
    if isinstance(exc, ApiError):
        step = next((text for cls, text in _NEXT_STEP.items() if isinstance(exc, cls)), None)
        if isinstance(exc, ConflictError) and "preview/" in exc.path:
            step = _SETTINGS_CONFLICT
        # With a next step of our own, the client's generic hint would say the same thing a second time.
        return str(exc) if step is None else f"{_kintone_said(exc)} {step}"
    return str(exc)


def _kintone_said(exc: ApiError) -> str:
    """What Kintone answered, without the client's generic advice."""
    text = f"{exc.summary} (HTTP {exc.status}{f' {exc.code}' if exc.code else ''})"
    if exc.message:
        text += f": {exc.message}"
    if exc.request_id:
        text += f" (Kintone request id {exc.request_id})"
    return text


def describe_arguments_error(tool: str, exc: pydantic.ValidationError) -> str:
    lines = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "arguments"
        given = err.get("input")
        shown = "" if isinstance(given, dict) or err["type"] == "missing" else f" (got {given!r:.60})"
        lines.append(f"- {loc}: {err['msg']}{shown}")
    return f"Invalid arguments for {tool}:\n" + "\n".join(lines) + "\nFix these and call again."


def describe(tool: str, exc: BaseException) -> str | None:
    """Model-facing text for an anticipated failure, or None for a bug (logged by the caller)."""
    if isinstance(exc, KintoneError):
        return describe_kintone_error(exc)
    if isinstance(exc, ConfigurationError):
        # The client is built at the first call, so a client certificate or CA bundle that cannot be used is met here.
        return f"{exc}\nThis needs a change to the server's configuration by the user; do not retry."
    if isinstance(exc, RecordInputError | QueryRejected | AppNotAllowedError | ToolInputError):
        return str(exc)
    if isinstance(exc, QuerySyntaxError):
        return (
            f"The query is not valid Kintone query syntax {exc.message}. Strings need double quotes; "
            'example: Stage in ("Won") and Amount >= 1000 order by $id desc. Or pass a structured `filter` instead.'
        )
    if isinstance(exc, pydantic.ValidationError):
        return describe_arguments_error(tool, exc)
    return None
