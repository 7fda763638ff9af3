"""Output models that several tools answer with. A model one tool alone uses lives in that tool's module.

Records are ``dict[str, Any]``: their shape is the app's, described once by ``get_app`` rather than in every schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from kintone_mcp.server.results import Out

if TYPE_CHECKING:
    from kintone_mcp.client.models.apps import App

#: A record in the compact plain form (``server.compact``): field code -> plain value.
CompactRecord = dict[str, Any]


class AppBrief(Out):
    id: int
    name: str
    code: str | None = None
    space_id: int | None = None


def app_brief(app: App) -> AppBrief:
    return AppBrief(id=app.app_id, name=app.name, code=app.code or None, space_id=app.space_id)


class RecordWritten(Out):
    id: int
    revision: int
    ignored_fields: list[str] | None = Field(None, description="read-only fields dropped from the input")
    removed_rows: dict[str, list[CompactRecord]] | None = Field(
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


class StatusResult(Out):
    id: int
    revision: int
    status: str | None = None
    assignees: list[str] | None = None
