"""Apps in the database: loading, creating, changing preview settings and deploying them."""

from __future__ import annotations

import functools
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from kintone_mcp.sandbox.store import appdefs, filestore
from kintone_mcp.sandbox.store.appdefs import JsonDict
from kintone_mcp.sandbox.store.querysql import index_statements


@dataclass(frozen=True)
class AppInfo:
    """One app row. ``live`` and ``preview`` are settings dicts (see ``appdefs.new_app_settings``); treat them as
    read-only, they may be shared through the sandbox's cache."""

    id: int
    code: str
    name: str
    description: str
    space_id: int | None
    thread_id: int | None
    created_at: str
    creator: str
    modified_at: str
    modifier: str
    live: JsonDict
    preview: JsonDict
    live_revision: int
    preview_revision: int
    deploy_status: str | None
    allowed_users: list[str] | None

    @property
    def properties(self) -> JsonDict:
        """Live field definitions (what record APIs validate against)."""
        props: JsonDict = self.live["properties"]
        return props

    @property
    def process(self) -> JsonDict:
        process: JsonDict = self.live["status"]
        return process

    @property
    def process_enabled(self) -> bool:
        return bool(self.live["status"]["enable"])


_COLUMNS = (
    "id, code, name, description, space_id, thread_id, created_at, creator, modified_at, modifier, live, preview,"
    " live_revision, preview_revision, deploy_status, allowed_users"
)

@functools.lru_cache(maxsize=512)
def _parse_settings(text: str) -> JsonDict:
    # Parsing settings JSON on every request would dominate small requests. Keyed by the exact text, so sandboxes
    # sharing a process cannot see each other's settings; callers never mutate the result.
    parsed: JsonDict = json.loads(text)
    return parsed


def _from_row(row: sqlite3.Row) -> AppInfo:
    return AppInfo(
        id=row["id"],
        code=row["code"],
        name=row["name"],
        description=row["description"],
        space_id=row["space_id"],
        thread_id=row["thread_id"],
        created_at=row["created_at"],
        creator=row["creator"],
        modified_at=row["modified_at"],
        modifier=row["modifier"],
        live=_parse_settings(row["live"]),
        preview=_parse_settings(row["preview"]),
        live_revision=row["live_revision"],
        preview_revision=row["preview_revision"],
        deploy_status=row["deploy_status"],
        allowed_users=_allowed(row),
    )


def _allowed(row: sqlite3.Row) -> list[str] | None:
    raw = row["allowed_users"]
    return None if raw is None else list(json.loads(raw))


def load_app(conn: sqlite3.Connection, app_id: int) -> AppInfo | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM apps WHERE id = ?", (app_id,)).fetchone()
    return None if row is None else _from_row(row)


def list_apps(conn: sqlite3.Connection, where: str = "1", params: tuple[Any, ...] = ()) -> list[AppInfo]:
    rows = conn.execute(f"SELECT {_COLUMNS} FROM apps WHERE {where} ORDER BY id", params).fetchall()
    return [_from_row(r) for r in rows]


def create_app(
    conn: sqlite3.Connection,
    *,
    name: str,
    creator: str,
    now: str,
    space_id: int | None = None,
    thread_id: int | None = None,
    code: str = "",
    description: str = "",
    app_id: int | None = None,
) -> int:
    """Create an app whose live and preview settings are both the empty form of a new app."""
    settings = json.dumps(appdefs.new_app_settings(name, description))
    cur = conn.execute(
        "INSERT INTO apps(id, code, name, description, space_id, thread_id, created_at, creator, modified_at,"
        " modifier, live, preview, live_revision, preview_revision)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1)",
        (app_id, code, name, description, space_id, thread_id, now, creator, now, creator, settings, settings),
    )
    new_id = cur.lastrowid
    assert new_id is not None
    return new_id


def save_preview(conn: sqlite3.Connection, app: AppInfo, preview: JsonDict, *, modifier: str, now: str) -> int:
    """Store new preview settings; returns the new settings revision."""
    revision = app.preview_revision + 1
    conn.execute(
        "UPDATE apps SET preview = ?, preview_revision = ?, modified_at = ?, modifier = ? WHERE id = ?",
        (json.dumps(preview), revision, now, modifier, app.id),
    )
    return revision


def create_indexes(conn: sqlite3.Connection, app: AppInfo) -> None:
    """Expression indexes for the live fields queries filter and sort on (the compiler's own expressions)."""
    for statement in index_statements(app.id, indexed_fields(app.live["properties"])):
        conn.execute(statement)


_RANGE_TYPES = frozenset({"NUMBER", "CALC", "DATE", "DATETIME", "TIME"})


def indexed_fields(props: JsonDict) -> JsonDict:
    """The fields worth an index: ranges and sorts (numbers, dates, times) and key-like text (unique fields and
    lookup keys). Drop-downs and free text are left out: they cost write and seeding time, and with few distinct
    values an index on them leads SQLite's planner astray (measured on the 100k-record Deals app)."""
    return {
        code: prop
        for code, prop in props.items()
        if prop.get("type") in _RANGE_TYPES
        or (prop.get("type") in ("SINGLE_LINE_TEXT", "LINK") and (prop.get("unique") or prop.get("lookup")))
    }


