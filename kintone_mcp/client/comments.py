"""Record comments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from kintone_mcp.client.connection import Connection
from kintone_mcp.client.decode import decode
from kintone_mcp.client.models.comments import CommentsPage, Mention

#: Kintone's page size limit for comments
MAX_COMMENTS_PER_PAGE = 10


class CommentsMixin:
    """Part of :class:`~kintone_mcp.client.KintoneClient`."""

    _conn: Connection

    async def get_comments(
        self,
        app: int,
        record: int,
        *,
        order: Literal["asc", "desc"] = "desc",
        offset: int = 0,
        limit: int = MAX_COMMENTS_PER_PAGE,
    ) -> CommentsPage:
        """Up to 10 comments of a record, newest first by default; ``older``/``newer`` say if more exist."""
        data = await self._conn.call(
            "GET",
            "rest",
            "record/comments",
            params={"app": app, "record": record, "order": order, "offset": offset, "limit": limit},
            apps=(app,),
        )
        return decode(CommentsPage, data, f"the comments of record {record} in app {app}")

    async def add_comment(self, app: int, record: int, text: str, *, mentions: Sequence[Mention] = ()) -> int:
        """Posts a comment (at most 65,535 characters, 10 mentions) and returns its id."""
        comment: dict[str, Any] = {"text": text}
        if mentions:
            comment["mentions"] = [{"code": m.code, "type": m.type} for m in mentions]
        data = await self._conn.call(
            "POST", "rest", "record/comment", body={"app": app, "record": record, "comment": comment}, apps=(app,)
        )
        return int(data["id"])

    async def delete_comment(self, app: int, record: int, comment: int) -> None:
        """Deletes a comment; only its author may."""
        await self._conn.call(
            "DELETE", "rest", "record/comment", body={"app": app, "record": record, "comment": comment}, apps=(app,)
        )
