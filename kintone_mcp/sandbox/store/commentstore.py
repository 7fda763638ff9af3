"""Record comments in the database (the ``comments`` table; a record's comments go with it by a trigger)."""

from __future__ import annotations

import json
import sqlite3


def page(
    conn: sqlite3.Connection, app: int, record: int, *, descending: bool, limit: int, offset: int
) -> list[sqlite3.Row]:
    """A page of a record's comments by id (``id, text, creator, created_at, mentions``)."""
    return conn.execute(
        "SELECT id, text, creator, created_at, mentions FROM comments WHERE app = ? AND record = ?"
        f" ORDER BY id {'DESC' if descending else 'ASC'} LIMIT ? OFFSET ?",
        (app, record, limit, offset),
    ).fetchall()


def count(conn: sqlite3.Connection, app: int, record: int) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM comments WHERE app = ? AND record = ?", (app, record)).fetchone()[0])


def add(
    conn: sqlite3.Connection,
    app: int,
    record: int,
    comment_id: int,
    *,
    text: str,
    creator: str,
    created_at: str,
    mentions: list[dict[str, str]],
) -> None:
    conn.execute(
        "INSERT INTO comments(app, record, id, text, creator, created_at, mentions) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (app, record, comment_id, text, creator, created_at, json.dumps(mentions, ensure_ascii=False)),
    )


def creator_of(conn: sqlite3.Connection, app: int, record: int, comment_id: int) -> str | None:
    """Who wrote the comment, or None when the record has no such comment."""
    row = conn.execute(
        "SELECT creator FROM comments WHERE app = ? AND record = ? AND id = ?", (app, record, comment_id)
    ).fetchone()
    return None if row is None else str(row["creator"])


def delete(conn: sqlite3.Connection, app: int, record: int, comment_id: int) -> None:
    conn.execute("DELETE FROM comments WHERE app = ? AND record = ? AND id = ?", (app, record, comment_id))


def of_app(conn: sqlite3.Connection, app: int) -> list[sqlite3.Row]:
    """Every comment of an app's records (for the cross search)."""
    return list(conn.execute(
        "SELECT record, id, text, creator, created_at FROM comments WHERE app = ? ORDER BY record, id", (app,)
    ))
