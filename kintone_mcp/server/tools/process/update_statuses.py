"""The ``update_statuses`` tool: process management actions on up to 100 records in one all-or-nothing call
(``records/status.json``, docs/kintone-api.md §4.2), answered with each record's new status.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated

from mcp.types import CallToolResult
from pydantic import BaseModel, ConfigDict, Field

from kintone_mcp.client.errors import ValidationError
from kintone_mcp.server.compact import RecordFormatter
from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import ServerState, state_of
from kintone_mcp.server.tools.arguments import AppArg, Ctx, InRange, RecordIdArg
from kintone_mcp.server.tools.confirming import app_named, bulk, counted, ids_shown, names_shown
from kintone_mcp.server.tools.outputs import StatusResult
from kintone_mcp.server.tools.process._status import NAME_ASSIGNEE, lone_candidate, said
from kintone_mcp.server.tools.spec import Effect, ToolSpec, write

if TYPE_CHECKING:
    from kintone_mcp.client.results import StatusChange

#: Kintone's limit for records/status.json, which it runs as one transaction.
MAX_STATUS_RECORDS = 100


# One record and the action to run on it (no docstring: it would be sent in every tools/list).
class StatusItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: RecordIdArg
    action: Annotated[str, Field(description="As get_app lists it.")]
    assignee: Annotated[str | None, Field(description="User code, if the next status needs one.")] = None
    revision: Annotated[int | None, Field(ge=-1), InRange] = None


class StatusesResult(Out):
    count: int
    records: list[StatusResult]


async def update_statuses(
    ctx: Ctx,
    records: Annotated[list[StatusItem], Field(min_length=1, max_length=MAX_STATUS_RECORDS)],
    app: AppArg = None,
) -> Annotated[CallToolResult, StatusesResult]:
    """Run process management actions on up to 100 records at once, all or none (items as in update_status)."""
    from kintone_mcp.client.results import StatusChange

    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    ids = [item.id for item in records]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ToolInputError(f"Records {twice} are listed more than once; give each record one action per call.")
    changes = [StatusChange(id=i.id, action=i.action, assignee=i.assignee, revision=i.revision) for i in records]
    try:
        try:
            result = await state.client.update_statuses(app_id, changes, all_or_nothing=True)
        except ValidationError as exc:
            # As update_status does: Kintone wants a next status's assignee named even when only one user can be
            # it. The refused call changed nothing, so it is sent again with those users named, once.
            if exc.code != NAME_ASSIGNEE:
                raise
            named = []
            for c in changes:
                lone = await lone_candidate(state, app_id, c.id, c.action) if c.assignee is None else None
                named.append(c if lone is None else replace(c, assignee=lone))
            if named == changes:
                raise
            changes = named
            result = await state.client.update_statuses(app_id, changes, all_or_nothing=True)
    except ValidationError as exc:
        raise ToolInputError(await _explain(state, app_id, changes, exc)) from exc
    revisions = {r.id: r.revision for r in result.records}
    now = await _statuses(state, app_id, ids)
    moved = []
    for i in ids:
        status, assignees = now.get(i, (None, []))
        moved.append(StatusResult(id=i, revision=revisions[i], status=status, assignees=assignees or None))
    return ok(StatusesResult(count=len(ids), records=moved))


async def _statuses(state: ServerState, app_id: int, ids: list[int]) -> dict[int, tuple[str | None, list[str]]]:
    """Each record's status and assignees, read back in one query (the write answers revisions only)."""
    properties = await state.fields(app_id)
    status = next((c for c, p in properties.items() if p.get("type") == "STATUS"), None)
    assignee = next((c for c, p in properties.items() if p.get("type") == "STATUS_ASSIGNEE"), None)
    fields = ["$id", *(c for c in (status, assignee) if c)]
    query = f"$id in ({', '.join(str(i) for i in ids)}) limit {len(ids)}"
    page = await state.client.get_records(app_id, query=query, fields=fields)
    fmt = RecordFormatter()
    out: dict[int, tuple[str | None, list[str]]] = {}
    for record in page.records:
        raw = record.raw
        now = raw.get(status, {}).get("value") if status else None
        people = [fmt.entity(v) for v in (raw.get(assignee, {}).get("value") or [])] if assignee else []
        out[int(raw["$id"]["value"])] = (now, people)
    return out


async def _explain(state: ServerState, app_id: int, changes: list[StatusChange], exc: ValidationError) -> str:
    """Which records cannot move and what would work, found by reading them: Kintone names the failing record in
    its message at best, and the model needs to know which item of its call to fix."""
    text = f"No record changed status: Kintone refused the call ({said(exc)})."
    settings = await state.client.get_process_settings(app_id)
    if not settings.enable:
        return f"App {app_id} does not use process management, so records have no status to change."
    now = await _statuses(state, app_id, [c.id for c in changes])
    lines = []
    for i, change in enumerate(changes):
        if change.id not in now:
            lines.append(f"- records[{i}] (id {change.id}): no such record in app {app_id}")
            continue
        status, assignees = now[change.id]
        available = [a.name for a in settings.actions_from(status or "")]
        if change.action not in available:
            lines.append(
                f"- records[{i}] (id {change.id}, status {status!r}): {change.action!r} is not available; "
                f"actions from {status!r}: {available or 'none (a final status)'}"
            )
        elif exc.code == "GAIA_NT01" and assignees:
            lines.append(f"- records[{i}] (id {change.id}): only its assignees ({', '.join(assignees)}) may act")
    for key, messages in sorted(exc.field_errors.items()):
        lines.append(f"- {key}: {' '.join(messages)}")
    if lines:
        return text + " Fix these items (records[i] counts from 0) and call again:\n" + "\n".join(lines)
    return text + " Check each item's action, assignee and revision (update_status on one record explains more)."


async def confirm_update_statuses(ctx: Ctx, records: list[StatusItem], app: str | int | None = None) -> Effect:
    """Destructive above KINTONE_CONFIRM_BULK records (actions cannot be undone, only run back where the process
    has an action back)."""
    state = state_of(ctx)
    ids = [item.id for item in records]
    where = await app_named(state, state.policy.resolve_app(app), ids_shown(ids))
    actions = names_shown(dict.fromkeys(json.dumps(i.action, ensure_ascii=False) for i in records))
    return Effect(
        f"Run process actions ({actions}) on {counted(len(ids), 'record')} of {where}?",
        destructive=bulk(state, len(ids)),
    )


SPEC: ToolSpec = write(
    update_statuses,
    "Move records through their process",
    summary=(
        "Run process management actions on up to 100 records in one all-or-nothing call; the answer gives each "
        "record's new status"
    ),
    idempotent=False,
    destructive=True,
    confirm=confirm_update_statuses,
)
