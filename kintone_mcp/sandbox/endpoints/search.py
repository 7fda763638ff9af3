"""search.json: Kintone's cross search (``POST /k/v1/search.json``) over the sandbox's own data — docs/kintone-api.md
§4.6b. Password and session callers only (tokens: 403 GAIA_NO01; OAuth: ``access.oauthscopes``).

What is searched: records (text, rich text and link fields), record comments, spaces (name and body), threads (name
and body), thread comments, and attachment file names (record FILE fields, thread comments). Only what the caller
may see is searched: apps they may view, outside spaces they cannot see; spaces they can see. The normal path
searches outside guest spaces; ``/k/guest/ID/v1/`` searches that guest space only.

Kintone's request is documented (query with AND / OR / NOT, types, scopes, excludeScopes, created range, creators,
sort, limit, pageToken); most of its behaviour is not ([U], docs/findings.md), so the sandbox decides and says so:

* A keyword matches as a case-insensitive substring (Kintone uses a full-text index with its own word rules).
* Relevance is the number of keyword occurrences, newest first among equals.
* ``limit`` defaults to ``SandboxConfig.search_default_limit`` (20) and is at most ``search_max_limit`` (100).
* ``nextPageToken`` is an opaque string bound to the request it came from: sent with another query it is refused
  (CB_VA01 on ``pageToken``), as a token from an expired or different search might be.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kintone_mcp.sandbox.access.permissions import check_app_permission
from kintone_mcp.sandbox.errors import ErrorReply, invalid
from kintone_mcp.sandbox.http.routing import RequestContext, Router
from kintone_mcp.sandbox.store import appstore, commentstore, directory, recordstore, spaces
from kintone_mcp.sandbox.store.appstore import AppInfo

router = Router()

TYPES = ("RECORD", "RECORD_COMMENT", "SPACE", "THREAD", "THREAD_COMMENT", "PEOPLE_COMMENT", "MESSAGE_COMMENT",
         "ATTACHMENT")
SCOPES = ("APP", "SPACE", "PEOPLE", "MESSAGE")
MAX_CONDITIONS = 20
MAX_KEYWORDS = 20
MAX_KEYWORD_CHARS = 50
MAX_SCOPES = 20
_TEXT_TYPES = frozenset({"SINGLE_LINE_TEXT", "MULTI_LINE_TEXT", "RICH_TEXT", "LINK"})
#: characters of context on each side of a match in a snippet
_SNIPPET_SIDE = 40


@dataclass
class Doc:
    """One searchable thing: what it says (``texts``: label -> text), where it lives, and its hit body."""

    type: str
    created_at: str
    creator: str
    texts: dict[str, str]
    app: int | None = None
    space: int | None = None
    body: dict[str, Any] = field(default_factory=dict)
    url: str = ""


def _list(p: Mapping[str, Any], key: str, limit: int) -> list[Any]:
    value = p.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > limit:
        raise invalid(key, f"Specify a list of at most {limit} items.")
    return value


def _conditions(raw: Any) -> list[tuple[str, list[str]]]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_CONDITIONS:
        raise invalid("query", f'Specify 1 to {MAX_CONDITIONS} conditions such as {{"operator": "AND", '
                               '"keywords": ["word"]}.')
    out: list[tuple[str, list[str]]] = []
    total = 0
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping) or item.get("operator") not in ("AND", "OR", "NOT"):
            raise invalid(f"query[{i}].operator", "Specify AND, OR or NOT.")
        words = item.get("keywords")
        if not isinstance(words, list) or not 1 <= len(words) <= MAX_KEYWORDS:
            raise invalid(f"query[{i}].keywords", f"Specify 1 to {MAX_KEYWORDS} keywords.")
        for j, word in enumerate(words):
            if not isinstance(word, str) or not 1 <= len(word) <= MAX_KEYWORD_CHARS:
                raise invalid(f"query[{i}].keywords[{j}]", f"Enter 1 to {MAX_KEYWORD_CHARS} characters.")
        total += len(words)
        out.append((str(item["operator"]), [w.lower() for w in words]))
    if total > MAX_KEYWORDS:
        raise invalid("query", f"At most {MAX_KEYWORDS} keywords in all; {total} were given.")
    return out


def _scopes(p: Mapping[str, Any], key: str) -> list[tuple[str, set[str]]]:
    out = []
    for i, item in enumerate(_list(p, key, MAX_SCOPES)):
        if not isinstance(item, Mapping) or item.get("scope") not in SCOPES:
            raise invalid(f"{key}[{i}].scope", f"Specify one of {', '.join(SCOPES)}.")
        ids = item.get("ids") or item.get("codes") or []
        if not isinstance(ids, list) or len(ids) > MAX_SCOPES:
            raise invalid(f"{key}[{i}].ids", f"Specify at most {MAX_SCOPES} ids.")
        out.append((str(item["scope"]), {str(v) for v in ids}))
    return out


def _in_scope(doc: Doc, scope: str, ids: set[str]) -> bool:
    if scope == "APP":
        return doc.app is not None and (not ids or str(doc.app) in ids)
    if scope == "SPACE":
        # A space scope holds the space, its threads and comments, and the apps attached to it.
        return doc.space is not None and (not ids or str(doc.space) in ids)
    return False  # people and messages: the sandbox has none


def _score(texts: Iterator[str], conditions: list[tuple[str, list[str]]]) -> int | None:
    """Occurrences of the positive keywords, or None when the conditions do not all hold."""
    blob = "\n".join(texts).lower()
    score = 0
    positive = False
    for operator, words in conditions:
        counts = [blob.count(w) for w in words]
        if operator == "NOT":
            if any(counts):
                return None
            continue
        positive = True
        if (operator == "AND" and not all(counts)) or (operator == "OR" and not any(counts)):
            return None
        score += sum(counts)
    return score if positive else None


def _matching(texts: dict[str, str], conditions: list[tuple[str, list[str]]]) -> set[str]:
    words = [w for op, ws in conditions if op != "NOT" for w in ws]
    return {key for key, text in texts.items() if any(w in text.lower() for w in words)}


def _snippets(texts: dict[str, str], conditions: list[tuple[str, list[str]]]) -> list[str]:
    words = [w for op, ws in conditions if op != "NOT" for w in ws]
    out = []
    for text in texts.values():
        low = text.lower()
        at = min((i for i in (low.find(w) for w in words) if i >= 0), default=-1)
        if at >= 0:
            start = max(at - _SNIPPET_SIDE, 0)
            piece = " ".join(text[start:at + 2 * _SNIPPET_SIDE].split())
            out.append(("…" if start else "") + piece)
    return out[:3]


def _title(info: AppInfo, data: dict[str, Any], record: int) -> str:
    for code, prop in info.properties.items():
        if prop.get("type") == "SINGLE_LINE_TEXT" and isinstance(data.get(code), str) and data[code]:
            return str(data[code])
    return f"Record {record}"


def _app_visible(ctx: RequestContext, info: AppInfo, seen_spaces: set[int], guest_ids: set[int]) -> bool:
    in_guest = info.space_id in guest_ids
    if (ctx.guest_space is None and in_guest) or (ctx.guest_space is not None and info.space_id != ctx.guest_space):
        return False
    if info.space_id is not None and info.space_id not in seen_spaces:
        return False
    try:
        check_app_permission(ctx.principal, info, "view")
    except ErrorReply:
        return False
    return True


def _documents(ctx: RequestContext, types: set[str]) -> Iterator[Doc]:
    conn, base = ctx.conn, ctx.base_url
    guest_ids = spaces.guest_space_ids(conn)
    seen = spaces.visible_ids(conn, ctx.login)
    # The normal path searches outside guest spaces; a guest path searches that guest space alone.
    seen = {s for s in seen if s == ctx.guest_space} if ctx.guest_space is not None else seen - guest_ids
    space_rows = {s.id: s for s in spaces.all_spaces(conn) if s.id in seen}
    for info in appstore.list_apps(conn):
        if not _app_visible(ctx, info, seen, guest_ids):
            continue
        where = {"appId": str(info.id), "appName": info.name}
        if info.space_id is not None and info.space_id in space_rows:
            where |= {"spaceId": str(info.space_id), "spaceName": space_rows[info.space_id].name}
        text_fields = {c: p for c, p in info.properties.items() if p.get("type") in _TEXT_TYPES}
        file_fields = [c for c, p in info.properties.items() if p.get("type") == "FILE"]
        titles: dict[int, str] = {}
        for row in recordstore.iter_app(conn, info.id):
            data = json.loads(row["data"])
            rid = int(row["id"])
            titles[rid] = _title(info, data, rid)
            record = {**where, "recordId": str(rid), "recordTitle": titles[rid], "createdAt": row["created_at"],
                      "creator": row["creator"]}
            url = f"{base}k/{info.id}/show#record={rid}"
            if "RECORD" in types:
                texts = {c: str(data.get(c) or "") for c in text_fields if data.get(c)}
                matched = [{"code": c, "label": text_fields[c].get("label", c)} for c in texts]
                yield Doc("RECORD", row["created_at"], row["creator"], texts, info.id, info.space_id,
                          {"record": {**record, "matchedFields": matched}}, url)
            if "ATTACHMENT" in types:
                for code in file_fields:
                    for f in data.get(code) or []:
                        attachment = {"attachedTo": "RECORD", "fileKey": f.get("fileKey", ""),
                                      "name": f.get("name", ""), "createdAt": row["created_at"],
                                      "creator": row["creator"]}
                        yield Doc("ATTACHMENT", row["created_at"], row["creator"], {"name": attachment["name"]},
                                  info.id, info.space_id, {"attachment": attachment, "record": record}, url)
        if "RECORD_COMMENT" in types:
            for c in commentstore.of_app(conn, info.id):
                rid = int(c["record"])
                body = {**where, "recordId": str(rid), "recordTitle": titles.get(rid, f"Record {rid}"),
                        "commentId": str(c["id"]), "createdAt": c["created_at"], "creator": c["creator"]}
                url = f"{base}k/{info.id}/show#record={rid}&comment={c['id']}"
                yield Doc("RECORD_COMMENT", c["created_at"], c["creator"], {"text": c["text"]}, info.id,
                          info.space_id, {"recordComment": body}, url)
    for space in space_rows.values():
        s_body = {"spaceId": str(space.id), "spaceName": space.name}
        if "SPACE" in types:
            yield Doc("SPACE", space.created_at, space.creator, {"name": space.name, "body": space.body}, None,
                      space.id, {"space": {**s_body, "createdAt": space.created_at, "creator": space.creator}},
                      f"{base}k/#/space/{space.id}")
        threads = {int(t["id"]): t for t in spaces.threads(conn, space.id)}
        if "THREAD" in types:
            for t in threads.values():
                yield Doc("THREAD", t["created_at"], t["creator"], {"name": t["name"], "body": t["body"]}, None,
                          space.id, {"thread": {**s_body, "threadId": str(t["id"]), "threadName": t["name"],
                                                "createdAt": t["created_at"], "creator": t["creator"]}},
                          f"{base}k/#/space/{space.id}/thread/{t['id']}")
        if types & {"THREAD_COMMENT", "ATTACHMENT"}:
            for c in spaces.thread_comments(conn, space.id):
                of = threads.get(int(c["thread"]))
                body = {"commentId": str(c["id"]), **s_body, "threadId": str(c["thread"]),
                        "threadName": of["name"] if of is not None else "", "createdAt": c["created_at"],
                        "creator": c["creator"]}
                url = f"{base}k/#/space/{space.id}/thread/{c['thread']}/{c['id']}"
                if "THREAD_COMMENT" in types:
                    yield Doc("THREAD_COMMENT", c["created_at"], c["creator"], {"text": c["text"]}, None, space.id,
                              {"threadComment": body}, url)
                if "ATTACHMENT" in types:
                    for f in json.loads(c["files"]):
                        attachment = {"attachedTo": "THREAD_COMMENT", "fileKey": f.get("fileKey", ""),
                                      "name": f.get("name", ""), "createdAt": c["created_at"],
                                      "creator": c["creator"]}
                        yield Doc("ATTACHMENT", c["created_at"], c["creator"], {"name": attachment["name"]}, None,
                                  space.id, {"attachment": attachment, "threadComment": body}, url)


def _fingerprint(p: Mapping[str, Any]) -> str:
    request = {k: v for k, v in p.items() if k not in ("pageToken", "limit")}
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _token(offset: int, fingerprint: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset, "f": fingerprint}).encode()).decode().rstrip("=")


def _offset(token: Any, fingerprint: str) -> int:
    if token is None or token == "":
        return 0
    try:
        padded = str(token) + "=" * (-len(str(token)) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded))
        if decoded["f"] == fingerprint and isinstance(decoded["o"], int) and decoded["o"] >= 0:
            return int(decoded["o"])
    except (ValueError, KeyError, TypeError):
        pass
    raise invalid("pageToken", "The page token is not valid for this search: send it with the same query, or "
                               "leave it out to start again.")


def _moment(value: Any, key: str) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise invalid(key, 'Specify a date and time such as "2025-03-01T09:00:00+09:00".') from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _created(doc: Doc) -> datetime:
    try:
        return datetime.fromisoformat(doc.created_at.replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)


def _user(code: str, names: dict[str, str]) -> dict[str, str]:
    return {"code": code, "name": names.get(code, code)}


def _with_names(value: Any, names: dict[str, str]) -> Any:
    # Hit bodies carry creators as codes while they are built; the answer has {code, name}.
    if isinstance(value, dict):
        return {k: _user(v, names) if k == "creator" and isinstance(v, str) else _with_names(v, names)
                for k, v in value.items()}
    return value


@router.route("POST", "search.json", tokens=False, writes=False)
def search(ctx: RequestContext) -> dict[str, Any]:
    p = ctx.params
    raw = {k: p.raw(k) for k in ("query", "types", "scopes", "excludeScopes", "createdAfter", "createdBefore",
                                 "creators", "sort", "limit", "pageToken", "includeSynonyms", "useSynonyms")
           if k in p}
    conditions = _conditions(p.require("query"))
    types = set(_list(raw, "types", len(TYPES))) or set(TYPES)
    if not types <= set(TYPES):
        raise invalid("types", f"Specify types among {', '.join(TYPES)}.")
    scopes, excluded = _scopes(raw, "scopes"), _scopes(raw, "excludeScopes")
    creators = {str(c) for c in _list(raw, "creators", 100)}
    after, before = _moment(raw.get("createdAfter"), "createdAfter"), _moment(raw.get("createdBefore"), "createdBefore")
    sort = raw.get("sort") or {}
    if not isinstance(sort, Mapping):
        raise invalid("sort", 'Specify {"by": "RELEVANCE" | "CREATED_AT", "order": "ASC" | "DESC"}.')
    by, order = sort.get("by") or "RELEVANCE", sort.get("order") or "DESC"
    if by not in ("RELEVANCE", "CREATED_AT") or order not in ("ASC", "DESC") or (by, order) == ("RELEVANCE", "ASC"):
        raise invalid("sort", "Sort by RELEVANCE (DESC only) or CREATED_AT (ASC or DESC).")
    config = ctx.services.config
    limit = p.get_int("limit", required=False, minimum=1, maximum=config.search_max_limit,
                      default=config.search_default_limit)
    assert limit is not None
    fingerprint = _fingerprint(raw)
    offset = _offset(raw.get("pageToken"), fingerprint)
    hits: list[tuple[int, Doc]] = []
    for doc in _documents(ctx, types):
        if scopes and not any(_in_scope(doc, s, ids) for s, ids in scopes):
            continue
        if any(_in_scope(doc, s, ids) for s, ids in excluded):
            continue
        if creators and doc.creator not in creators:
            continue
        if (after is not None and _created(doc) < after) or (before is not None and _created(doc) > before):
            continue
        score = _score(iter(doc.texts.values()), conditions)
        if score is not None:
            hits.append((score, doc))
    if by == "RELEVANCE":
        hits.sort(key=lambda h: (h[0], h[1].created_at), reverse=True)
    else:
        hits.sort(key=lambda h: h[1].created_at, reverse=order == "DESC")
    page = hits[offset:offset + limit]
    for _, doc in page:
        if doc.type == "RECORD":
            found = _matching(doc.texts, conditions)
            record = doc.body["record"]
            record["matchedFields"] = [f for f in record["matchedFields"] if f["code"] in found]
    names = directory.load_names(ctx.conn).users
    answer = [
        {"type": doc.type, "url": doc.url, "snippets": _snippets(doc.texts, conditions),
         **_with_names(doc.body, names)}
        for _, doc in page
    ]
    more = offset + limit < len(hits)
    return {"hits": answer, "nextPageToken": _token(offset + limit, fingerprint) if more else None}
