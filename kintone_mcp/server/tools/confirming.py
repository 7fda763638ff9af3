"""What the tools' confirmation summaries share (``ToolSpec.confirm``, asked by ``server/confirm.py``): the app named
as Kintone names it, ids as short ranges, counts in words.

A summary only reads. It is one line a person decides on, so it names things the way they see them in Kintone (the
app's name, not only its number) and says what is lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from kintone_mcp.client.errors import KintoneError
from kintone_mcp.server.state import ServerState
from kintone_mcp.server.tools.outputs import id_ranges

#: Longest list of ids or names a question quotes before it says how many more there are.
_MAX_SHOWN = 60


async def app_named(state: ServerState, app_id: int, detail: str = "") -> str:
    """ "Deals (app 2)", or with ``detail`` "Deals (app 2; ids 12-48)"; "app 2" when Kintone does not tell the name
    (an API token without access to the app's settings)."""
    more = f"; {detail}" if detail else ""
    try:
        name = (await state.client.get_app(app_id)).name
    except KintoneError:
        name = ""
    return f"{name} (app {app_id}{more})" if name else f"app {app_id}{f' ({detail})' if detail else ''}"


async def apps_named(state: ServerState, app_ids: Iterable[int]) -> str:
    return ", ".join([await app_named(state, a) for a in app_ids])


def counted(n: int, one: str, many: str | None = None) -> str:
    """ "1 record", "37 records"."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def ids_shown(ids: Sequence[int]) -> str:
    """ "id 7", "ids 12-48, 50", cut short when long."""
    return f"id {ids[0]}" if len(ids) == 1 else f"ids {shortened(id_ranges(ids))}"


def names_shown(names: Iterable[str]) -> str:
    return shortened(", ".join(names))


def shortened(text: str) -> str:
    if len(text) <= _MAX_SHOWN:
        return text
    return text[: _MAX_SHOWN].rsplit(", ", 1)[0] + ", …"


def bulk(state: ServerState, n: int) -> bool:
    """More records than KINTONE_CONFIRM_BULK: a bulk write that asks under KINTONE_CONFIRM=destructive."""
    return n > state.options.confirm_bulk
