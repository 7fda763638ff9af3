"""Record comments: GET record/comments.json, POST and DELETE record/comment.json — docs/kintone-api.md §4.2.

* Ids count up per record from 1 and are never reused, even after a delete; they travel as strings.
* Reading, posting and deleting all need view permission on the app (Kintone's docs: "permission to view the record"),
  so a view-only API token may comment. Deleting is further limited to the comment's author; API tokens act as
  Administrator, so a token deletes what tokens (or the Administrator user) wrote.
* ``text`` is stored and returned as sent. Real Kintone also shows the mentioned names in front of the text; the exact
  form is unconfirmed, so the sandbox leaves the text alone and reports mentions only in ``mentions``.
* Whether a comment changes the record's revision is unconfirmed: ``SandboxConfig.comment_bumps_revision`` (off).
* Comments go when their record goes (a trigger on ``records``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from kintone_mcp.sandbox.errors import ErrorReply, invalid
from kintone_mcp.sandbox.http.routing import RequestContext, Router
from kintone_mcp.sandbox.records.write import record_not_found
from kintone_mcp.sandbox.store import commentstore, database, directory, recordstore
from kintone_mcp.sandbox.store.recordstore import load_record

router = Router()

MAX_TEXT = 65_535
MAX_MENTIONS = 10
MAX_LIMIT = 10
MENTION_TYPES = ("USER", "GROUP", "ORGANIZATION")

#: How an unknown mention is refused: the codes the record APIs use for unknown users / groups / organisations.
#: The error code and noun of a mention of an unknown (or, for users, suspended) entity.
_UNKNOWN_ENTITY = {
    "USER": ("GAIA_IL26", "user"),
    "GROUP": ("GAIA_IL27", "group"),
    "ORGANIZATION": ("GAIA_IL28", "organization"),
}


def _created_at(moment: datetime) -> str:
    # Comment times carry seconds, unlike record timestamps.
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _record(ctx: RequestContext) -> tuple[int, int]:
    """The (app, record) a comment request names, after the app, permission and record checks."""
    app = ctx.app_param("view")
    record_id = ctx.params.require_int("record")
    if load_record(ctx.conn, app.id, record_id) is None:
        raise record_not_found(app.id, record_id)
    return app.id, record_id


@router.route("GET", "record/comments.json")
def get_comments(ctx: RequestContext) -> dict[str, Any]:
    app, record = _record(ctx)
    order = (ctx.params.get_str("order") or "desc").lower()
    if order not in ("asc", "desc"):
        raise invalid("order", 'Specify "asc" or "desc".')
    offset = ctx.params.get_int("offset", required=False, minimum=0, default=0)
    limit = ctx.params.get_int("limit", required=False, minimum=0, maximum=MAX_LIMIT, default=MAX_LIMIT)
    assert offset is not None and limit is not None
    rows = commentstore.page(ctx.conn, app, record, descending=order == "desc", limit=limit, offset=offset)
    total = commentstore.count(ctx.conn, app, record)
    # "Before" and "after" the page in the requested order; which of them is older depends on that order.
    before = min(offset, total) > 0
    after = total > offset + len(rows)
    names = directory.load_names(ctx.conn).users
    comments = [
        {
            "id": str(row["id"]),
            "text": row["text"],
            "createdAt": row["created_at"],
            "creator": {"code": row["creator"], "name": names.get(row["creator"], row["creator"])},
            "mentions": json.loads(row["mentions"]),
        }
        for row in rows
    ]
    older, newer = (after, before) if order == "desc" else (before, after)
    return {"comments": comments, "older": older, "newer": newer}


def mentions_of(conn: sqlite3.Connection, raw: Any) -> list[dict[str, str]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise invalid("comment.mentions", 'Specify a list such as [{"code": "sato", "type": "USER"}].')
    if len(raw) > MAX_MENTIONS:
        raise invalid("comment.mentions", f"A comment can mention at most {MAX_MENTIONS} users, groups or "
                                          f"departments; {len(raw)} were given.")
    result: list[dict[str, str]] = []
    for i, item in enumerate(raw):
        key = f"comment.mentions[{i}]"
        if not isinstance(item, Mapping):
            raise invalid(key, 'Specify each mention as {"code": "...", "type": "USER"}.')
        code = item.get("code")
        if not isinstance(code, str) or not code:
            raise invalid(f"{key}.code", "Required field.")
        # The type is optional in Kintone's request format; a bare code names a user.
        mention_type = item.get("type") or "USER"
        if mention_type not in MENTION_TYPES:
            raise invalid(f"{key}.type", f"Specify one of {', '.join(MENTION_TYPES)}.")
        error_code, noun = _UNKNOWN_ENTITY[mention_type]
        if not directory.mentionable(conn, mention_type, code):
            raise ErrorReply(
                400,
                error_code,
                f"The {noun} (code: {code}) is not found, or cannot be mentioned: check {key}.code.",
                errors={f"{key}.code": {"messages": [f"The {noun} code {code!r} does not exist."]}},
                params={noun: code},
            )
        result.append({"code": code, "type": mention_type})
    return result


@router.route("POST", "record/comment.json")
def add_comment(ctx: RequestContext) -> dict[str, str]:
    app, record = _record(ctx)
    comment = ctx.params.require("comment")
    if not isinstance(comment, Mapping):
        raise invalid("comment", 'Specify the comment as {"text": "...", "mentions": [...]}.')
    text = comment.get("text")
    if text is None or text == "":
        raise invalid("comment.text", "Required field.")
    if not isinstance(text, str):
        raise invalid("comment.text", "Must be a string.")
    if len(text) > MAX_TEXT:
        raise invalid("comment.text", f"Enter less than {MAX_TEXT + 1} characters.")
    mentions = mentions_of(ctx.conn, comment.get("mentions"))
    comment_id = database.next_counter(ctx.conn, f"comment:{app}:{record}")
    commentstore.add(
        ctx.conn, app, record, comment_id, text=text, creator=ctx.login, created_at=_created_at(ctx.now),
        mentions=mentions,
    )
    if ctx.services.config.comment_bumps_revision:
        recordstore.bump_revision(ctx.conn, app, record)
    return {"id": str(comment_id)}


@router.route("DELETE", "record/comment.json")
def delete_comment(ctx: RequestContext) -> dict[str, Any]:
    app, record = _record(ctx)
    comment_id = ctx.params.require_int("comment")
    creator = commentstore.creator_of(ctx.conn, app, record, comment_id)
    if creator is None:
        raise ErrorReply(
            400,
            "GAIA_RE02",
            f"The specified comment (ID: {comment_id}) was not found on record {record} of app {app}.",
            params={"id": comment_id},
        )
    if creator != ctx.login:
        raise ErrorReply(
            403,
            "CB_NO02",
            f"No privilege to proceed: only the author ({creator}) can delete comment {comment_id}.",
        )
    commentstore.delete(ctx.conn, app, record, comment_id)
    return {}
