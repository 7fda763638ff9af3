"""The ``add_comment`` tool: a comment posted on a record, optionally mentioning users, organizations or groups."""

from __future__ import annotations

from typing import Annotated

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import AppArg, Ctx, RecordIdArg
from kintone_mcp.server.tools.comments._mentions import MENTION_PREFIX
from kintone_mcp.server.tools.spec import ToolSpec, write


class CommentAdded(Out):
    id: int


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
        kind = next((k for k, prefix in MENTION_PREFIX.items() if prefix and m.startswith(prefix)), "USER")
        parsed.append(Mention(code=m.removeprefix(MENTION_PREFIX[kind]), type=kind))
    comment_id = await state.client.add_comment(app_id, id, text, mentions=parsed)
    return ok(CommentAdded(id=comment_id))


SPEC: ToolSpec = write(
    add_comment,
    "Comment on a record",
    summary="Comment on a record, with mentions of users, organizations or groups",
    idempotent=False,
)
