"""The demo spaces beside the guest space: "Sales team" (space 1, the Deals app attached, two threads with comments),
the private "Board room" (space 3, only sato and takahashi: the Administrator is not a member, so it shows what a
non-member cannot read or find), a guest member of the guest space, and a space template "Project space" for
``template/space.json``.

Timestamps follow the demo start, so the same configuration gives the same spaces.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from kintone_mcp.sandbox.demo.builders import epoch_of, stamp
from kintone_mcp.sandbox.options import SandboxConfig
from kintone_mcp.sandbox.store import spaces
from kintone_mcp.sandbox.store.directory import ADMIN_LOGIN
from kintone_mcp.sandbox.store.spaces import Member

SALES_SPACE = 1
BOARD_SPACE = 3
PROJECT_TEMPLATE = 1
DEALS = 2
PARTNER_GUEST = "mori@aoba.example"

_SALES_BODY = "Where the sales team plans the week. The Deals app holds the pipeline."
_THREADS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("Weekly pipeline review", "Every Monday: what moved, what is stuck.", (
        ("sato", "Kaze Motors asked for a revised quote before Friday."),
        ("watanabe", "Two renewals slipped to next month; updating the close dates in Deals."),
        (ADMIN_LOGIN, "Please add the lost reasons to the deals you closed as Lost."),
    )),
    ("Trade fair in Osaka", "Booth planning and leads from the fair.", (
        ("watanabe", "We collected 48 leads at the booth; I will enter them as deals this week."),
        ("sato", "The brochure print run needs a final count by Wednesday."),
    )),
)


def seed_spaces(conn: sqlite3.Connection, config: SandboxConfig) -> None:
    """Fill the demo's Sales space (created by ``seed`` as space 1), add the private Board room and the template."""
    epoch = epoch_of(config)
    now = stamp(epoch)
    spaces.update(conn, SALES_SPACE, {"body": _SALES_BODY}, modifier=ADMIN_LOGIN, now=now)
    spaces.set_members(conn, SALES_SPACE, [
        Member("USER", ADMIN_LOGIN, is_admin=True),
        Member("USER", "sato", is_admin=True),
        Member("ORGANIZATION", "sales", include_subs=True),
    ])
    sales = spaces.get(conn, SALES_SPACE)
    assert sales is not None, "demo.seed creates the Sales space first"
    conn.execute("UPDATE apps SET space_id = ?, thread_id = ? WHERE id = ?", (SALES_SPACE, sales.default_thread, DEALS))
    for t, (name, body, comments) in enumerate(_THREADS):
        moment = epoch + timedelta(days=7 * t + 1)
        thread = spaces.add_thread(conn, SALES_SPACE, name, body=body, creator=ADMIN_LOGIN, now=stamp(moment))
        for c, (author, text) in enumerate(comments):
            spaces.add_thread_comment(
                conn, SALES_SPACE, thread, text=text, mentions=[], files=[], creator=author,
                now=stamp(moment + timedelta(hours=c + 1)),
            )
    board = spaces.add_space(
        conn, "Board room", private=True, body="Budget and hiring plans before they are announced.",
        creator="takahashi", now=now,
        members=[Member("USER", "takahashi", is_admin=True), Member("USER", "sato")],
    )
    board_row = spaces.get(conn, board)
    assert board == BOARD_SPACE and board_row is not None
    spaces.add_thread_comment(
        conn, board, board_row.default_thread, text="Draft budget for next year: travel cut by 10%.",
        mentions=[], files=[], creator="takahashi", now=stamp(epoch + timedelta(days=2)),
    )
    # A guest member of the Partner portal (space 2), the demo's guest space.
    spaces.add_guest(conn, PARTNER_GUEST, "Aoba Consulting (Mori)", now=now)
    spaces.set_guests(conn, 2, [PARTNER_GUEST])
    spaces.add_template(conn, "Project space", body="A space for one project: goals, owners, dates.",
                        threads=("Kick-off", "Decisions"))

