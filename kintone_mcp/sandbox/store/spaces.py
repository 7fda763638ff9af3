"""Spaces: the space rows, their members, which guest space an app lives in, and who may see a space.

A space is visible to a user when it is public (not private, not a guest space) or when the user is a member:
directly, through a group, or through an organization (with ``include_subs``, through its child organizations too).
The Administrator user gets no exemption: Kintone hides private spaces from administrators who are not members.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from kintone_mcp.sandbox.store import directory
from kintone_mcp.sandbox.store.appstore import AppInfo

#: The display switches PUT space.json takes, with the values a new space starts with.
DEFAULT_SETTINGS: dict[str, bool] = {
    "showAnnouncement": True,
    "showThreadList": True,
    "showAppList": True,
    "showMemberList": True,
    "showRelatedLinkList": True,
}


@dataclass(frozen=True)
class Member:
    type: str
    code: str
    is_admin: bool = False
    include_subs: bool = False


@dataclass(frozen=True)
class SpaceRow:
    id: int
    name: str
    is_guest: bool
    is_private: bool
    default_thread: int
    body: str
    use_multi_thread: bool
    fixed_member: bool
    settings: dict[str, Any] = field(default_factory=dict)
    creator: str = directory.ADMIN_LOGIN
    created_at: str = ""
    modifier: str = directory.ADMIN_LOGIN
    modified_at: str = ""


def next_thread_id(conn: sqlite3.Connection) -> int:
    # Thread ids are global; databases made before threads had a table still count their default threads.
    row = conn.execute(
        "SELECT MAX(COALESCE((SELECT MAX(id) FROM space_threads), 0), COALESCE((SELECT MAX(default_thread) "
        "FROM spaces), 0)) + 1"
    ).fetchone()
    return int(row[0])


def add_space(
    conn: sqlite3.Connection,
    name: str,
    *,
    guest: bool = False,
    private: bool = False,
    body: str = "",
    use_multi_thread: bool = True,
    fixed_member: bool = False,
    creator: str = directory.ADMIN_LOGIN,
    now: str = "",
    members: list[Member] | None = None,
) -> int:
    """Create a space with its default thread and return its id. Without ``members`` the creator is its admin."""
    next_id = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM spaces").fetchone()[0]
    thread = next_thread_id(conn)
    conn.execute(
        "INSERT INTO spaces(id, name, is_guest, default_thread, body, is_private, use_multi_thread, fixed_member, "
        "settings, creator, created_at, modifier, modified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (next_id, name, int(guest), thread, body, int(private), int(use_multi_thread), int(fixed_member),
         json.dumps(DEFAULT_SETTINGS), creator, now, creator, now),
    )
    add_thread(conn, next_id, name, thread_id=thread, creator=creator, now=now)
    set_members(conn, next_id, members if members is not None else [Member("USER", creator, is_admin=True)])
    return int(next_id)


def add_thread(
    conn: sqlite3.Connection, space: int, name: str, *, body: str = "", creator: str, now: str,
    thread_id: int | None = None,
) -> int:
    tid = next_thread_id(conn) if thread_id is None else thread_id
    conn.execute(
        "INSERT INTO space_threads(id, space, name, body, creator, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (tid, space, name, body, creator, now),
    )
    return tid


def _row(row: sqlite3.Row) -> SpaceRow:
    return SpaceRow(
        id=int(row["id"]), name=row["name"], is_guest=bool(row["is_guest"]), is_private=bool(row["is_private"]),
        default_thread=int(row["default_thread"]), body=row["body"], use_multi_thread=bool(row["use_multi_thread"]),
        fixed_member=bool(row["fixed_member"]), settings={**DEFAULT_SETTINGS, **json.loads(row["settings"])},
        creator=row["creator"], created_at=row["created_at"], modifier=row["modifier"],
        modified_at=row["modified_at"],
    )


def get(conn: sqlite3.Connection, space: int) -> SpaceRow | None:
    row = conn.execute("SELECT * FROM spaces WHERE id = ?", (space,)).fetchone()
    return None if row is None else _row(row)


def all_spaces(conn: sqlite3.Connection) -> list[SpaceRow]:
    return [_row(r) for r in conn.execute("SELECT * FROM spaces ORDER BY id")]


def update(conn: sqlite3.Connection, space: int, changes: dict[str, Any], *, modifier: str, now: str) -> None:
    """Apply column changes (name, body, is_private, use_multi_thread, fixed_member, settings)."""
    sets = ", ".join(f"{column} = ?" for column in changes)
    values = [json.dumps(v) if column == "settings" else v for column, v in changes.items()]
    conn.execute(
        f"UPDATE spaces SET {sets}{', ' if sets else ''}modifier = ?, modified_at = ? WHERE id = ?",
        (*values, modifier, now, space),
    )


def delete(conn: sqlite3.Connection, space: int) -> None:
    """The space, its members, threads and their comments. Its apps stay, outside any space (as Kintone keeps the
    apps of a deleted space only where the deletion leaves them; the sandbox keeps them readable)."""
    for sql in (
        "DELETE FROM thread_comments WHERE space = ?",
        "DELETE FROM space_threads WHERE space = ?",
        "DELETE FROM space_members WHERE space = ?",
        "DELETE FROM space_guests WHERE space = ?",
        "UPDATE apps SET space_id = NULL, thread_id = NULL WHERE space_id = ?",
        "DELETE FROM spaces WHERE id = ?",
    ):
        conn.execute(sql, (space,))


def members(conn: sqlite3.Connection, space: int) -> list[Member]:
    return [
        Member(r["type"], r["code"], bool(r["is_admin"]), bool(r["include_subs"]))
        for r in conn.execute(
            "SELECT type, code, is_admin, include_subs FROM space_members WHERE space = ? "
            "ORDER BY is_admin DESC, type DESC, code",
            (space,),
        )
    ]


def set_members(conn: sqlite3.Connection, space: int, new: list[Member]) -> None:
    conn.execute("DELETE FROM space_members WHERE space = ?", (space,))
    conn.executemany(
        "INSERT INTO space_members(space, type, code, is_admin, include_subs) VALUES (?, ?, ?, ?, ?)",
        [(space, m.type, m.code, int(m.is_admin), int(m.include_subs)) for m in new],
    )


def _orgs_of(conn: sqlite3.Connection, login: str) -> tuple[set[str], set[str]]:
    """The user's own organizations, and those plus every organization above them."""
    own = {str(r[0]) for r in conn.execute("SELECT org_code FROM org_users WHERE user_code = ?", (login,))}
    parents = directory.org_parents(conn)
    above = set(own)
    for org in own:
        parent = parents.get(org)
        while parent is not None and parent not in above:
            above.add(parent)
            parent = parents.get(parent)
    return own, above


