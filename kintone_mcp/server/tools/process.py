"""Process management and comments: moving a record through its workflow, and the conversation on a record."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.client.errors import ValidationError
from kintone_mcp.server.compact import RecordFormatter
from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.models import CommentAdded, CommentOut, CommentsPage, StatusResult
from kintone_mcp.server.registry import read, write
from kintone_mcp.server.results import ok
from kintone_mcp.server.state import ServerState, state_of
from kintone_mcp.server.tools.common import AppArg, Ctx, OffsetArg, RecordIdArg, RevisionArg

#: Comments can be 65,535 characters long; a page of ten must not flood the context.
COMMENT_CHARS = 2000
#: Kintone's code for "only an assignee may run this action".
_ASSIGNEE_ONLY = "GAIA_NT01"
#: Kintone's code for "name the next status's assignee" (documented even when there is a single candidate).
_NAME_ASSIGNEE = "GAIA_SA01"
#: How a mention is written, in add_comment's argument and get_comments' answer alike.
_MENTION_PREFIX = {"USER": "", "ORGANIZATION": "org:", "GROUP": "group:"}


def _said(exc: ValidationError) -> str:
    """Kintone's message and code, to quote inside a sentence of ours."""
    return (exc.message or str(exc)).rstrip(".") + (f" ({exc.code})" if exc.code else "")


async def _status_of(state: ServerState, app_id: int, record_id: int) -> tuple[str | None, list[str]]:
    record = await state.client.get_record(app_id, record_id)
    fmt = RecordFormatter()
    status, assignees = None, []
    for cell in record.raw.values():
        if cell.get("type") == "STATUS":
            status = cell.get("value")
        elif cell.get("type") == "STATUS_ASSIGNEE":
            assignees = [fmt.entity(v) for v in cell.get("value") or []]
    return status, assignees


async def update_status(
    ctx: Ctx,
    id: RecordIdArg,
    action: Annotated[str, Field(description='Action name as get_app lists it, e.g. "Start".')],
    assignee: Annotated[str | None, Field(description="User code, when the next status needs one assignee.")] = None,
    revision: RevisionArg = None,
    app: AppArg = None,
) -> Annotated[CallToolResult, StatusResult]:
    """Run a process management action on a record, moving it to the action's next status.

    get_app lists the app's statuses and which actions lead from each. The answer gives the new status and
    assignees. If the action is not available from the record's current status, the error lists those that are.
    When a status has assignees, only they may run its actions (see update_assignees).
    """
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    try:
        try:
            written = await state.client.update_status(app_id, id, action, assignee=assignee, revision=revision)
        except ValidationError as exc:
            # Kintone wants the next status's assignee named even when only one user can be it: name that user
            # rather than make the model look them up (the refused call changed nothing, so sending again is safe).
            lone = await _lone_candidate(state, app_id, id, action) if exc.code == _NAME_ASSIGNEE else None
            if assignee is not None or lone is None:
                raise
            written = await state.client.update_status(app_id, id, action, assignee=lone, revision=revision)
    except ValidationError as exc:
        raise ToolInputError(await _explain_status_error(state, app_id, id, action, exc)) from exc
    status, assignees = await _status_of(state, app_id, id)
    return ok(StatusResult(id=id, revision=written.revision, status=status, assignees=assignees or None))


async def _lone_candidate(state: ServerState, app_id: int, record_id: int, action: str) -> str | None:
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


async def _explain_status_error(
    state: ServerState, app_id: int, record_id: int, action: str, exc: ValidationError
) -> str:
    settings = await state.client.get_process_settings(app_id)
    if not settings.enable:
        return f"App {app_id} does not use process management, so records have no status to change."
    current, assignees = await _status_of(state, app_id, record_id)
    available = [a.name for a in settings.actions_from(current or "")]
    text = f"Kintone refused the action {action!r} on record {record_id} (status {current!r}): {_said(exc)}."
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

    The status stays; the answer gives it with the new assignees. Assignees are the only users who may run the
    status's actions. Needs app management permission in Kintone.
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
            f"Kintone refused the assignees: {_said(exc)}. Assignees are user codes (login names), not display names; "
            "list_users finds them."
        ) from exc
    status, now = await _status_of(state, app_id, id)
    return ok(StatusResult(id=id, revision=written.revision, status=status, assignees=now or None))


async def get_comments(
    ctx: Ctx,
    id: RecordIdArg,
    app: AppArg = None,
    order: Literal["asc", "desc"] = "desc",
    offset: OffsetArg = 0,
    limit: Annotated[int, Field(ge=1, le=10)] = 10,
) -> Annotated[CallToolResult, CommentsPage]:
    """A record's comments, newest first (up to 10 per call; raise `offset` while `older` is true)."""
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    page = await state.client.get_comments(app_id, id, order=order, offset=offset, limit=limit)
    fmt = RecordFormatter()
    comments = []
    for c in page.comments:
        text = c.text if len(c.text) <= COMMENT_CHARS else c.text[:COMMENT_CHARS] + f"…[cut: {len(c.text):,} chars]"
        comments.append(
            CommentOut(
                id=c.id,
                text=text,
                by=fmt.entity(c.creator.model_dump()) if c.creator else None,
                at=c.created_at.isoformat().replace("+00:00", "Z") if c.created_at else None,
                mentions=[_MENTION_PREFIX.get(m.type, "") + m.code for m in c.mentions] or None,
            )
        )
    return ok(CommentsPage(comments=comments, older=page.older, newer=page.newer, names=fmt.names or None))


async def add_comment(
    ctx: Ctx,
    id: RecordIdArg,
    text: Annotated[str, Field(min_length=1, max_length=65_535)],
    mentions: Annotated[
        list[str] | None,
        Field(max_length=10, description='User codes to notify; prefix "org:" or "group:" for those.'),
    ] = None,
    app: AppArg = None,
) -> Annotated[CallToolResult, CommentAdded]:
    """Post a comment on a record, optionally mentioning users, organizations or groups (they get notified)."""
    from kintone_mcp.client.models.comments import Mention

    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    parsed = []
    for m in mentions or []:
        kind = next((k for k, prefix in _MENTION_PREFIX.items() if prefix and m.startswith(prefix)), "USER")
        parsed.append(Mention(code=m.removeprefix(_MENTION_PREFIX[kind]), type=kind))
    comment_id = await state.client.add_comment(app_id, id, text, mentions=parsed)
    return ok(CommentAdded(id=comment_id))


TOOLS = [
    write(update_status, "Move a record through its process", idempotent=False, destructive=True),
    write(update_assignees, "Reassign a record", idempotent=True, destructive=True),
    read(get_comments, "Read a record's comments"),
    write(add_comment, "Comment on a record", idempotent=False),
]
