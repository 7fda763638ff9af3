"""SQLite storage of the sandbox: the schema, one serialised connection, and transactions.

Record layout (the query compiler in ``querysql.py`` compiles against it, so this layout is a contract between the two):

``records(app, id, revision, creator, created_at, modifier, updated_at, status, assignees, data)``

* ``$id`` and RECORD_NUMBER are ``id``; ``$revision`` is ``revision``.
* CREATOR / MODIFIER are user codes in ``creator`` / ``modifier``; CREATED_TIME / UPDATED_TIME are
  ``YYYY-MM-DDTHH:MM:00Z`` strings (UTC, minute precision) in ``created_at`` / ``updated_at``.
* STATUS is ``status`` (NULL while process management is off); STATUS_ASSIGNEE is ``assignees``, a JSON array of
  user codes.
* ``data`` is a JSON object keyed by field code holding every other top-level field in its stored form
  (``kintone_mcp.sandbox.records.values`` documents and produces those forms).

App settings are kept twice per app, as JSON: ``live`` (what the record APIs and the non-preview settings APIs
use) and ``preview`` (what ``preview/...`` APIs read and write); deploying copies preview to live.

One connection serves every thread: in-memory databases cannot be shared between connections without
shared-cache tricks, and a single writer is what SQLite wants anyway. A re-entrant lock serialises all use, and
every write request runs inside one transaction (nested calls, e.g. from a bulk request, become savepoints).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

SCHEMA_VERSION = "1"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    code TEXT PRIMARY KEY,
    id INTEGER NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    salt TEXT NOT NULL,
    timezone TEXT NOT NULL,
    locale TEXT NOT NULL DEFAULT 'auto',
    primary_org TEXT,
    email TEXT NOT NULL DEFAULT '',
    valid INTEGER NOT NULL DEFAULT 1,
    ctime TEXT NOT NULL,
    mtime TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS organizations (
    code TEXT PRIMARY KEY,
    id INTEGER NOT NULL UNIQUE,
    name TEXT NOT NULL,
    parent_code TEXT
);
CREATE TABLE IF NOT EXISTS org_users (
    org_code TEXT NOT NULL,
    user_code TEXT NOT NULL,
    PRIMARY KEY (org_code, user_code)
);
CREATE TABLE IF NOT EXISTS groups (
    code TEXT PRIMARY KEY,
    id INTEGER NOT NULL UNIQUE,
    name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS group_users (
    group_code TEXT NOT NULL,
    user_code TEXT NOT NULL,
    PRIMARY KEY (group_code, user_code)
);
CREATE TABLE IF NOT EXISTS spaces (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    is_guest INTEGER NOT NULL DEFAULT 0,
    default_thread INTEGER NOT NULL
);
-- Members of a space: users, organizations and groups; one admin user at least (endpoints/spaces.py).
CREATE TABLE IF NOT EXISTS space_members (
    space INTEGER NOT NULL,
    type TEXT NOT NULL,
    code TEXT NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0,
    include_subs INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (space, type, code)
);
-- Thread ids are global, as in Kintone; a space's default thread is one of them.
CREATE TABLE IF NOT EXISTS space_threads (
    id INTEGER PRIMARY KEY,
    space INTEGER NOT NULL,
    name TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    creator TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS thread_comments (
    id INTEGER PRIMARY KEY,
    space INTEGER NOT NULL,
    thread INTEGER NOT NULL,
    text TEXT NOT NULL,
    mentions TEXT NOT NULL DEFAULT '[]',
    files TEXT NOT NULL DEFAULT '[]',
    creator TEXT NOT NULL,
    created_at TEXT NOT NULL
);
-- Guest users (guests.json: e-mail addresses as codes) and the guest spaces they are guest members of.
CREATE TABLE IF NOT EXISTS guest_users (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS space_guests (
    space INTEGER NOT NULL,
    code TEXT NOT NULL,
    PRIMARY KEY (space, code)
);
CREATE TABLE IF NOT EXISTS space_templates (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    use_multi_thread INTEGER NOT NULL DEFAULT 1,
    threads TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS apps (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    space_id INTEGER,
    thread_id INTEGER,
    created_at TEXT NOT NULL,
    creator TEXT NOT NULL,
    modified_at TEXT NOT NULL,
    modifier TEXT NOT NULL,
    live TEXT NOT NULL,
    preview TEXT NOT NULL,
    live_revision INTEGER NOT NULL,
    preview_revision INTEGER NOT NULL,
    deploy_status TEXT,
    next_record_id INTEGER NOT NULL DEFAULT 1,
    allowed_users TEXT
);
CREATE TABLE IF NOT EXISTS api_tokens (
    token TEXT PRIMARY KEY,
    app INTEGER NOT NULL,
    permissions TEXT NOT NULL,
    demo INTEGER NOT NULL DEFAULT 0
);
-- The first file table, unused since stored_files / file_chunks: gone from databases that still have it.
DROP TABLE IF EXISTS files;
CREATE TABLE IF NOT EXISTS records (
    app INTEGER NOT NULL,
    id INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    creator TEXT NOT NULL,
    created_at TEXT NOT NULL,
    modifier TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    status TEXT,
    assignees TEXT NOT NULL DEFAULT '[]',
    data TEXT NOT NULL,
    PRIMARY KEY (app, id)
);
CREATE TABLE IF NOT EXISTS user_api_tokens (
    token TEXT PRIMARY KEY,
    scope TEXT NOT NULL,
    expires_at TEXT,
    revoked INTEGER NOT NULL DEFAULT 0,
    demo INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS directory_details (
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (kind, code)
);
CREATE TABLE IF NOT EXISTS stored_files (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    app INTEGER
);
CREATE INDEX IF NOT EXISTS stored_files_by_age ON stored_files(kind, created_at);
CREATE TABLE IF NOT EXISTS file_chunks (
    file INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (file, seq)
);
CREATE TRIGGER IF NOT EXISTS file_chunks_go_with_their_file AFTER DELETE ON stored_files BEGIN
    DELETE FROM file_chunks WHERE file = OLD.id;
END;
CREATE TABLE IF NOT EXISTS comments (
    app INTEGER NOT NULL,
    record INTEGER NOT NULL,
    id INTEGER NOT NULL,
    text TEXT NOT NULL,
    creator TEXT NOT NULL,
    created_at TEXT NOT NULL,
    mentions TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (app, record, id)
);
CREATE TRIGGER IF NOT EXISTS comments_go_with_their_record AFTER DELETE ON records BEGIN
    DELETE FROM comments WHERE app = OLD.app AND record = OLD.id;
END;
CREATE TABLE IF NOT EXISTS oauth_clients (
    client_id TEXT PRIMARY KEY,
    client_secret TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    name TEXT NOT NULL,
    demo INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS oauth_codes (
    code_hash TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    login TEXT NOT NULL,
    scope TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT,
    challenge_method TEXT,
    expires_at REAL NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS oauth_tokens (
    token_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    grant_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    login TEXT NOT NULL,
    scope TEXT NOT NULL,
    expires_at REAL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS oauth_tokens_by_grant ON oauth_tokens(grant_id);
"""


