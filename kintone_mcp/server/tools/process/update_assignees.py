"""The ``update_assignees`` tool: who a record's current status is assigned to, replaced."""

from __future__ import annotations

from typing import Annotated

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.client.errors import ValidationError
from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.results import ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import AppArg, Ctx, RecordIdArg, RevisionArg
from kintone_mcp.server.tools.confirming import app_named, names_shown
from kintone_mcp.server.tools.outputs import StatusResult
from kintone_mcp.server.tools.process._status import said, status_of
from kintone_mcp.server.tools.spec import Effect, ToolSpec, write


async def update_assignees(
    ctx: Ctx,
    id: RecordIdArg,
    assignees: Annotated[
        list[str], Field(max_length=100, description='User codes, e.g. ["tanaka"]; [] leaves nobody assigned.')
    ],
    revision: RevisionArg = None,
    app: AppArg = None,
) -> Annotated[CallToolResult, StatusResult]:
    """Replace who a record's current status is assigned to (process management), e.g. to hand a ticket over.

    The status stays; only assignees may run its actions. Needs app management permission.
    """
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    try:
        written = await state.client.update_assignees(app_id, id, assignees, revision=revision)
    except ValidationError as exc:
        settings = await state.client.get_process_settings(app_id)
        if not settings.enable:
            raise ToolInputError(
                f"App {app_id} does not use process management, so records have no assignees to change."
            ) from exc
        raise ToolInputError(
            f"Kintone refused the assignees: {said(exc)}. Assignees are user codes (login names), not display names; "
            "list_users finds them."
        ) from exc
    status, now = await status_of(state, app_id, id)
    return ok(StatusResult(id=id, revision=written.revision, status=status, assignees=now or None))


async def confirm_update_assignees(
    ctx: Ctx, id: int, assignees: list[str], revision: int | None = None, app: str | int | None = None
) -> Effect:
    """One record's assignees: asks only under KINTONE_CONFIRM=writes."""
    state = state_of(ctx)
    where = await app_named(state, state.policy.resolve_app(app))
    who = names_shown(assignees) if assignees else "nobody"
    return Effect(f"Assign record {id} of {where} to {who}?", destructive=False)


SPEC: ToolSpec = write(
    update_assignees,
    "Reassign a record",
    summary=(
        "Replace who a record's current status is assigned to (hand a ticket over, or take it to run an "
        "action; needs app management permission)"
    ),
    idempotent=True,
    destructive=True,
    confirm=confirm_update_assignees,
)
