"""What the process tools share: a record's status and assignees as answers show them, and Kintone's refusal quoted."""

from __future__ import annotations

from kintone_mcp.client.errors import ValidationError
from kintone_mcp.server.compact import RecordFormatter
from kintone_mcp.server.state import ServerState


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
