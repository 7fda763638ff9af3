"""What an app's preview settings change against the live ones, in one sentence (``get_app`` with ``preview``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from kintone_mcp.server.state import ServerState


def _names(kind: str, live: dict[str, Any], preview: dict[str, Any]) -> list[str]:
    parts = []
    added = [k for k in preview if k not in live]
    removed = [k for k in live if k not in preview]
    changed = [k for k in preview if k in live and preview[k] != live[k]]
    for word, codes in (("added", added), ("removed", removed), ("changed", changed)):
        if codes:
            parts.append(f"{kind} {word}: {', '.join(codes)}")
    return parts


async def differences(state: ServerState, app_id: int) -> str:
    client = state.client
    got: dict[tuple[str, bool], Any] = {}
    calls: dict[str, Callable[[bool], Awaitable[Any]]] = {
        "fields": lambda p: client.get_fields(app_id, preview=p),
        "layout": lambda p: client.get_layout(app_id, preview=p),
        "views": lambda p: client.get_views(app_id, preview=p),
        "process": lambda p: client.get_process_settings(app_id, preview=p),
        "settings": lambda p: client.get_general_settings(app_id, preview=p),
    }

    async def one(key: str, preview: bool) -> None:
        got[key, preview] = await calls[key](preview)

    async with anyio.create_task_group() as tg:
        for key in calls:
            for preview in (False, True):
                tg.start_soon(one, key, preview)
    parts = _names("fields", dict(got["fields", False].raw()), dict(got["fields", True].raw()))
    if got["layout", False].layout != got["layout", True].layout:
        parts.append("layout changed")
    views = [{v.name: v.model_dump(exclude={"id"}) for v in got["views", p].ordered()} for p in (False, True)]
    parts += _names("views", views[0], views[1])
    live_p, prev_p = (got["process", p].model_dump(exclude={"revision"}) for p in (False, True))
    if live_p != prev_p:
        parts.append("process management changed")
    live_s, prev_s = ({k: v for k, v in got["settings", p].items() if k != "revision"} for p in (False, True))
    changed = [k for k in prev_s if prev_s.get(k) != live_s.get(k)]
    if changed:
        parts.append(f"settings changed: {', '.join(changed)}")
    if not parts:
        return "Nothing pending: the preview equals the live app."
    return f"Pending until deploy_app (revert: true discards): {'; '.join(parts)}."
