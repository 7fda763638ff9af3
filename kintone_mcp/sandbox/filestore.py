"""Stored files: temporary uploads and the files attached to records.

Kintone hands out two kinds of key (kintone-api.md §4.5, §8.9). POST file.json answers an *upload* key (a UUID) that
is good for one thing: being put into a FILE field by one record write. That write gives the file its *download* key
(a long hex string), which is what record JSON shows and what GET file.json accepts. An upload key is therefore never
downloadable, and a download key is never an upload key.

Both kinds live in the ``files`` table, told apart by ``kind``. Attaching an upload re-keys its row instead of copying
the bytes, which also makes the upload key unusable a second time. ``file_apps`` records which app a download key
belongs to, so that a download can be checked against the caller's right to view that app, and so that a record
write may keep a download key only when it already belongs to the same app.

Unattached uploads are discarded once older than ``SandboxConfig.upload_retention`` on the sandbox clock: lazily,
when another upload arrives, and always when someone tries to attach one.

Bytes move in chunks through SQLite's incremental BLOB I/O, so the sandbox never builds a second whole copy of a large
file in memory: uploads come from Starlette's spooled temporary file, downloads are read a chunk at a time.
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
CHUNK = 64 * 1024


def stamp(moment: datetime) -> str:
    """Sortable UTC text with microseconds: expiry compares these as strings."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class StoredFile:
    """A downloadable file: where its bytes are (``rowid``) and what to tell the client about them."""

    key: str
    rowid: int
    name: str
    content_type: str
    size: int
    app: int | None


def purge_expired(conn: sqlite3.Connection, now: datetime, retention: timedelta) -> int:
    """Drop uploads nobody attached in time; returns how many went."""
    cursor = conn.execute(
        "DELETE FROM files WHERE kind = ? AND created_at < ?", (UPLOAD, stamp(now - retention))
    )
    return cursor.rowcount


def save_upload(
    conn: sqlite3.Connection, source: BinaryIO, size: int, *, name: str, content_type: str, now: datetime
) -> str:
    """Store ``size`` bytes read from ``source`` as a new upload and return its upload key."""
    key = str(uuid.uuid4())
    cursor = conn.execute(
        "INSERT INTO files(key, kind, name, content_type, size, data, created_at)"
        " VALUES (?, ?, ?, ?, ?, zeroblob(?), ?)",
        (key, UPLOAD, name, content_type, size, size, stamp(now)),
    )
    rowid = cursor.lastrowid
    assert rowid is not None
    written = 0
    with conn.blobopen("files", "data", rowid) as blob:
        while written < size and (chunk := source.read(min(CHUNK, size - written))):
            blob.write(chunk)
            written += len(chunk)
    if written != size:
        # The spooled file was shorter than Starlette counted: refuse rather than store zero padding as content.
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
        "SELECT key, kind, name, content_type, size, created_at FROM files WHERE key = ?", (key,)
    ).fetchone()
    if row is None:
        return None
    if row["kind"] == UPLOAD:
        if row["created_at"] < stamp(now - retention):
            conn.execute("DELETE FROM files WHERE key = ?", (key,))
            return None
        download_key = _download_key(now)
        conn.execute(
            "UPDATE files SET key = ?, kind = ?, created_at = ? WHERE key = ?",
            (download_key, DOWNLOAD, stamp(now), key),
        )
        conn.execute("INSERT INTO file_apps(key, app) VALUES (?, ?)", (download_key, app))
        key = download_key
    else:
        owner = conn.execute("SELECT app FROM file_apps WHERE key = ?", (key,)).fetchone()
        if owner is None or owner["app"] != app:
            return None
    return {"fileKey": key, "name": row["name"], "contentType": row["content_type"], "size": str(row["size"])}


def find_download(conn: sqlite3.Connection, key: str) -> StoredFile | None:
    """A file by its download key; None for unknown keys and for upload keys."""
    row = conn.execute(
        "SELECT f.rowid AS rowid, f.key, f.name, f.content_type, f.size, a.app FROM files f"
        " LEFT JOIN file_apps a ON a.key = f.key WHERE f.key = ? AND f.kind = ?",
        (key, DOWNLOAD),
    ).fetchone()
    if row is None:
        return None
    return StoredFile(
        key=row["key"],
        rowid=int(row["rowid"]),
        name=row["name"],
        content_type=row["content_type"],
        size=int(row["size"]),
        app=None if row["app"] is None else int(row["app"]),
    )


def iter_bytes(conn: sqlite3.Connection, lock: threading.RLock, file: StoredFile) -> Iterator[bytes]:
    """The file's bytes a chunk at a time. Each chunk takes the store's lock only while it is read, so a slow client
    does not hold up other requests; download rows are never deleted, so the row stays where it was found."""
    offset = 0
    while offset < file.size:
        with lock, conn.blobopen("files", "data", file.rowid, readonly=True) as blob:
            blob.seek(offset)
            chunk = blob.read(min(CHUNK, file.size - offset))
        if not chunk:
            return
        offset += len(chunk)
        yield chunk
