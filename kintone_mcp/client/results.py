"""Results of record operations. Plain dataclasses: they sit on the hot path (exports, bulk writes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from kintone_mcp.client.models.record import Record


@dataclass(frozen=True, slots=True)
class RecordsPage:
    """One ``records.json`` answer. ``total_count`` is None unless it was asked for. ``warning`` carries
    Kintone's ``X-Cybozu-Warning`` (e.g. a ``like`` search stopped filtering after 100,000 matches)."""

    records: list[Record]
    total_count: int | None = None
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class WrittenRecord:
    """A record as written: its id and new revision; ``operation`` is INSERT or UPDATE for upserts."""

    id: int
    revision: int
    operation: Literal["INSERT", "UPDATE"] | None = None


@dataclass(frozen=True, slots=True)
class UpdateKey:
    """Identifies a record by a unique SINGLE_LINE_TEXT or NUMBER field instead of its id."""

    field: str
    value: str | int

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "value": str(self.value)}


@dataclass(frozen=True, slots=True)
class RecordUpdate:
    """One record of an update/upsert: by ``id`` or by ``update_key``, with fields in Kintone's write form
    (``{"Title": {"value": "x"}}``). ``revision`` enables the optimistic lock (None or -1: no lock)."""

    record: dict[str, Any]
    id: int | None = None
    update_key: UpdateKey | None = None
    revision: int | None = None

    def to_json(self) -> dict[str, Any]:
        if (self.id is None) == (self.update_key is None):
            raise ValueError("a record update needs exactly one of `id` and `update_key`")
        out: dict[str, Any] = {"record": self.record}
        if self.id is not None:
            out["id"] = self.id
        else:
            assert self.update_key is not None
            out["updateKey"] = self.update_key.to_json()
        if self.revision is not None:
            out["revision"] = self.revision
        return out


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A process-management action on one record; ``assignee`` (a login name) when the next state needs one."""

    id: int
    action: str
    assignee: str | None = None
    revision: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "action": self.action}
        if self.assignee is not None:
            out["assignee"] = self.assignee
        if self.revision is not None:
            out["revision"] = self.revision
        return out


@dataclass(frozen=True, slots=True)
class Transaction:
    """One all-or-nothing unit of a large write: input records ``start`` to ``stop - 1`` (0-based)."""

    index: int
    start: int
    stop: int

    @property
    def size(self) -> int:
        return self.stop - self.start


@dataclass(slots=True)
class WriteResult:
    """The outcome of a write over many records.

    Up to 100 records go in one request; more go as bulkRequest transactions of up to 2,000 records (20 requests
    of 100), sent one after the other. Each transaction is atomic. On success every transaction is in
    ``committed`` and ``records`` holds one entry per input record, in input order (deletes have none). When a
    transaction fails, ``failed`` is it (rolled back entirely), ``not_attempted`` the ones never sent, and
    ``records`` covers the committed transactions only.
    """

    total: int
    committed: list[Transaction] = field(default_factory=list)
    failed: Transaction | None = None
    not_attempted: list[Transaction] = field(default_factory=list)
    records: list[WrittenRecord] = field(default_factory=list)
    #: Set when the write was less atomic than usual and says how: under OAuth, which cannot use bulkRequest,
    #: more than 100 records go as sequential calls of 100, each its own transaction (see ``oauth_fallback``).
    atomicity_note: str | None = None

    @property
    def complete(self) -> bool:
        return self.failed is None and not self.not_attempted

    @property
    def committed_count(self) -> int:
        return sum(t.size for t in self.committed)

    @property
    def not_attempted_count(self) -> int:
        return sum(t.size for t in self.not_attempted)

    @property
    def ids(self) -> list[int]:
        return [r.id for r in self.records]