def drop_indexes(conn: sqlite3.Connection, app_id: int, codes: list[str], props: JsonDict) -> None:
    for statement in index_statements(app_id, indexed_fields({c: props[c] for c in codes})):
        name = statement.split('"')[1]
        conn.execute(f'DROP INDEX IF EXISTS "{name}"')


def deploy_problem(conn: sqlite3.Connection, app: AppInfo) -> str | None:
    """Why deploying ``app``'s preview would fail, or None. Kintone fails a deploy (status FAIL) whose lookups or
    related-records fields point at an app or field that is gone, e.g. deleted after the lookup was added; its
    deploy status gives no reason, so this one is only logged by the sandbox."""
    for code, prop in app.preview["properties"].items():
        for inner_code, inner in [(code, prop), *prop.get("fields", {}).items()]:
            lookup = appdefs.lookup_of(inner)
            reference = inner.get("referenceTable") if isinstance(inner.get("referenceTable"), dict) else None
            source = lookup or reference
            if source is None:
                continue
            related_id = int(source["relatedApp"]["app"])
            related = load_app(conn, related_id)
            if related is None:
                return f"{inner_code}: the related app {related_id} does not exist"
            related_props = related.live["properties"]
            needed = (
                [lookup["relatedKeyField"], *(m["relatedField"] for m in lookup.get("fieldMappings", []))]
                if lookup is not None
                else [str((source.get("condition") or {}).get("relatedField", ""))]
            )
            for field in needed:
                if field and field not in related_props:
                    return f"{inner_code}: app {related_id} has no field {field!r}"
    return None


def mark_deploy(conn: sqlite3.Connection, app_id: int, status: str) -> None:
    """Record a deploy's outcome without changing settings (FAIL, or CANCEL beside another app's FAIL)."""
    conn.execute("UPDATE apps SET deploy_status = ? WHERE id = ?", (status, app_id))


def deploy(conn: sqlite3.Connection, app: AppInfo, *, revert: bool, modifier: str, now: str) -> set[str]:
    """Make preview settings live (or throw them away with ``revert``), adapting stored records to the new form.

    Returns the file keys the removed fields held, for the caller to release (``filestore.release``)."""
    if revert:
        conn.execute(
            "UPDATE apps SET preview = live, preview_revision = live_revision, deploy_status = 'CANCEL' WHERE id = ?",
            (app.id,),
        )
        return set()
    new = app.preview
    old_props = app.live["properties"]
    removed = [c for c in old_props if c not in new["properties"]]
    drop_indexes(conn, app.id, removed, old_props)
    dropped_files: set[str] = set()
    for code in removed:
        if old_props[code].get("type") in ("FILE", "SUBTABLE"):
            for row in conn.execute(
                "SELECT json_extract(data, ?) FROM records WHERE app = ? AND json_extract(data, ?) IS NOT NULL",
                (f'$."{code}"', app.id, f'$."{code}"'),
            ):
                dropped_files |= filestore.file_keys(json.loads(row[0]))
        # Data of a deleted field disappears in Kintone; without this a field re-created under the same code
        # would resurrect old values.
        conn.execute(
            "UPDATE records SET data = json_remove(data, ?) WHERE app = ?", (f'$."{code}"', app.id)
        )
    was_enabled = bool(app.live["status"]["enable"])
    now_enabled = bool(new["status"]["enable"])
    if now_enabled and not was_enabled:
        # Turning process management on puts every record in the first state, with no assignee.
        first = appdefs.first_state(new["status"])
        conn.execute(
            "UPDATE records SET status = ?, assignees = '[]' WHERE app = ?",
            (None if first is None else first["name"], app.id),
        )
    elif was_enabled and not now_enabled:
        conn.execute("UPDATE records SET status = NULL, assignees = '[]' WHERE app = ?", (app.id,))
    conn.execute(
        "UPDATE apps SET live = preview, live_revision = preview_revision, name = ?, description = ?,"
        " deploy_status = 'SUCCESS', modified_at = ?, modifier = ? WHERE id = ?",
        (new["name"], new.get("description", ""), now, modifier, app.id),
    )
    deployed = load_app(conn, app.id)
    assert deployed is not None
    create_indexes(conn, deployed)
    return dropped_files


def set_allowed_users(conn: sqlite3.Connection, app: int, logins: list[str] | None) -> None:
    """Restrict an app to these users (None: everyone); the Administrator is always allowed."""
    allowed = None if logins is None else json.dumps(logins)
    conn.execute("UPDATE apps SET allowed_users = ? WHERE id = ?", (allowed, app))


def take_record_id(conn: sqlite3.Connection, app: int) -> int:
    """The id of the app's next record (ids are never reused, even after deletes)."""
    row = conn.execute(
        "UPDATE apps SET next_record_id = next_record_id + 1 WHERE id = ? RETURNING next_record_id - 1", (app,)
    ).fetchone()
    return int(row[0])
