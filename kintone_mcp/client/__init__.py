"""Typed async Kintone client (httpx2 + pydantic).

Build one from the launch configuration (``kintone_mcp.connect.build_client(load_settings())``) or directly::

    from kintone_mcp.auth import ApiToken, ApiTokenAuth, Credentials, PasswordAuth
    from kintone_mcp.client import KintoneClient

    async with KintoneClient(
        "https://example.cybozu.com",
        credentials=Credentials(rest=PasswordAuth("sato", "..."), user_api=PasswordAuth("sato", "...")),
    ) as client:
        page = await client.get_records(2, query='Stage in ("Won") order by $id asc limit 100', total_count=True)

One client holds one connection pool; share it. Every method is a coroutine (or an async generator).

Apps (:mod:`.apps`)
    ``list_apps(ids=, codes=, name=, space_ids=, limit=100, offset=0) -> list[App]``; ``list_all_apps()``;
    ``get_app(app) -> App``; ``get_fields(app, lang=) -> FormFields`` (``.properties``: code -> a
    ``FieldProperty`` discriminated on ``type``, with ``options``/``option_labels``, ``lookup``, subtable
    ``fields``; ``.field_types()``, ``.raw()`` for Kintone's own dicts); ``get_layout(app) -> FormLayout``;
    ``get_views(app) -> Views``; ``get_process_settings(app) -> ProcessSettings``. ``preview=True`` reads the
    pre-live settings. With API tokens mapped to apps, ``list_apps`` reads those apps one by one (Kintone's
    apps.json refuses tokens).

Records (:mod:`.records`, :mod:`.cursor`)
    ``get_record(app, id) -> Record``; ``get_records(app, query=, fields=, total_count=False) -> RecordsPage``
    (``records``, ``total_count``, ``warning``); ``iter_records(app, query=, fields=, page_size=500)`` and
    ``iter_record_pages(...)``: async generators over every match through the cursor API, which delete the cursor
    when stopped early, on error or on cancellation (use ``contextlib.aclosing`` when breaking out).
    A :class:`Record` is a read-only mapping over Kintone's raw ``{code: {"type", "value"}}`` dict (``.raw``),
    with ``.id``, ``.revision``, ``.value(code)`` and typed ``.field(code)`` / ``.typed()`` on demand.

    Writes take records in Kintone's write form (``{"Title": {"value": "x"}}``):
    ``add_record(app, record) -> WrittenRecord`` (id, revision); ``update_record(app, record, id= | update_key=,
    revision=)``; ``upsert_record(app, update_key, record) -> WrittenRecord`` (``operation`` INSERT/UPDATE);
    ``delete_record(app, id, revision=)``. Many: ``add_records``, ``update_records([RecordUpdate])``,
    ``upsert_records``, ``delete_records(app, ids, revisions=)``, ``update_statuses([StatusChange])`` return a
    :class:`WriteResult`: up to 100 records go in one request; more go as bulkRequest transactions of up to
    2,000 (20 x 100), each atomic, sent in order. If the first transaction fails nothing was written and the
    :class:`ApiError` is raised; if a later one fails :class:`BulkWriteError` says which records were committed,
    which transaction was rolled back and which were never sent. ``all_or_nothing=True`` refuses writes that
    cannot be one transaction.

Process management
    ``update_status(app, id, action, assignee=, revision=) -> WrittenRecord``; ``update_statuses(app, changes)``;
    ``update_assignees(app, id, [login, ...], revision=)``.

Comments, files
    ``get_comments(app, record, order="desc", offset=0, limit=10) -> CommentsPage``;
    ``add_comment(app, record, text, mentions=) -> int``; ``delete_comment(app, record, comment_id)``.
    ``upload_file(bytes | Path | async iterable, filename=, content_type=) -> file key`` (streamed);
    ``stream_file(file_key)`` (async context manager with ``aiter_bytes()``); ``download_file(file_key) -> bytes``;
    ``download_file_to(file_key, path) -> int``.

Spaces and search (:mod:`.space_api`; password authentication only)
    ``get_space(id) -> Space``; ``get_space_members(id)``, ``update_space_members(id, [SpaceMember])`` (the whole
    list); ``update_space(id, **settings)``, ``update_space_body(id, body)``, ``delete_space(id)``;
    ``create_space_from_template(template, name, members, private=, guest=)``; ``add_thread(space, name)``,
    ``update_thread(space, thread, name=, body=)``, ``add_thread_comment(space, thread, text, mentions=,
    file_keys=)``; ``update_space_guests(id, emails)``, ``add_guests(guests)``; ``search(request) -> SearchPage``
    (``hits``, ``next_page_token``).

User API (:mod:`.directory`; needs a User API token or password authentication)
    ``list_users(ids=, codes=, offset=, size=)``, ``list_all_users()``, ``list_organizations(...)``,
    ``list_groups(...)``, ``get_user_organizations(login)``, ``get_user_groups(login)``,
    ``get_organization_users(code)``, ``get_group_users(code)``.

Errors (:mod:`.errors`)
    ``KintoneError`` > ``CredentialsError`` (> ``CredentialsMissingError``: no credentials for this API or app;
    nothing sent), ``NetworkError``, ``ApiError`` (``status``, ``code``, ``message``, ``field_errors``,
    ``request_id``, ``retryable``) > ``AuthenticationError``, ``PermissionDeniedError``, ``NotFoundError``,
    ``ValidationError``, ``ConflictError``, ``RateLimitError``, ``ServerError``; and ``BulkWriteError``
    (``result``, ``error``, ``failed_record_index``). ``str()`` is actionable and never holds a secret.

    ``OutcomeUnknownError`` > ``WriteOutcomeUnknownError`` (``operation``, ``check``, ``cause``): a write that may
    or may not have been applied; read back before sending it again.

Retries and limits (:mod:`.retry`)
    ``KintoneClient(retry_policy=BackoffRetry(retries=3, total_timeout=120))`` retries transient failures (429,
    502/503/504, 520, the lock codes, no or a cut answer) with exponential backoff and jitter, honouring
    ``Retry-After``, within a deadline for the whole call. Reads and revision-guarded writes are retried; any other
    write only when it provably never reached Kintone (refused connection, 429 GAIA_TO04), else
    ``WriteOutcomeUnknownError``. A lost cursor page is recovered from the last ``$id`` received. The default policy
    is :class:`NoRetry`; ``build_client`` configures :class:`BackoffRetry` from the settings. ``max_concurrency``
    (default 10) caps requests in flight across all callers and follows a lower ``X-ConcurrencyLimit-Limit``;
    ``max_open_cursors`` caps open cursors; ``timeout`` bounds each request from sending to the last byte.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kintone_mcp.client.client import KintoneClient
    from kintone_mcp.client.connection import DEFAULT_MAX_CONCURRENCY, MAX_GET_URL_LENGTH, USER_AGENT
    from kintone_mcp.client.cursor import CursorPage
    from kintone_mcp.client.errors import (
        ApiError,
        AuthenticationError,
        BulkWriteError,
        ConflictError,
        CredentialsError,
        CredentialsMissingError,
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
    from kintone_mcp.client.files import FileDownload
    from kintone_mcp.client.models.apps import App, FormLayout, ProcessSettings, View, Views
    from kintone_mcp.client.models.comments import Comment, CommentsPage, Mention
    from kintone_mcp.client.models.directory import Group, Organization, OrganizationTitle, User, UserTitle
    from kintone_mcp.client.models.fields import FieldProperty, FormFields
    from kintone_mcp.client.models.record import Record
    from kintone_mcp.client.models.values import FieldValue
    from kintone_mcp.client.results import (
        RecordsPage,
        RecordUpdate,
        StatusChange,
        Transaction,
        UpdateKey,
        WriteResult,
        WrittenRecord,
    )
    from kintone_mcp.client.retry import BackoffRetry, Delivery, Failure, NoRetry, RetryPolicy

#: public name -> the module defining it. Loaded on first access (PEP 562), so that importing one light module of
#: the package (``kintone_mcp.client.errors``, as the server does at start-up) does not load the client and all of
#: its pydantic models with it.
_EXPORTS: dict[str, str] = {
    "KintoneClient": "kintone_mcp.client.client",
    "DEFAULT_MAX_CONCURRENCY": "kintone_mcp.client.connection",
    "MAX_GET_URL_LENGTH": "kintone_mcp.client.connection",
    "USER_AGENT": "kintone_mcp.client.connection",
    "CursorPage": "kintone_mcp.client.cursor",
    "ApiError": "kintone_mcp.client.errors",
    "AuthenticationError": "kintone_mcp.client.errors",
    "BulkWriteError": "kintone_mcp.client.errors",
    "ConflictError": "kintone_mcp.client.errors",
    "GuestSpaceUnknownError": "kintone_mcp.client.errors",
    "CredentialsError": "kintone_mcp.client.errors",
    "CredentialsMissingError": "kintone_mcp.client.errors",
    "KintoneError": "kintone_mcp.client.errors",
    "NetworkError": "kintone_mcp.client.errors",
    "NotFoundError": "kintone_mcp.client.errors",
    "OutcomeUnknownError": "kintone_mcp.client.errors",
    "PermissionDeniedError": "kintone_mcp.client.errors",
    "RateLimitError": "kintone_mcp.client.errors",
    "ServerError": "kintone_mcp.client.errors",
    "ValidationError": "kintone_mcp.client.errors",
    "WriteOutcomeUnknownError": "kintone_mcp.client.errors",
    "FileDownload": "kintone_mcp.client.files",
    "App": "kintone_mcp.client.models.apps",
    "FormLayout": "kintone_mcp.client.models.apps",
    "ProcessSettings": "kintone_mcp.client.models.apps",
    "View": "kintone_mcp.client.models.apps",
    "Views": "kintone_mcp.client.models.apps",
    "Comment": "kintone_mcp.client.models.comments",
    "CommentsPage": "kintone_mcp.client.models.comments",
    "Mention": "kintone_mcp.client.models.comments",
    "Group": "kintone_mcp.client.models.directory",
    "Organization": "kintone_mcp.client.models.directory",
    "OrganizationTitle": "kintone_mcp.client.models.directory",
    "User": "kintone_mcp.client.models.directory",
    "UserTitle": "kintone_mcp.client.models.directory",
    "FieldProperty": "kintone_mcp.client.models.fields",
    "FormFields": "kintone_mcp.client.models.fields",
    "Record": "kintone_mcp.client.models.record",
    "FieldValue": "kintone_mcp.client.models.values",
    "RecordsPage": "kintone_mcp.client.results",
    "RecordUpdate": "kintone_mcp.client.results",
    "StatusChange": "kintone_mcp.client.results",
    "Transaction": "kintone_mcp.client.results",
    "UpdateKey": "kintone_mcp.client.results",
    "WriteResult": "kintone_mcp.client.results",
    "WrittenRecord": "kintone_mcp.client.results",
    "BackoffRetry": "kintone_mcp.client.retry",
    "Delivery": "kintone_mcp.client.retry",
    "Failure": "kintone_mcp.client.retry",
    "NoRetry": "kintone_mcp.client.retry",
    "RetryPolicy": "kintone_mcp.client.retry",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        # Not a name of ours: let `from kintone_mcp.client import <submodule>` fall back to importing it.
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


__all__ = [
    "DEFAULT_MAX_CONCURRENCY",
    "MAX_GET_URL_LENGTH",
    "USER_AGENT",
    "ApiError",
    "App",
    "AuthenticationError",
    "BackoffRetry",
    "BulkWriteError",
    "Comment",
    "CommentsPage",
    "ConflictError",
    "CredentialsError",
    "CredentialsMissingError",
    "CursorPage",
    "Delivery",
    "Failure",
    "FieldProperty",
    "FieldValue",
    "FileDownload",
    "FormFields",
    "FormLayout",
    "Group",
    "GuestSpaceUnknownError",
    "KintoneClient",
    "KintoneError",
    "Mention",
    "NetworkError",
    "NoRetry",
    "NotFoundError",
    "Organization",
    "OrganizationTitle",
    "OutcomeUnknownError",
    "PermissionDeniedError",
    "ProcessSettings",
    "RateLimitError",
    "Record",
    "RecordUpdate",
    "RecordsPage",
    "RetryPolicy",
    "ServerError",
    "StatusChange",
    "Transaction",
    "UpdateKey",
    "User",
    "UserTitle",
    "ValidationError",
    "View",
    "Views",
    "WriteOutcomeUnknownError",
    "WriteResult",
    "WrittenRecord",
]
