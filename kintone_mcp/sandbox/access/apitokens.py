"""App API tokens (``X-Cybozu-API-Token``): the permissions one can carry, and registering one for an app."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

#: The permissions an app API token can carry, in Kintone's order.
TOKEN_PERMISSIONS: tuple[str, ...] = ("view", "add", "edit", "delete", "manage")


def add(conn: sqlite3.Connection, app: int, token: str, permissions: Iterable[str], *, demo: bool = False) -> None:
    """Register ``token`` for ``app`` (or give an existing token this app and these permissions)."""
    perms = [p for p in TOKEN_PERMISSIONS if p in set(permissions)]
    conn.execute(
        "INSERT INTO api_tokens(token, app, permissions, demo) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(token) DO UPDATE SET app = excluded.app, permissions = excluded.permissions",
        (token, app, ",".join(perms), int(demo)),
    )


def demo_tokens(conn: sqlite3.Connection) -> dict[int, str]:
    """The full-permission token of each demo app (app id -> token)."""
    rows = conn.execute("SELECT app, token FROM api_tokens WHERE demo = 1 ORDER BY app").fetchall()
    return {int(r["app"]): str(r["token"]) for r in rows}
