"""Users, organisations and groups (the cybozu.com directory) as the sandbox stores them.

They give user-type fields, CREATOR, LOGINUSER() and PRIMARY_ORGANIZATION() their meaning; the User API
endpoints (``/v1/users.json`` …) can serve these tables as they are.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from dataclasses import dataclass

#: The built-in administrator every sandbox has (tokens act as this user).
ADMIN_LOGIN = "Administrator"
#: The built-in group of cybozu.com administrators (User API writes touching its members need the dangerous scope).
ADMINISTRATORS_GROUP = "Administrators"
DEFAULT_PASSWORD = "sandbox"
DEFAULT_TIMEZONE = "Asia/Tokyo"


@dataclass(frozen=True)
class UserInfo:
    code: str
    name: str
    timezone: str
    primary_organization: str | None


@dataclass(frozen=True)
class Names:
    """Display names by code, used to render ``{code, name}`` in records."""

    users: dict[str, str]
    organizations: dict[str, str]
    groups: dict[str, str]


def _hash(password: str, salt: str) -> str:
    # A sandbox does not need a slow KDF, but storing passwords in the clear in a file someone may share is sloppy.
    return hashlib.sha256(f"{salt}:{password}".encode()).hexdigest()


def upsert_user(
    conn: sqlite3.Connection,
    login: str,
    password: str,
    *,
    name: str | None,
    now: str,
    timezone: str = DEFAULT_TIMEZONE,
    primary_org: str | None = None,
    email: str = "",
) -> None:
    """Create a user, or reset the password of an existing one (``--user`` on a persisted database)."""
    salt = secrets.token_hex(8)
    existing = conn.execute("SELECT code FROM users WHERE code = ?", (login,)).fetchone()
    if existing is not None:
        conn.execute(
            "UPDATE users SET password_hash = ?, salt = ?, mtime = ? WHERE code = ?",
            (_hash(password, salt), salt, now, login),
        )
        if name is not None:
            conn.execute("UPDATE users SET name = ? WHERE code = ?", (name, login))
        return
    next_id = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM users").fetchone()[0]
    conn.execute(
        "INSERT INTO users(code, id, name, password_hash, salt, timezone, primary_org, email, ctime, mtime)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (login, next_id, name or login, _hash(password, salt), salt, timezone, primary_org, email, now, now),
    )
    if primary_org is not None:
        conn.execute("INSERT OR IGNORE INTO org_users(org_code, user_code) VALUES (?, ?)", (primary_org, login))


def add_organization(conn: sqlite3.Connection, code: str, name: str, parent: str | None = None) -> None:
    next_id = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM organizations").fetchone()[0]
    conn.execute(
        "INSERT OR IGNORE INTO organizations(code, id, name, parent_code) VALUES (?, ?, ?, ?)",
        (code, next_id, name, parent),
    )


def add_group(conn: sqlite3.Connection, code: str, name: str, members: list[str]) -> None:
    next_id = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM groups").fetchone()[0]
    conn.execute("INSERT OR IGNORE INTO groups(code, id, name) VALUES (?, ?, ?)", (code, next_id, name))
    conn.executemany(
        "INSERT OR IGNORE INTO group_users(group_code, user_code) VALUES (?, ?)", [(code, m) for m in members]
    )


def add_org_member(conn: sqlite3.Connection, org: str, user: str) -> None:
    conn.execute("INSERT OR IGNORE INTO org_users(org_code, user_code) VALUES (?, ?)", (org, user))


def check_password(conn: sqlite3.Connection, login: str, password: str) -> bool:
    row = conn.execute("SELECT password_hash, salt, valid FROM users WHERE code = ?", (login,)).fetchone()
    if row is None or not row["valid"]:
        return False
    return hmac.compare_digest(row["password_hash"], _hash(password, row["salt"]))


def user_info(conn: sqlite3.Connection, login: str) -> UserInfo | None:
    row = conn.execute("SELECT code, name, timezone, primary_org FROM users WHERE code = ?", (login,)).fetchone()
    if row is None:
        return None
    return UserInfo(row["code"], row["name"], row["timezone"], row["primary_org"])


def load_names(conn: sqlite3.Connection) -> Names:
    return Names(
        users={r["code"]: r["name"] for r in conn.execute("SELECT code, name FROM users")},
        organizations={r["code"]: r["name"] for r in conn.execute("SELECT code, name FROM organizations")},
        groups={r["code"]: r["name"] for r in conn.execute("SELECT code, name FROM groups")},
    )


def user_groups(conn: sqlite3.Connection, login: str) -> set[str]:
    return {r[0] for r in conn.execute("SELECT group_code FROM group_users WHERE user_code = ?", (login,))}


def group_members(conn: sqlite3.Connection, group: str) -> list[str]:
    """The login names in a group, sorted."""
    rows = conn.execute("SELECT user_code FROM group_users WHERE group_code = ? ORDER BY user_code", (group,))
    return [str(r[0]) for r in rows]


def org_members(conn: sqlite3.Connection, org: str) -> list[str]:
    """The login names in an organization (not its sub-organizations), sorted."""
    rows = conn.execute("SELECT user_code FROM org_users WHERE org_code = ? ORDER BY user_code", (org,))
    return [str(r[0]) for r in rows]


def valid_users(conn: sqlite3.Connection) -> set[str]:
    """The login names of the users who are not suspended."""
    return {str(r[0]) for r in conn.execute("SELECT code FROM users WHERE valid = 1")}


def org_parents(conn: sqlite3.Connection) -> dict[str, str | None]:
    """Each organization's parent organization (None at the top)."""
    return {str(r[0]): r[1] for r in conn.execute("SELECT code, parent_code FROM organizations")}


def exists(conn: sqlite3.Connection, table: str, code: str) -> bool:
    """Whether ``table`` (users, organizations or groups) has an entry with this code."""
    return conn.execute(f"SELECT 1 FROM {table} WHERE code = ?", (code,)).fetchone() is not None


def user_locale(conn: sqlite3.Connection, login: str) -> str | None:
    """The user's language setting (``auto``, ``ja``, ``en``...), or None for an unknown user."""
    row = conn.execute("SELECT locale FROM users WHERE code = ?", (login,)).fetchone()
    return None if row is None else row["locale"]


def set_group_users(conn: sqlite3.Connection, group: str, users: list[str]) -> None:
    """Make ``users`` the members of ``group``."""
    conn.execute("DELETE FROM group_users WHERE group_code = ?", (group,))
    conn.executemany("INSERT INTO group_users(group_code, user_code) VALUES (?, ?)", [(group, u) for u in users])


def set_user_groups(conn: sqlite3.Connection, user: str, groups: list[str]) -> None:
    """Make ``groups`` the groups ``user`` belongs to."""
    conn.execute("DELETE FROM group_users WHERE user_code = ?", (user,))
    conn.executemany("INSERT INTO group_users(group_code, user_code) VALUES (?, ?)", [(g, user) for g in groups])


_MENTIONABLE = {
    "USER": "SELECT 1 FROM users WHERE code = ? AND valid = 1",
    "GROUP": "SELECT 1 FROM groups WHERE code = ?",
    "ORGANIZATION": "SELECT 1 FROM organizations WHERE code = ?",
}


def mentionable(conn: sqlite3.Connection, entity_type: str, code: str) -> bool:
    """Whether a comment may mention this USER (not suspended), GROUP or ORGANIZATION."""
    return conn.execute(_MENTIONABLE[entity_type], (code,)).fetchone() is not None
