"""Record comments (``record/comments.json``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from kintone_mcp.client.models.base import Entity, KintoneModel


class Mention(KintoneModel):
    code: str
    type: str = "USER"


class Comment(KintoneModel):
    id: int
    text: str
    created_at: datetime | None = None
    creator: Entity | None = None
    mentions: list[Mention] = Field(default_factory=list)


class CommentsPage(KintoneModel):
    """Up to 10 comments; ``older`` / ``newer`` say whether more exist beyond this page."""

    comments: list[Comment]
    older: bool = False
    newer: bool = False
