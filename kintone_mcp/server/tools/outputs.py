"""Output models that several tools answer with. A model one tool alone uses lives in that tool's module.

Records are ``dict[str, Any]``: their shape is the app's, described once by ``get_app`` rather than in every schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

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


class RecordAdded(Out):
    id: int
    revision: int
    ignored_fields: list[str] | None = Field(None, description="read-only fields left out")
    note: str | None = None


# An update can delete subtable rows (the rows a table given leaves out); an add cannot, so it does not advertise it.
class RecordWritten(RecordAdded):
    removed_rows: dict[str, list[CompactRecord]] | None = Field(None, description="subtable rows deleted, as they were")


# A bulk write's answer is sized by its runs of ids rather than its records: 2,000 added records are one range
# ("301-2300", 58 bytes), where a row per record took 49 KB of text (issue 11). The schema (repeated by three tools)
# says only what a model cannot guess.
class BulkWriteResult(Out):
    count: int
    ids: str = Field(description='input order, runs as ranges: "301-2300, 7"')
    revision: int | None = None
    revisions: list[int] | None = Field(None, description="if they differ, in ids' order")
    atomic: bool
    note: str | None = None
    ignored_fields: list[str] | None = None


class UpsertResult(BulkWriteResult):
    inserted: str = Field(description="ids added, as ranges")


def id_ranges(ids: Sequence[int]) -> str:
    """Ids in their order, each run of consecutive ids as "first-last": [5, 6, 7, 2] -> "5-7, 2"."""
    parts: list[str] = []
    start = prev = None
    for i in ids:
        if prev is not None and i == prev + 1:
            prev = i
            continue
        if start is not None:
            parts.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = i
    if start is not None:
        parts.append(str(start) if start == prev else f"{start}-{prev}")
    return ", ".join(parts)


def parse_id_ranges(text: str) -> list[int]:
    """The ids an ``id_ranges`` text stands for, in order (for tests and for callers that want the list back)."""
    out: list[int] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        first, _, last = part.partition("-")
        out.extend(range(int(first), int(last or first) + 1))
    return out


class StatusResult(Out):
    id: int
    revision: int
    status: str | None = None
    assignees: list[str] | None = None