class Store:
    """The sandbox database: one connection, one lock, explicit transactions."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = None if path is None else Path(path)
        target = ":memory:" if self.path is None else str(self.path)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves so that a request is exactly one transaction.
        self.conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        self.lock = threading.RLock()
        self._depth = 0
        with self.lock:
            if self.path is not None:
                self.conn.execute("PRAGMA journal_mode=WAL")
                self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.executescript(SCHEMA)
            _add_missing_columns(self.conn)
            self.conn.execute(
                "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)", (SCHEMA_VERSION,)
            )

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run a block atomically; nested use becomes a savepoint so an inner failure can be undone alone."""
        with self.lock:
            depth = self._depth
            savepoint = f"sp{depth}"
            self.conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT {savepoint}")
            self._depth = depth + 1
            try:
                yield self.conn
            except BaseException:
                if depth == 0:
                    self.conn.execute("ROLLBACK")
                else:
                    self.conn.execute(f"ROLLBACK TO {savepoint}")
                    self.conn.execute(f"RELEASE {savepoint}")
                raise
            else:
                self.conn.execute("COMMIT" if depth == 0 else f"RELEASE {savepoint}")
            finally:
                self._depth = depth

    def within(self, conn: sqlite3.Connection | None) -> AbstractContextManager[sqlite3.Connection]:
        """The caller's open transaction if it has one, else a new transaction."""
        return self.transaction() if conn is None else nullcontext(conn)

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """Hold the connection for a read; reads see only committed data because writers hold the lock."""
        with self.lock:
            yield self.conn

    def get_meta(self, key: str) -> str | None:
        with self.reading() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row["value"])

    def close(self) -> None:
        with self.lock:
            self.conn.close()


#: Columns added to tables after databases with them existed: (table, column, declaration).
_LATER_COLUMNS = (
    ("spaces", "body", "TEXT NOT NULL DEFAULT ''"),
    ("spaces", "is_private", "INTEGER NOT NULL DEFAULT 0"),
    ("spaces", "use_multi_thread", "INTEGER NOT NULL DEFAULT 1"),
    ("spaces", "fixed_member", "INTEGER NOT NULL DEFAULT 0"),
    # The display switches a person changes (showAnnouncement, showThreadList...), as JSON.
    ("spaces", "settings", "TEXT NOT NULL DEFAULT '{}'"),
    ("spaces", "creator", "TEXT NOT NULL DEFAULT 'Administrator'"),
    ("spaces", "created_at", "TEXT NOT NULL DEFAULT ''"),
    ("spaces", "modifier", "TEXT NOT NULL DEFAULT 'Administrator'"),
    ("spaces", "modified_at", "TEXT NOT NULL DEFAULT ''"),
)


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    # CREATE TABLE IF NOT EXISTS leaves the tables of an older database file as they were: add what they lack.
    for table, column, declaration in _LATER_COLUMNS:
        have = {str(r[1]) for r in conn.execute(f"PRAGMA table_info({table})")}
        if column not in have:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def next_counter(conn: sqlite3.Connection, name: str) -> int:
    """Next value of a named counter (subtable row ids, comment ids…); never reuses a value."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (f"counter:{name}",)).fetchone()
    value = 1 if row is None else int(row["value"]) + 1
    set_meta(conn, f"counter:{name}", str(value))
    return value


def reserve_counter(conn: sqlite3.Connection, name: str, count: int) -> int:
    """Reserve ``count`` consecutive values of a counter at once; returns the first."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (f"counter:{name}",)).fetchone()
    first = 1 if row is None else int(row["value"]) + 1
    set_meta(conn, f"counter:{name}", str(first + count - 1))
    return first
