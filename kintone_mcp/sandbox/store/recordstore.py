"""Records in the database: the stored form of a record, and every statement on the ``records`` table.

``where`` arguments are SQL conditions over the table aliased ``r`` with their parameters, as ``querysql`` compiles
them from a Kintone query (or as record logic builds them from ``querysql.value_sql``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

_COLUMNS = "r.id, r.revision, r.creator, r.created_at, r.modifier, r.updated_at, r.status, r.assignees, r.data"


@dataclass
class StoredRecord:
    id: int
    revision: int
    creator: str
    created_at: str
    modifier: str
    updated_at: str
    status: str | None
    assignees: list[str]
    data: dict[str, Any]


def from_row(row: sqlite3.Row) -> StoredRecord:
    return StoredRecord(
        id=row["id"],
        revision=row["revision"],
        creator=row["creator"],
        created_at=row["created_at"],
        modifier=row["modifier"],
        updated_at=row["updated_at"],
        status=row["status"],
        assignees=json.loads(row["assignees"]),
        data=json.loads(row["data"]),
    )


def load_record(conn: sqlite3.Connection, app: int, record_id: int) -> StoredRecord | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM records r WHERE r.app = ? AND r.id = ?", (app, record_id)).fetchone()
    return None if row is None else from_row(row)


def first_where(conn: sqlite3.Connection, app: int, where: str, params: Sequence[Any]) -> StoredRecord | None:
    """The record with the lowest id that matches ``where``."""
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM records r WHERE r.app = ? AND {where} ORDER BY r.id LIMIT 1", (app, *params)
    ).fetchone()
    return None if row is None else from_row(row)


def select_page(
    conn: sqlite3.Connection, app: int, where: str, params: Sequence[Any], order_by: str, limit: int, offset: int
) -> list[StoredRecord]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM records r WHERE r.app = ? AND ({where}) ORDER BY {order_by} LIMIT ? OFFSET ?",
        [app, *params, limit, offset],
    ).fetchall()
    return [from_row(row) for row in rows]


def count_where(conn: sqlite3.Connection, app: int, where: str, params: Sequence[Any]) -> int:
    return int(
        conn.execute(f"SELECT COUNT(*) FROM records r WHERE r.app = ? AND ({where})", [app, *params]).fetchone()[0]
    )


def ids_where(conn: sqlite3.Connection, app: int, where: str, params: Sequence[Any], order_by: str) -> list[int]:
    """The ids of every matching record, in ``order_by`` order."""
    rows = conn.execute(
        f"SELECT r.id FROM records r WHERE r.app = ? AND ({where}) ORDER BY {order_by}", [app, *params]
    ).fetchall()
    return [int(r[0]) for r in rows]


def load_many(conn: sqlite3.Connection, app: int, ids: Sequence[int]) -> dict[int, StoredRecord]:
    """The records with these ids that still exist, by id."""
    if not ids:
        return {}
    placeholders = ",".join("?" * len(ids))
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM records r WHERE r.app = ? AND r.id IN ({placeholders})", [app, *ids]
    ).fetchall()
    return {int(row["id"]): from_row(row) for row in rows}


def matches(conn: sqlite3.Connection, app: int, record_id: int, where: str, params: Sequence[Any]) -> bool:
    row = conn.execute(
        f"SELECT 1 FROM records r WHERE r.app = ? AND r.id = ? AND ({where or '1'})", [app, record_id, *params]
    ).fetchone()
    return row is not None


def another_matches(conn: sqlite3.Connection, app: int, record_id: int | None, where: str, param: Any) -> bool:
    """Whether a record other than ``record_id`` matches ``where`` (uniqueness checks)."""
    row = conn.execute(
        f"SELECT 1 FROM records r WHERE r.app = ? AND r.id != ? AND {where} LIMIT 1", (app, record_id or 0, param)
    ).fetchone()
    return row is not None


def insert(
    conn: sqlite3.Connection,
    app: int,
    record_id: int,
    *,
    creator: str,
    created_at: str,
    modifier: str,
    updated_at: str,
    status: str | None,
    assignees: list[str],
    data: dict[str, Any],
) -> None:
    conn.execute(
        "INSERT INTO records(app, id, revision, creator, created_at, modifier, updated_at, status, assignees,"
        " data) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?)",
        (app, record_id, creator, created_at, modifier, updated_at, status, json.dumps(assignees),
         json.dumps(data, ensure_ascii=False)),
    )


def update_data(
    conn: sqlite3.Connection, app: int, record_id: int, *, revision: int, modifier: str, updated_at: str,
    data: dict[str, Any],
) -> None:
    conn.execute(
        "UPDATE records SET revision = ?, modifier = ?, updated_at = ?, data = ? WHERE app = ? AND id = ?",
        (revision, modifier, updated_at, json.dumps(data, ensure_ascii=False), app, record_id),
    )


def update_status(
    conn: sqlite3.Connection, app: int, record_id: int, *, status: str | None, assignees: list[str], revision: int,
    modifier: str, updated_at: str,
) -> None:
    conn.execute(
        "UPDATE records SET status = ?, assignees = ?, revision = ?, modifier = ?, updated_at = ?"
        " WHERE app = ? AND id = ?",
        (status, json.dumps(assignees), revision, modifier, updated_at, app, record_id),
    )


def bump_revision(conn: sqlite3.Connection, app: int, record_id: int) -> None:
    conn.execute("UPDATE records SET revision = revision + 1 WHERE app = ? AND id = ?", (app, record_id))


def delete(conn: sqlite3.Connection, app: int, record_id: int) -> None:
    """Delete a record (its comments go by a trigger)."""
    conn.execute("DELETE FROM records WHERE app = ? AND id = ?", (app, record_id))


def iter_app(conn: sqlite3.Connection, app: int) -> Iterator[sqlite3.Row]:
    """Every record of an app as ``(id, creator, created_at, data)`` rows, for a scan (the cross search)."""
    yield from conn.execute("SELECT id, creator, created_at, data FROM records WHERE app = ? ORDER BY id", (app,))
