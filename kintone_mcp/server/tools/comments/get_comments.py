"""The ``get_comments`` tool: a record's comments, newest first, ten at a time."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.server.compact import RecordFormatter
from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import AppArg, Ctx, OffsetArg, RecordIdArg
from kintone_mcp.server.tools.comments._mentions import MENTION_PREFIX
from kintone_mcp.server.tools.spec import ToolSpec, read

#: Comments can be 65,535 characters long; a page of ten must not flood the context.
COMMENT_CHARS = 2000


class CommentOut(Out):
    id: int
    text: str
    by: str | None = None
    at: str | None = None
    mentions: list[str] | None = Field(None, description='user codes; "org:" / "group:" prefixed, as add_comment takes')


class CommentsPage(Out):
    comments: list[CommentOut]
    older: bool  # the description says what to do when it is true
    newer: bool
    names: dict[str, str] | None = None


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
                mentions=[MENTION_PREFIX.get(m.type, "") + m.code for m in c.mentions] or None,
            )
        )
    return ok(CommentsPage(comments=comments, older=page.older, newer=page.newer, names=fmt.names or None))


SPEC: ToolSpec = read(
    get_comments,
    "Read a record's comments",
    summary="Read a record's comments, newest first",
)
