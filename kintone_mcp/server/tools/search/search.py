"""The ``search`` tool: Kintone's cross search over records, comments, spaces, threads and attachments.

Hits from apps the server's app lists do not allow (KINTONE_APPS / KINTONE_DENY_APPS) are dropped and counted, so
the allow list holds here as everywhere: a denied app's records never reach the model. A page may hold fewer hits
than asked for then; ``next`` goes on from where Kintone stopped.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import Ctx
from kintone_mcp.server.tools.spec import ToolSpec, read

Kind = Literal["RECORD", "RECORD_COMMENT", "SPACE", "THREAD", "THREAD_COMMENT", "ATTACHMENT"]
Words = Annotated[list[Annotated[str, Field(min_length=1, max_length=50)]] | None, Field(max_length=20)]
_SORT = {"relevance": {"by": "RELEVANCE", "order": "DESC"}, "newest": {"by": "CREATED_AT", "order": "DESC"},
         "oldest": {"by": "CREATED_AT", "order": "ASC"}}
#: characters of a snippet shown
SNIPPET_CHARS = 160


class Hit(Out):
    kind: str
    app: int | None = None
    record: int | None = None
    space: int | None = None
    thread: int | None = None
    comment: int | None = None
    title: str | None = None
    snippet: str | None = None
    at: str | None = None
    by: str | None = None


class SearchResult(Out):
    hits: list[Hit]
    next: str | None = Field(default=None, description="pass as next for more")
    dropped: int | None = Field(default=None, description="hits from apps this server does not allow")


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _hit(kind: str, details: dict[str, Any], context: dict[str, Any], snippets: list[str]) -> Hit:
    where = {**context, **details}
    creator = where.get("creator")
    title = (where.get("name") if kind == "ATTACHMENT" else None) or where.get("recordTitle") or where.get(
        "threadName") or where.get("spaceName")
    snippet = " … ".join(snippets)[:SNIPPET_CHARS] or None
    return Hit(
        kind=kind, app=_int(where.get("appId")), record=_int(where.get("recordId")),
        space=_int(where.get("spaceId")), thread=_int(where.get("threadId")),
        comment=_int(where.get("commentId")) if kind != "ATTACHMENT" else _int(context.get("commentId")),
        title=title, snippet=snippet, at=where.get("createdAt"),
        by=creator.get("code") if isinstance(creator, dict) else None,
    )


async def search(
    ctx: Ctx,
    keywords: Annotated[Words, Field(description="All must match.")] = None,
    any_of: Annotated[Words, Field(description="At least one must match.")] = None,
    exclude: Annotated[Words, Field(description="None may match.")] = None,
    kinds: Annotated[list[Kind] | None, Field(description="Hit kinds; default all.")] = None,
    apps: Annotated[list[int | str] | None, Field(max_length=20, description="Only these apps (ids/aliases).")] = None,
    spaces: Annotated[list[int] | None, Field(max_length=20, description="Only these spaces.")] = None,
    creators: Annotated[list[str] | None, Field(max_length=20, description="User codes.")] = None,
    created_after: Annotated[str | None, Field(description="ISO date or date-time.")] = None,
    created_before: Annotated[str | None, Field(description="ISO date or date-time.")] = None,
    sort: Literal["relevance", "newest", "oldest"] = "relevance",
    limit: Annotated[int, Field(ge=1, le=100)] = 20,
    # Kintone's tokens are opaque and their length undocumented; far longer than any is not one.
    next: Annotated[str | None, Field(max_length=4096)] = None,
    guest_space: Annotated[int | None, Field(ge=1, description="Search this guest space instead.")] = None,
) -> Annotated[CallToolResult, SearchResult]:
    """Search all of Kintone (records, comments, spaces, threads, attachments) by keywords; follow up with get_record or
    get_space. Password sign-in only.
    """
    if not keywords and not any_of:
        raise ToolInputError("Give keywords (all must match) or any_of (one must match); exclude alone finds "
                             "nothing.")
    if sum(len(w or []) for w in (keywords, any_of, exclude)) > 20:
        raise ToolInputError("At most 20 words in keywords, any_of and exclude together (Kintone's limit).")
    state = state_of(ctx)
    query = [{"operator": op, "keywords": words} for op, words in (("AND", keywords), ("OR", any_of),
                                                                   ("NOT", exclude)) if words]
    request: dict[str, Any] = {"query": query, "sort": _SORT[sort], "limit": limit}
    if kinds:
        request["types"] = list(dict.fromkeys(kinds))
    scopes: list[dict[str, Any]] = []
    if apps:
        scopes.append({"scope": "APP", "ids": [state.policy.resolve_app(a) for a in apps]})
    if spaces:
        scopes.append({"scope": "SPACE", "ids": spaces})
    if scopes:
        request["scopes"] = scopes
    for key, value in (("creators", creators), ("createdAfter", created_after), ("createdBefore", created_before),
                       ("pageToken", next)):
        if value:
            request[key] = value
    page = await state.client.search(request, guest_space=guest_space)
    hits, dropped = [], 0
    for raw in page.hits:
        hit = _hit(raw.type, raw.details(), raw.context(), raw.snippets)
        if hit.app is not None and not state.policy.app_allowed(hit.app):
            dropped += 1
            continue
        hits.append(hit)
    return ok(SearchResult(hits=hits, next=page.next_page_token, dropped=dropped or None))


SPEC: ToolSpec = read(
    search, "Search Kintone",
    summary="Search records, comments, spaces, threads and attachments across Kintone by keywords; password auth",
    needs=("password",),
)
