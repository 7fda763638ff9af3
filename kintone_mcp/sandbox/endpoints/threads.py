"""Threads: space/thread.json (POST, PUT) and space/thread/comment.json (POST) — docs/kintone-api.md §4.6.

* Whoever may see a space may post in it (a public space is open to every user, as in Kintone); creating and
  changing threads needs a space admin.
* A space that does not use multiple threads has only its default thread: creating another is refused (CB_VA01).
* A comment names its space and thread; a thread of another space is refused (400 GAIA_TH01, the sandbox's code
  [U]), so a post cannot land where its author did not mean it.
* ``comment.files`` takes upload keys (``POST file.json``), which become download keys of the comment; an unknown
  or already used key is refused whole. Mentions follow the record comments' rules (``endpoints.comments``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kintone_mcp.sandbox.endpoints.comments import MAX_TEXT, mentions_of
from kintone_mcp.sandbox.endpoints.spaces import MAX_BODY, load_visible
from kintone_mcp.sandbox.errors import ErrorReply, invalid
from kintone_mcp.sandbox.http.routing import RequestContext, Router
from kintone_mcp.sandbox.store import filestore, spaces
from kintone_mcp.sandbox.store.spaces import SpaceRow

router = Router()

MAX_THREAD_NAME = 128
MAX_FILES = 5
THREAD_NOT_FOUND = "GAIA_TH01"
#: The app id the sandbox's file store records for attachments of thread comments (they belong to no app).
SPACE_FILES = 0


def _thread_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid("name", "Required field.")
    if len(value) > MAX_THREAD_NAME:
        raise invalid("name", f"Enter less than {MAX_THREAD_NAME + 1} characters.")
    return value


def _thread_of(ctx: RequestContext, thread_id: int, space: SpaceRow | None = None) -> tuple[SpaceRow, int]:
    row = spaces.thread(ctx.conn, thread_id)
    if row is None or (space is not None and int(row["space"]) != space.id):
        where = f" in space {space.id}" if space is not None else ""
        raise ErrorReply(400, THREAD_NOT_FOUND, f"The thread (ID: {thread_id}) is not found{where}.",
                         params={"id": thread_id})
    return space or load_visible(ctx, int(row["space"])), thread_id


@router.route("POST", "space/thread.json", tokens=False)
def add_thread(ctx: RequestContext) -> dict[str, str]:
    space = load_visible(ctx, ctx.params.require_int("space"), admin=True)
    name = _thread_name(ctx.params.require("name"))
    if not space.use_multi_thread:
        raise invalid("space", f"Space {space.id} uses a single thread; turn on useMultiThread to add threads.")
    thread = spaces.add_thread(ctx.conn, space.id, name, creator=ctx.login, now=ctx.services.now_text())
    return {"id": str(thread)}


@router.route("PUT", "space/thread.json", tokens=False)
def update_thread(ctx: RequestContext) -> dict[str, Any]:
    p = ctx.params
    thread_id = p.require_int("id")
    space, _ = _thread_of(ctx, thread_id)
    load_visible(ctx, space.id, admin=True)
    changes: dict[str, str] = {}
    if "name" in p:
        changes["name"] = _thread_name(p.raw("name"))
    if "body" in p:
        body = p.raw("body")
        if not isinstance(body, str) or len(body) > MAX_BODY:
            raise invalid("body", f"Specify a string of at most {MAX_BODY} characters.")
        changes["body"] = body
    spaces.update_thread(ctx.conn, thread_id, changes)
    return {}


def _files(ctx: RequestContext, raw: Any) -> list[dict[str, str]]:
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_FILES:
        raise invalid("comment.files", f'Specify at most {MAX_FILES} files as [{{"fileKey": "..."}}].')
    config = ctx.services.config
    attached = []
    for i, item in enumerate(raw):
        key = item.get("fileKey") if isinstance(item, Mapping) else None
        if not isinstance(key, str) or not key:
            raise invalid(f"comment.files[{i}].fileKey", "Required field.")
        stored = filestore.attach(ctx.conn, key, app=SPACE_FILES, now=ctx.now, retention=config.upload_retention)
        if stored is None:
            raise ErrorReply(400, "GAIA_BL01", f"The file (key: {key}) is not found: upload it with file.json "
                                               "first; an upload key attaches once.", params={"key": key})
        attached.append(stored)
    return attached


@router.route("POST", "space/thread/comment.json", tokens=False)
def add_thread_comment(ctx: RequestContext) -> dict[str, str]:
    p = ctx.params
    space = load_visible(ctx, p.require_int("space"))
    _, thread = _thread_of(ctx, p.require_int("thread"), space)
    comment = p.require("comment")
    if not isinstance(comment, Mapping):
        raise invalid("comment", 'Specify the comment as {"text": "...", "mentions": [...], "files": [...]}.')
    text = comment.get("text") or ""
    if not isinstance(text, str):
        raise invalid("comment.text", "Must be a string.")
    if len(text) > MAX_TEXT:
        raise invalid("comment.text", f"Enter less than {MAX_TEXT + 1} characters.")
    mentions = mentions_of(ctx.conn, comment.get("mentions"))
    files = _files(ctx, comment.get("files"))
    if not text and not files:
        raise invalid("comment.text", "Required field: a comment needs text or files.")
    comment_id = spaces.add_thread_comment(
        ctx.conn, space.id, thread, text=text, mentions=mentions, files=files, creator=ctx.login,
        now=ctx.services.now_text(),
    )
    return {"id": str(comment_id)}
