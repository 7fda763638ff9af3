"""Spaces: creating one, and which guest space an app lives in (guest-space apps answer only on guest paths)."""

from __future__ import annotations

import sqlite3

from kintone_mcp.sandbox.store.appstore import AppInfo


def add_space(conn: sqlite3.Connection, name: str, *, guest: bool = False) -> int:
    """Create a space (its default thread has the space's id) and return its id."""
    next_id = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM spaces").fetchone()[0]
    conn.execute(
        "INSERT INTO spaces(id, name, is_guest, default_thread) VALUES (?, ?, ?, ?)",
        (next_id, name, int(guest), next_id),
    )
    return int(next_id)


def guest_space_of(conn: sqlite3.Connection, info: AppInfo) -> int | None:
    """The guest space an app lives in, or None for apps outside guest spaces."""
    if info.space_id is None:
        return None
    row = conn.execute("SELECT is_guest FROM spaces WHERE id = ?", (info.space_id,)).fetchone()
    return info.space_id if row is not None and row["is_guest"] else None


def load_space(conn: sqlite3.Connection, space: int) -> sqlite3.Row | None:
    """A space's ``is_guest`` and ``default_thread``, or None when there is no such space."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT is_guest, default_thread FROM spaces WHERE id = ?", (space,)
    ).fetchone()
    return row


def is_guest_space(conn: sqlite3.Connection, space: int) -> bool:
    row = conn.execute("SELECT is_guest FROM spaces WHERE id = ?", (space,)).fetchone()
    return row is not None and bool(row["is_guest"])


def guest_space_ids(conn: sqlite3.Connection) -> set[int]:
    return {int(r[0]) for r in conn.execute("SELECT id FROM spaces WHERE is_guest = 1")}
