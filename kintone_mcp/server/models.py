"""Output models of the tools: each becomes the tool's outputSchema, and every result is dumped through one.

Fields a model rarely needs are optional and left out when empty (results are dumped with ``exclude_none``), so a
typical answer carries only what happened. Records are ``dict[str, Any]``: their shape is the app's, described once
by ``get_app`` rather than in every schema.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Record = dict[str, Any]


class Out(BaseModel):
    """Base of every output model."""


# --- connection ---------------------------------------------------------------------------------------------


class CheckStep(Out):
    step: str
    status: Literal["ok", "failed", "skipped"]
    detail: str
    fix: str | None = None


class AppBrief(Out):
    id: int
    name: str
    code: str | None = None
    space_id: int | None = None


class ConnectionReport(Out):
    verdict: Literal["ok", "partial", "failed"]
    summary: str
    base_url: str
    auth: str
    steps: list[CheckStep]
    apps: list[AppBrief] | None = None


class AppList(Out):
    apps: list[AppBrief]
    next_offset: int | None = Field(None, description="pass as offset for more")
    note: str | None = None


# --- app schema ---------------------------------------------------------------------------------------------


class LookupInfo(Out):
    # Optional like every nullable field: a result leaves None out, which a required property would not allow.
    app: int | None = None
    key_field: str
    copies: dict[str, str] | None = Field(None, description="this app's field <- source app's field")


#: A field's default as a record would hold it; user and date defaults may be functions, e.g. "LOGINUSER()".
DefaultValue = str | int | float | list[str]


class FieldInfo(Out):
    code: str
    label: str
    type: str
    required: bool | None = None
    unique: bool | None = None
    options: list[str] | None = None
    default: DefaultValue | None = Field(None, description='value when left out on add; e.g. "LOGINUSER()", "TODAY()"')
    read_only: bool | None = Field(None, description="computed by Kintone; not writable")
    lookup: LookupInfo | None = None
    related_app: int | None = Field(None, description="REFERENCE_TABLE: app whose records are shown")
    fields: list[FieldInfo] | None = Field(None, description="SUBTABLE columns")


class ProcessAction(Out):
    name: str
    from_status: str
    to_status: str


class ProcessInfo(Out):
    states: list[str]
    actions: list[ProcessAction]


class ViewInfo(Out):
    name: str
    type: str
    filter: str | None = None
    sort: str | None = None


class AppSchema(Out):
    id: int
    name: str
    code: str | None = None
    fields: list[FieldInfo]
    operators: dict[str, list[str]] = Field(
        description="query operators by field type; a type not listed cannot be searched"
    )
    table_operators: dict[str, list[str]] | None = Field(
        None, description="query operators by type for subtable columns (no = or !=: use in / not in)"
    )
    process: ProcessInfo | None = Field(None, description="process management states and actions, when enabled")
    views: list[ViewInfo] | None = None


# --- records ------------------------------------------------------------------------------------------------


class RecordsPage(Out):
    records: list[Record]
    returned: int
    total_count: int | None = Field(None, description="records matching the query")
    next: str | None = Field(None, description="continuation token: pass as `next` to get the following records")
    cut: str | None = Field(
        None, description="what was left out and why; why nothing matched, when it may be a mistake"
    )
    names: dict[str, str] | None = Field(None, description="display names of user/org/group codes in records")
    query: str = Field(description="the Kintone query that ran")


class RecordOut(Out):
    record: Record
    names: dict[str, str] | None = None
    cut: str | None = None


class WriteResult(Out):
    id: int
    revision: int
    ignored_fields: list[str] | None = Field(None, description="read-only fields dropped from the input")
    removed_rows: dict[str, list[Record]] | None = Field(
        None, description="subtable rows deleted because the update left them out, as they were"
    )
    note: str | None = None


class BulkItem(Out):
    id: int
    revision: int
    operation: Literal["INSERT", "UPDATE"] | None = None


class BulkWriteResult(Out):
    count: int
    records: list[BulkItem]
    atomic: bool = Field(description="true: all records were written in one transaction")
    note: str | None = Field(None, description="why the write was not one transaction (OAuth: calls of 100)")
    ignored_fields: list[str] | None = None


class DeleteResult(Out):
    deleted: list[int]
    note: str | None = Field(None, description="why the delete was not one transaction (OAuth: calls of 100)")


class StatusResult(Out):
    id: int
    revision: int
    status: str | None = None
    assignees: list[str] | None = None


# --- comments, files, users ---------------------------------------------------------------------------------


class CommentOut(Out):
    id: int
    text: str
    by: str | None = None
    at: str | None = None
    mentions: list[str] | None = Field(None, description='user codes; "org:" / "group:" prefixed, as add_comment takes')


class CommentsPage(Out):
    comments: list[CommentOut]
    older: bool = Field(description="older comments exist: raise offset")
    newer: bool
    names: dict[str, str] | None = None


class CommentAdded(Out):
    id: int


class DownloadResult(Out):
    path: str
    name: str
    size: int
    content_type: str | None = None
    text: str | None = Field(None, description="the file's text, for small text files")
    cut: str | None = None


class UploadResult(Out):
    name: str = Field(description="the file attached")
    id: int
    revision: int
    field: str
    files: int = Field(description="files now in the field")


class DirectoryEntry(Out):
    code: str
    name: str
    email: str | None = None
    valid: bool | None = None


class DirectoryPage(Out):
    kind: Literal["users", "organizations", "groups"]
    entries: list[DirectoryEntry]
    next_offset: int | None = None


# --- aggregation --------------------------------------------------------------------------------------------


class Group(Out):
    key: dict[str, Any] = Field(description="group-by field -> value")
    count: int
    values: dict[str, Any] | None = Field(None, description="'op(field)' -> result")


class Aggregation(Out):
    groups: list[Group]
    overall: Group = Field(description="the metrics over every record scanned")
    records_scanned: int
    total_count: int | None = None
    cut: str | None = None
    names: dict[str, str] | None = Field(None, description="display names of user/org/group codes in keys")
    query: str


FieldInfo.model_rebuild()
