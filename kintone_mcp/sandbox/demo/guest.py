"""The demo guest space's app: app 4 "Partner requests" (code PARTNER) in guest space 2 "Partner portal".

Guest-space apps answer only on ``/k/guest/2/v1/...`` (the normal path gives 400 GAIA_IL23), so tests and clients
have one ready-made app to exercise guest paths with. Its records come from their own seeded RNG, so adding this app
left the other demo apps' data unchanged.
"""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import timedelta

from kintone_mcp.sandbox.demo.builders import (
    epoch_of,
    field_def,
    insert_records,
    install_app,
    list_views,
    options_of,
    stamp,
)
from kintone_mcp.sandbox.options import SandboxConfig
from kintone_mcp.sandbox.store import appstore
from kintone_mcp.sandbox.store.appdefs import JsonDict
from kintone_mcp.sandbox.store.directory import ADMIN_LOGIN

PARTNER = 4
PARTNER_SPACE_NAME = "Partner portal"
_CATEGORIES = ("Co-marketing", "Technical question", "Pricing", "Training")
_PARTNERS = ("Aoba Consulting", "Hikari Integrators", "Sora Solutions", "Kawa Systems")
_SUBJECTS = (
    "Joint webinar in spring", "API rate limits for a large customer", "Reseller discount for 50 seats",
    "Hands-on session for new staff", "Logo usage in a case study", "Sandbox for a proof of concept",
)
RECORDS = 12


def partner_fields() -> list[JsonDict]:
    return [
        field_def("subject", "SINGLE_LINE_TEXT", "Subject", required=True, maxLength="120"),
        field_def("partner", "SINGLE_LINE_TEXT", "Partner company", required=True),
        field_def("category", "DROP_DOWN", "Category", options=options_of(_CATEGORIES)),
        field_def("requested_on", "DATE", "Requested on"),
        field_def("details", "MULTI_LINE_TEXT", "Details"),
    ]


def seed_partner_app(conn: sqlite3.Connection, config: SandboxConfig) -> None:
    """Install the app in the demo guest space (created by ``seed``) with a dozen records."""
    row = conn.execute(
        "SELECT id, default_thread FROM spaces WHERE name = ? AND is_guest = 1", (PARTNER_SPACE_NAME,)
    ).fetchone()
    assert row is not None, "demo.seed creates the guest space before its app"
    epoch = epoch_of(config)
    now = stamp(epoch)
    install_app(
        conn, app_id=PARTNER, code="PARTNER", name="Partner requests",
        description="Requests from partner companies (guest space).", fields=partner_fields(), process=None,
        now=now, views=list_views(("All requests", ["subject", "partner", "category", "requested_on"], "",
                                   "requested_on desc")),
    )
    conn.execute(
        "UPDATE apps SET space_id = ?, thread_id = ? WHERE id = ?", (row["id"], row["default_thread"], PARTNER)
    )
    rng = random.Random(config.seed + PARTNER)
    rows = []
    for i in range(1, RECORDS + 1):
        created = epoch + timedelta(days=i * 3, hours=rng.randint(0, 8))
        data = {
            "subject": rng.choice(_SUBJECTS),
            "partner": rng.choice(_PARTNERS),
            "category": rng.choice(_CATEGORIES),
            "requested_on": created.date().isoformat(),
            "details": "",
        }
        rows.append((i, 1, ADMIN_LOGIN, stamp(created), ADMIN_LOGIN, stamp(created), None, "[]",
                     json.dumps(data, ensure_ascii=False)))
    insert_records(conn, PARTNER, rows)
    info = appstore.load_app(conn, PARTNER)
    assert info is not None
    appstore.create_indexes(conn, info)