def member_role(conn: sqlite3.Connection, space: int, login: str) -> str | None:
    """"admin", "member", or None for a user who is not a member of the space (in any way)."""
    groups = directory.user_groups(conn, login)
    own_orgs, orgs_above = _orgs_of(conn, login)
    role: str | None = None
    for m in members(conn, space):
        matched = (
            (m.type == "USER" and m.code == login)
            or (m.type == "GROUP" and m.code in groups)
            or (m.type == "ORGANIZATION" and m.code in (orgs_above if m.include_subs else own_orgs))
        )
        if matched:
            if m.is_admin:
                return "admin"
            role = "member"
    return role


def can_see(conn: sqlite3.Connection, space: SpaceRow, login: str) -> bool:
    if not space.is_private and not space.is_guest:
        return True
    return member_role(conn, space.id, login) is not None


def visible_ids(conn: sqlite3.Connection, login: str) -> set[int]:
    return {s.id for s in all_spaces(conn) if can_see(conn, s, login)}


def threads(conn: sqlite3.Connection, space: int) -> list[sqlite3.Row]:
    return list(conn.execute("SELECT * FROM space_threads WHERE space = ? ORDER BY id", (space,)))


def thread(conn: sqlite3.Connection, thread_id: int) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute("SELECT * FROM space_threads WHERE id = ?", (thread_id,)).fetchone()
    return row


def update_thread(conn: sqlite3.Connection, thread_id: int, changes: dict[str, str]) -> None:
    """Change a thread's ``name`` and / or ``body``."""
    sets = ", ".join(f"{column} = ?" for column in changes if column in ("name", "body"))
    if sets:
        conn.execute(f"UPDATE space_threads SET {sets} WHERE id = ?", (*changes.values(), thread_id))


def thread_comments(conn: sqlite3.Connection, space: int) -> list[sqlite3.Row]:
    return list(conn.execute("SELECT * FROM thread_comments WHERE space = ? ORDER BY id", (space,)))


def add_thread_comment(
    conn: sqlite3.Connection, space: int, thread_id: int, *, text: str, mentions: list[dict[str, str]],
    files: list[dict[str, str]], creator: str, now: str,
) -> int:
    cursor = conn.execute(
        "INSERT INTO thread_comments(space, thread, text, mentions, files, creator, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (space, thread_id, text, json.dumps(mentions), json.dumps(files), creator, now),
    )
    return int(cursor.lastrowid or 0)


def template(conn: sqlite3.Connection, template_id: int) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute("SELECT * FROM space_templates WHERE id = ?", (template_id,)).fetchone()
    return row


def add_template(conn: sqlite3.Connection, name: str, *, body: str = "", threads: tuple[str, ...] = ()) -> int:
    cursor = conn.execute(
        "INSERT INTO space_templates(name, body, threads) VALUES (?, ?, ?)", (name, body, json.dumps(list(threads)))
    )
    return int(cursor.lastrowid or 0)


def add_guest(conn: sqlite3.Connection, code: str, name: str, *, now: str) -> None:
    conn.execute("INSERT INTO guest_users(code, name, created_at) VALUES (?, ?, ?)", (code, name, now))


def guest_exists(conn: sqlite3.Connection, code: str) -> bool:
    return conn.execute("SELECT 1 FROM guest_users WHERE code = ?", (code,)).fetchone() is not None


def delete_guests(conn: sqlite3.Connection, codes: list[str]) -> None:
    conn.executemany("DELETE FROM space_guests WHERE code = ?", [(c,) for c in codes])
    conn.executemany("DELETE FROM guest_users WHERE code = ?", [(c,) for c in codes])


def guests_of(conn: sqlite3.Connection, space: int) -> list[str]:
    return [str(r[0]) for r in conn.execute("SELECT code FROM space_guests WHERE space = ? ORDER BY code", (space,))]


def set_guests(conn: sqlite3.Connection, space: int, codes: list[str]) -> None:
    conn.execute("DELETE FROM space_guests WHERE space = ?", (space,))
    conn.executemany("INSERT INTO space_guests(space, code) VALUES (?, ?)", [(space, c) for c in codes])


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
