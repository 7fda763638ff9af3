"""What a sandbox holds, for the start-up banners of ``kintone-mcp sandbox`` and ``serve --sandbox``: read from the
database rather than listed by hand, so a demo app added later is announced without anyone remembering to."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class AppOverview:
    app_id: int
    code: str
    name: str
    records: int
    #: the guest space the app lives in (its REST path is /k/guest/ID/v1/), else None
    guest_space: int | None
    space_name: str | None


def app_overview(conn: sqlite3.Connection) -> list[AppOverview]:
    """Every app, by id, with its record count and the guest space (if any) it lives in."""
    rows = conn.execute(
        "SELECT a.id, a.code, a.name, s.id AS space, s.name AS space_name, s.is_guest,"
        " (SELECT COUNT(*) FROM records r WHERE r.app = a.id) AS records"
        " FROM apps a LEFT JOIN spaces s ON s.id = a.space_id ORDER BY a.id"
    ).fetchall()
    return [
        AppOverview(
            app_id=int(r["id"]),
            code=str(r["code"]),
            name=str(r["name"]),
            records=int(r["records"]),
            guest_space=int(r["space"]) if r["is_guest"] else None,
            space_name=None if r["space_name"] is None else str(r["space_name"]),
        )
        for r in rows
    ]
