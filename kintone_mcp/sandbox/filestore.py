"""Stored files: temporary uploads and the files attached to records.

Kintone hands out two kinds of key (kintone-api.md §4.5, §8.9). POST file.json answers an *upload* key (a UUID) that
is good for one thing: being put into a FILE field by one record write. That write gives the file its *download* key
(a long hex string), which is what record JSON shows and what GET file.json accepts. An upload key is therefore never
downloadable, and a download key is never an upload key.

``stored_files`` holds one row per file with its current key, told apart by ``kind``; attaching an upload re-keys the
row (the bytes stay where they are), which also makes the upload key unusable a second time, and records the app the
file now belongs to, so that a download can be checked against the caller's right to view that app and a record write
may keep a download key only in the same app. The bytes live in ``file_chunks``, ``CHUNK`` bytes per row: every read or
write of a piece is one indexed statement, so a file is streamed in and out in linear time and never built up whole in
memory (a single BLOB would need SQLite to walk its overflow chain from the start for every piece, or to materialise
it whole when it is inserted).

Unattached uploads are discarded once older than ``SandboxConfig.upload_retention`` on the sandbox clock: when another
upload arrives, and always when someone tries to attach one.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

UPLOAD = "upload"
DOWNLOAD = "download"
CHUNK = 256 * 1024


def stamp(moment: datetime) -> str:
    """Sortable UTC text with microseconds: expiry compares these as strings."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class StoredFile:
    """A downloadable file and what to tell the client about it."""

    id: int
    key: str
    name: str
    content_type: str
    size: int
    app: int | None


def purge_expired(conn: sqlite3.Connection, now: datetime, retention: timedelta) -> int:
    """Drop uploads nobody attached in time (their chunks go with them); returns how many went."""
    cursor = conn.execute(
        "DELETE FROM stored_files WHERE kind = ? AND created_at < ?", (UPLOAD, stamp(now - retention))
    )
    return cursor.rowcount


def save_upload(
    conn: sqlite3.Connection, source: BinaryIO, size: int, *, name: str, content_type: str, now: datetime
) -> str:
    """Store ``size`` bytes read from ``source`` as a new upload and return its upload key."""
    key = str(uuid.uuid4())
    cursor = conn.execute(
        "INSERT INTO stored_files(key, kind, name, content_type, size, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (key, UPLOAD, name, content_type, size, stamp(now)),
    )
    file_id = cursor.lastrowid
    written = 0
    seq = 0
    while written < size and (chunk := source.read(min(CHUNK, size - written))):
        conn.execute("INSERT INTO file_chunks(file, seq, data) VALUES (?, ?, ?)", (file_id, seq, chunk))
        written += len(chunk)
        seq += 1
    if written != size:
        # The spooled file was shorter than measured: refuse rather than store a truncated file.
        raise ValueError(f"upload ended after {written} of {size} bytes")
    return key


def _download_key(now: datetime) -> str:
    # The shape of Kintone's download keys: a timestamp followed by a long upper-case hex tail.
    return now.astimezone(UTC).strftime("%Y%m%d%H%M%S") + secrets.token_hex(18).upper()


def attach(
    conn: sqlite3.Connection, key: str, *, app: int, now: datetime, retention: timedelta
) -> dict[str, str] | None:
    """Resolve a fileKey sent in a FILE field of a record write to the value to store, or None when the key cannot
    be used there: unknown, an expired or already attached upload, or a download key of another app.

    An upload key becomes a new download key owned by ``app``; a download key of ``app`` is kept as it is.
    """
    row = conn.execute(
        "SELECT id, kind, name, content_type, size, created_at, app FROM stored_files WHERE key = ?", (key,)
    ).fetchone()
    if row is None:
        return None
    if row["kind"] == UPLOAD:
        if row["created_at"] < stamp(now - retention):
            conn.execute("DELETE FROM stored_files WHERE id = ?", (row["id"],))
            return None
        key = _download_key(now)
        conn.execute(
            "UPDATE stored_files SET key = ?, kind = ?, created_at = ?, app = ? WHERE id = ?",
            (key, DOWNLOAD, stamp(now), app, row["id"]),
        )
    elif row["app"] != app:
        return None
    return {"fileKey": key, "name": row["name"], "contentType": row["content_type"], "size": str(row["size"])}


def find_download(conn: sqlite3.Connection, key: str) -> StoredFile | None:
    """A file by its download key; None for unknown keys and for upload keys."""
    row = conn.execute(
        "SELECT id, key, name, content_type, size, app FROM stored_files WHERE key = ? AND kind = ?",
        (key, DOWNLOAD),
    ).fetchone()
    if row is None:
        return None
    return StoredFile(
        id=int(row["id"]),
        key=row["key"],
        name=row["name"],
        content_type=row["content_type"],
        size=int(row["size"]),
        app=None if row["app"] is None else int(row["app"]),
    )


def iter_bytes(conn: sqlite3.Connection, lock: threading.RLock, file: StoredFile) -> Iterator[bytes]:
    """The file's bytes a chunk at a time. Each chunk takes the store's lock only while it is read, so a slow client
    does not hold up other requests; attached files are never deleted, so every chunk is still there."""
    seq = 0
    while True:
        with lock:
            row = conn.execute("SELECT data FROM file_chunks WHERE file = ? AND seq = ?", (file.id, seq)).fetchone()
        if row is None:
            return
        seq += 1
        yield bytes(row["data"])
