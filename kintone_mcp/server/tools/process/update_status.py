"""The ``update_status`` tool: a process management action run on a record; a refusal is explained with the actions
and assignees that would work.
"""

from __future__ import annotations

import json
from typing import Annotated

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.client.errors import ValidationError
from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.results import ok
from kintone_mcp.server.state import ServerState, state_of
from kintone_mcp.server.tools.arguments import AppArg, Ctx, RecordIdArg, RevisionArg
from kintone_mcp.server.tools.confirming import app_named
from kintone_mcp.server.tools.outputs import StatusResult
from kintone_mcp.server.tools.process._status import NAME_ASSIGNEE, lone_candidate, said, status_of
from kintone_mcp.server.tools.spec import Effect, ToolSpec, write

#: Kintone's code for "only an assignee may run this action".
_ASSIGNEE_ONLY = "GAIA_NT01"


async def update_status(
    ctx: Ctx,
    id: RecordIdArg,
    action: Annotated[str, Field(description='Action name as get_app lists it, e.g. "Start".')],
    assignee: Annotated[str | None, Field(description="User code, if the next status needs one.")] = None,
    revision: RevisionArg = None,
    app: AppArg = None,
) -> Annotated[CallToolResult, StatusResult]:
    """Run a process management action on a record, moving it to the action's next status.

    get_app lists each status's actions; one the record's status lacks is refused with those it has. Only a
    status's assignees (if any) may run its actions (see update_assignees).
    """
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    try:
        try:
            written = await state.client.update_status(app_id, id, action, assignee=assignee, revision=revision)
        except ValidationError as exc:
            # Kintone wants the next status's assignee named even when only one user can be it: name that user
            # rather than make the model look them up (the refused call changed nothing, so sending again is safe).
            lone = await lone_candidate(state, app_id, id, action) if exc.code == NAME_ASSIGNEE else None
            if assignee is not None or lone is None:
                raise
            written = await state.client.update_status(app_id, id, action, assignee=lone, revision=revision)
    except ValidationError as exc:
        raise ToolInputError(await _explain_status_error(state, app_id, id, action, exc)) from exc
    status, assignees = await status_of(state, app_id, id)
    return ok(StatusResult(id=id, revision=written.revision, status=status, assignees=assignees or None))


async def _explain_status_error(
    state: ServerState, app_id: int, record_id: int, action: str, exc: ValidationError
) -> str:
    settings = await state.client.get_process_settings(app_id)
    if not settings.enable:
        return f"App {app_id} does not use process management, so records have no status to change."
    current, assignees = await status_of(state, app_id, record_id)
    available = [a.name for a in settings.actions_from(current or "")]
    text = f"Kintone refused the action {action!r} on record {record_id} (status {current!r}): {said(exc)}."
    if action not in available:
        return text + f" Actions available from {current!r}: {available or 'none (a final status)'}."
    if exc.code == _ASSIGNEE_ONLY:
        text += (
            f" Only the assignees ({', '.join(assignees) or 'none'}) may run it. Ask one of them, or, if the user "
            "agrees to take the record over, make this connection's user an assignee with update_assignees and "
            "run the action again."
        )
    elif assignees:
        text += f" Current assignees: {', '.join(assignees)}."
    return text


async def confirm_update_status(
    ctx: Ctx,
    id: int,
    action: str,
    assignee: str | None = None,
    revision: int | None = None,
    app: str | int | None = None,
) -> Effect:
    """One record's action: asks only under KINTONE_CONFIRM=writes."""
    state = state_of(ctx)
    where = await app_named(state, state.policy.resolve_app(app))
    to = f", assigning {assignee}" if assignee else ""
    named = json.dumps(action, ensure_ascii=False)
    return Effect(f"Run the action {named} on record {id} of {where}{to}?", destructive=False)


SPEC: ToolSpec = write(
    update_status,
    "Move a record through its process",
    summary="Run a process management action (with assignee); the answer gives the new status",
    idempotent=False,
    destructive=True,
    confirm=confirm_update_status,
)
