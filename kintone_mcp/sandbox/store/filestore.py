"""Stored files: temporary uploads and the files attached to records.

Kintone hands out two kinds of key (docs/kintone-api.md §4.5, §8.9). POST file.json answers an *upload* key (a UUID)
that is good for one thing: being put into a FILE field by one record write. That write gives the file its *download*
key (a long hex string), which is what record JSON shows and what GET file.json accepts. An upload key is therefore
never downloadable, and a download key is never an upload key.

``stored_files`` holds one row per file with its current key, told apart by ``kind``; attaching an upload re-keys the
row (the bytes stay where they are), which also makes the upload key unusable a second time, and records the app the
file now belongs to, so that a download can be checked against the caller's right to view that app and a record write
may keep a download key only in the same app. The bytes live in ``file_chunks``, ``CHUNK`` bytes per row: every read or
write of a piece is one indexed statement, so a file is streamed in and out in linear time and never built up whole in
memory (a single BLOB would need SQLite to walk its overflow chain from the start for every piece, or to materialise
it whole when it is inserted).

Unattached uploads are discarded once older than ``SandboxConfig.upload_retention`` on the sandbox clock: when another
upload arrives, and always when someone tries to attach one.

A file a record no longer holds (an update replaced or cleared it, or the record was deleted) is deleted with that
write (``release``), unless another record of the app still names its key (a download key may be sent back in any
record of its app). A file being downloaded at that moment is only marked ``dropped``: it can no longer be
downloaded or attached, and goes when its last download ends (``Downloads``), so a download in flight is never cut
short. Real Kintone keeps earlier versions of a record's files in the record's change history; the sandbox has no
history, so a replaced file's download key stops working at once (docs/kintone-api.md §4.5 tells clients to read fresh
keys from the record anyway).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

from kintone_mcp.sandbox.store.database import Store

UPLOAD = "upload"
DOWNLOAD = "download"
#: A file no record holds any more, kept only until the downloads still reading it end.
DROPPED = "dropped"
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
    if row["kind"] == DROPPED:
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


def file_keys(value: Any) -> set[str]:
    """Every file key in a record's stored ``data`` (FILE fields, at the top and inside table rows)."""
    keys: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            key = item.get("fileKey")
            if isinstance(key, str):
                keys.add(key)
            else:
                stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return keys


class Downloads:
    """The files being streamed to clients right now, so that ``release`` never deletes one mid-download.

    A download registers while its handler still holds the store's lock (no write can slip in between finding the
    file and starting to send it) and unregisters when its stream ends, is closed, or is garbage-collected unstarted.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._active: Counter[int] = Counter()

    def is_active(self, file_id: int) -> bool:
        with self._lock:
            return self._active[file_id] > 0

    def open(self, store: Store, file: StoredFile) -> FileStream:
        with self._lock:
            self._active[file.id] += 1
        return FileStream(store, self, file)

    def _close(self, store: Store, file_id: int, *, purge: bool) -> None:
        with self._lock:
            self._active[file_id] -= 1
            if self._active[file_id] > 0:
                return
            del self._active[file_id]
        if purge:
            with store.transaction() as conn:
                conn.execute("DELETE FROM stored_files WHERE id = ? AND kind = ?", (file_id, DROPPED))


class FileStream:
    """One download's bytes a chunk at a time. Each chunk takes the store's lock only while it is read, so a slow client
    does not hold up other requests; the file cannot be deleted until the stream is closed."""

    def __init__(self, store: Store, downloads: Downloads, file: StoredFile) -> None:
        self._store = store
        self._downloads = downloads
        self._file = file
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        sent = False
        try:
            seq = 0
            while True:
                with self._store.lock:
                    row = self._store.conn.execute(
                        "SELECT data FROM file_chunks WHERE file = ? AND seq = ?", (self._file.id, seq)
                    ).fetchone()
                if row is None:
                    sent = True
                    return
                seq += 1
                yield bytes(row["data"])
        finally:
            # A stream abandoned half-way may be finalised by the garbage collector, in any thread: only a stream
            # that ran to its end deletes a dropped file itself.
            self._finish(purge=sent)

    def _finish(self, *, purge: bool) -> None:
        if not self._closed:
            self._closed = True
            self._downloads._close(self._store, self._file.id, purge=purge)

    def __del__(self) -> None:
        # A response that was never sent never iterates its stream: undo the count only (no database work from a
        # garbage collector); the next ``release`` or upload deletes the file if it was dropped meanwhile.
        self._finish(purge=False)


def release(conn: sqlite3.Connection, app: int, keys: Iterable[str], downloads: Downloads) -> int:
    """Delete the download files ``keys`` of ``app`` that no record of the app holds any more (call it after the write
    that let go of them, inside its transaction); returns how many went or were marked for going."""
    rows = []
    for key in sorted(set(keys)):
        row = conn.execute(
            "SELECT id, key FROM stored_files WHERE key = ? AND kind = ? AND app = ?", (key, DOWNLOAD, app)
        ).fetchone()
        if row is not None:
            rows.append(row)
    held = _still_held(conn, app, [str(r["key"]) for r in rows])
    released = 0
    for row in rows:
        if row["key"] in held:
            continue
        if downloads.is_active(int(row["id"])):
            conn.execute("UPDATE stored_files SET kind = ? WHERE id = ?", (DROPPED, row["id"]))
        else:
            conn.execute("DELETE FROM stored_files WHERE id = ?", (row["id"],))
        released += 1
    purge_dropped(conn, downloads)
    return released


_HELD_BATCH = 100


def _still_held(conn: sqlite3.Connection, app: int, keys: list[str]) -> set[str]:
    """Those of ``keys`` that some record of ``app`` holds in a FILE field. One scan per batch of keys: the text
    search narrows the records down, ``file_keys`` decides."""
    held: set[str] = set()
    for start in range(0, len(keys), _HELD_BATCH):
        batch = keys[start : start + _HELD_BATCH]
        found = " OR ".join("instr(data, ?) > 0" for _ in batch)
        for row in conn.execute(f"SELECT data FROM records WHERE app = ? AND ({found})", (app, *batch)):
            held |= file_keys(json.loads(row["data"])) & set(batch)
    return held


def purge_dropped(conn: sqlite3.Connection, downloads: Downloads) -> int:
    """Delete dropped files no download is reading any more (one whose stream was never sent, say)."""
    ids = [int(r["id"]) for r in conn.execute("SELECT id FROM stored_files WHERE kind = ?", (DROPPED,))]
    gone = [i for i in ids if not downloads.is_active(i)]
    conn.executemany("DELETE FROM stored_files WHERE id = ?", [(i,) for i in gone])
    return len(gone)
