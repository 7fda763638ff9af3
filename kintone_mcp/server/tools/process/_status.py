"""What the process tools share: a record's status and assignees as answers show them, and Kintone's refusal quoted."""

from __future__ import annotations

from kintone_mcp.client.errors import ValidationError
from kintone_mcp.server.compact import RecordFormatter
from kintone_mcp.server.state import ServerState

#: Kintone's code for "name the next status's assignee" (documented even when there is a single candidate).
NAME_ASSIGNEE = "GAIA_SA01"


def said(exc: ValidationError) -> str:
    """Kintone's message and code, to quote inside a sentence of ours."""
    return (exc.message or str(exc)).rstrip(".") + (f" ({exc.code})" if exc.code else "")


async def status_of(state: ServerState, app_id: int, record_id: int) -> tuple[str | None, list[str]]:
    record = await state.client.get_record(app_id, record_id)
    fmt = RecordFormatter()
    status, assignees = None, []
    for cell in record.raw.values():
        if cell.get("type") == "STATUS":
            status = cell.get("value")
        elif cell.get("type") == "STATUS_ASSIGNEE":
            assignees = [fmt.entity(v) for v in cell.get("value") or []]
    return status, assignees


async def lone_candidate(state: ServerState, app_id: int, record_id: int, action: str) -> str | None:
    """The one user the action's next status can be assigned to, where that can be told from the app's settings and
    the record (users named in the status, the record's creator, a user field); None when there are several, or
    when groups or organizations are involved (their members are not known here)."""
    settings = await state.client.get_process_settings(app_id)
    record = await state.client.get_record(app_id, record_id)
    cells = record.raw
    current = next((c.get("value") for c in cells.values() if c.get("type") == "STATUS"), None)
    step = next((a for a in settings.actions_from(current or "") if a.name == action), None)
    target = (settings.states or {}).get(step.to) if step is not None else None
    if target is None or target.assignee is None or target.assignee.type != "ONE":
        return None
    candidates: set[str] = set()
    for item in target.assignee.entities:
        entity = item.entity
        if entity.type == "USER" and entity.code:
            candidates.add(entity.code)
        elif entity.type == "CREATOR":
            creator = next((c.get("value") for c in cells.values() if c.get("type") == "CREATOR"), None)
            if isinstance(creator, dict) and creator.get("code"):
                candidates.add(str(creator["code"]))
        elif entity.type == "FIELD_ENTITY" and entity.code in cells and cells[entity.code].get("type") == "USER_SELECT":
            candidates.update(str(u["code"]) for u in cells[entity.code].get("value") or [] if u.get("code"))
        else:
            return None
    return next(iter(candidates)) if len(candidates) == 1 else None
