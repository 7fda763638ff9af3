"""The ``get_records`` tool: records by a query or a structured filter, in bounded pages with continuation."""

from __future__ import annotations

import dataclasses
from contextlib import aclosing
from typing import TYPE_CHECKING, Annotated

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.query import parse
from kintone_mcp.query.ast import Condition, Expr, FieldRef, NumberLit, Op, OrderKey, Query
from kintone_mcp.query.check import MAX_LIMIT as KINTONE_MAX_LIMIT
from kintone_mcp.query.check import MAX_OFFSET
from kintone_mcp.query.printer import to_text
from kintone_mcp.server.compact import RecordFormatter
from kintone_mcp.server.continuation import ALL_FIELDS, DEFAULT_LIMIT, DEFAULT_TEXT_CHARS, Continuation
from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.fieldinfo import Properties
from kintone_mcp.server.filters import Filter, and_, empty_result_hint
from kintone_mcp.server.query_check import check
from kintone_mcp.server.results import Out, compact_size, ok
from kintone_mcp.server.state import ServerState, state_of
from kintone_mcp.server.status_hint import status_hint
from kintone_mcp.server.tools.arguments import AppArg, Ctx
from kintone_mcp.server.tools.outputs import CompactRecord
from kintone_mcp.server.tools.records._reading import check_fields, order_keys, order_text, plan_read
from kintone_mcp.server.tools.records.get_record import RECORD_ROWS, RECORD_TEXT_CHARS
from kintone_mcp.server.tools.spec import ToolSpec, read
from kintone_mcp.server.views import RECORDS_VIEW

if TYPE_CHECKING:
    from kintone_mcp.client.models.record import Record

#: Most records one call returns, however they are read.
MAX_LIMIT = 1000
#: Kintone's page size limit for records.json and the cursor.
PAGE_SIZE = KINTONE_MAX_LIMIT
#: Bound on the compact JSON of the records in one answer (about 15k tokens): a page stops early past it.
CHAR_BUDGET = 60_000
#: Subtable rows shown per record in a list of records (get_record shows up to RECORD_ROWS).
LIST_ROWS = 50
_ID = FieldRef("$id")


class RecordList(Out):
    records: list[CompactRecord]
    returned: int
    # Described only where the answer does not explain itself (a cut or a note says what it is in words).
    total_count: int | None = None
    next: str | None = None  # what to do with it: the `next` argument's description
    cut: str | None = None
    note: str | None = None
    names: dict[str, str] | None = None
    query: str


#: Fields Kintone keeps on every record by itself; left out of a list unless named or `fields: ["*"]`.
SYSTEM_TYPES = frozenset({"RECORD_NUMBER", "CREATOR", "CREATED_TIME", "MODIFIER", "UPDATED_TIME", "CATEGORY"})


def _field_list(fields: list[str] | None, properties: Properties) -> tuple[str, ...] | None:
    """What the continuation keeps: None for the default (no system fields), ALL_FIELDS, or the checked codes."""
    if not fields:
        return None
    if list(fields) == ["*"]:
        return ALL_FIELDS
    return tuple(check_fields(fields, properties))


def fetched_fields(chosen: tuple[str, ...] | None, properties: Properties) -> list[str] | None:
    """The ``fields`` sent to Kintone: the default leaves out the system fields (and so does not fetch them)."""
    if chosen == ALL_FIELDS:
        return None
    if chosen is not None:
        return list(chosen)
    return ["$id", "$revision"] + [
        code
        for code, prop in properties.items()
        if code not in ("$id", "$revision")
        and prop.get("type") not in SYSTEM_TYPES
        and prop.get("type") not in ("__ID__", "__REVISION__")
    ]


def _after(record_id: int, descending: bool) -> Condition:
    return Condition(_ID, Op.LT if descending else Op.GT, (NumberLit(str(record_id)),))


async def _agree(
    state: ServerState,
    cont: Continuation,
    properties: Properties,
    *,
    app: int | str | None,
    view: str | int | None,
    query: str | None,
    filter: Filter | None,
    fields: list[str] | None,
    order_by: str | None,
) -> None:
    """Arguments beside `next` must ask for what it continues: the token carries them, and one that disagrees
    would otherwise either be ignored (a page of another query, reported as this one) or change the read halfway."""
    problems = []
    if app is not None and state.policy.resolve_app(app) != cont.app:
        problems.append(f"`app` {app!r} is not app {cont.app}, which `next` reads")
    if fields is not None and _field_list(fields, properties) != cont.fields:
        problems.append(f"`fields` {fields!r} differs from the fields `next` returns")
    if any(a is not None for a in (view, query, filter, order_by)):
        plan = await plan_read(
            state, cont.app, properties, view=view, query=query, filter=filter, order_by=order_by, limit=None
        )
        given_where = to_text(plan.where) if plan.where is not None else ""
        if (view is not None or query or filter) and given_where != cont.where:
            problems.append(
                f"the conditions given select `{given_where or 'every record'}`, `next` continues "
                f"`{cont.where or 'every record'}`"
            )
        if plan.ordered and order_text(plan.order) != cont.order:
            problems.append(
                f"the order given is `{order_text(plan.order)}`, `next` continues `{cont.order or '$id desc'}`"
            )
        if plan.offset:
            problems.append("an offset in `query`: `next` already says where to go on")
    if problems:
        raise ToolInputError(
            "`next` continues an earlier read, and arguments beside it disagree with it:\n- "
            + "\n- ".join(problems)
            + "\nPass `next` alone (it carries the app, view, query, filter, fields and order; `limit` and "
            "`max_text_chars` may change), or leave `next` out to start a new read."
        )


@dataclasses.dataclass
class _Read:
    """The state of one get_records call while it pages."""

    records: list[dict[str, object]] = dataclasses.field(default_factory=list)
    size: int = 0
    budget_hit: bool = False
    last_id: int | None = None
    warning: str | None = None

    def take(self, record: Record, fmt: RecordFormatter) -> bool:
        plain = fmt.record(record.raw)
        size = compact_size(plain)
        if self.records and self.size + size > CHAR_BUDGET:
            self.budget_hit = True
            return False
        self.records.append(plain)
        self.size += size
        self.last_id = record.id
        return True


async def get_records(
    ctx: Ctx,
    app: AppArg = None,
    view: Annotated[
        str | int | None,
        Field(description="A saved view (name or id, see get_app): its filter and sort apply."),
    ] = None,
    query: Annotated[
        str | None,
        Field(description='Kintone query, e.g. Stage in ("Won") and Amount >= 1000 order by Close_date desc'),
    ] = None,
    filter: Annotated[Filter | None, Field(description="Structured conditions.")] = None,
    fields: Annotated[
        list[str] | None,
        Field(description='Field codes to return (default: all but system fields; ["*"]: all).'),
    ] = None,
    order_by: Annotated[
        str | None, Field(description='e.g. "Amount desc, $id asc" (default $id desc); replaces a view\'s sort.')
    ] = None,
    limit: Annotated[int | None, Field(ge=1, le=MAX_LIMIT, description="Records per call (default 20).")] = None,
    next: Annotated[str | None, Field(description="Token from a previous answer; pass it alone.")] = None,
    max_text_chars: Annotated[
        int | None, Field(ge=50, le=RECORD_TEXT_CHARS, description="Cut long text beyond this (default 1000).")
    ] = None,
) -> Annotated[CallToolResult, RecordList]:
    """Read records of an app, newest first unless ordered otherwise.

    Select with a structured `filter` (preferred: we escape values and check operators), e.g.
    {"conditions": [{"field": "Stage", "op": "in", "value": ["Won"]}, {"field": "Close_date", "op": ">=",
    "value": "THIS_MONTH()"}]}, a Kintone `query`, or a saved `view`; all given are and-ed. In a filter, `match`
    is "all" (the default) or "any", and a condition may be a nested filter; `field` is a code or $id; `op`
    (default "=") is one get_app lists for the field's type; `value` is a list for in / not in, none for is
    empty, "YYYY-MM-DD" or TODAY(), THIS_MONTH(), LAST_MONTH(), FROM_TODAY(-7, DAYS)… for dates, LOGINUSER() for
    users. A table column matches when any row does. Ask only for the `fields` you need. The answer gives
    total_count and, when more match, a `next` token that continues the same read. To count or sum, use
    aggregate_records.
    """
    state = state_of(ctx)
    if next:
        cont = Continuation.decode(next)
        cont = dataclasses.replace(cont, app=state.policy.resolve_app(cont.app))
        properties = await state.fields(cont.app)
        await _agree(
            state, cont, properties, app=app, view=view, query=query, filter=filter, fields=fields, order_by=order_by
        )
        # Bounded again: the token is the caller's text.
        cont = dataclasses.replace(
            cont,
            limit=min(limit or cont.limit, MAX_LIMIT),
            max_text_chars=max(50, min(max_text_chars or cont.max_text_chars, RECORD_TEXT_CHARS)),
        )
        where = parse(cont.where).where if cont.where else None
        order = order_keys(cont.order) if cont.order else ()
        check(Query(where, order), properties, state.policy)
    else:
        app_id = state.policy.resolve_app(app)
        properties = await state.fields(app_id)
        plan = await plan_read(
            state, app_id, properties, view=view, query=query, filter=filter, order_by=order_by, limit=limit
        )
        where, order = plan.where, plan.order
        cont = Continuation(
            app=app_id,
            where=to_text(where) if where is not None else "",
            order=order_text(order),
            fields=_field_list(fields, properties),
            limit=max(1, min(plan.limit, MAX_LIMIT)) if plan.limit is not None else DEFAULT_LIMIT,
            max_text_chars=max_text_chars or DEFAULT_TEXT_CHARS,
            offset=plan.offset,
            seen=plan.offset,
        )
    page = await _read(ctx, state, cont, properties, where, order)
    if page.total_count == 0:
        hints = [
            await empty_result_hint(state, where, properties),
            await status_hint(state, cont.app, where, properties),
        ]
        page.note = " ".join(h for h in (page.note, *hints) if h) or None
    return ok(page)


async def _read(
    ctx: Ctx,
    state: ServerState,
    cont: Continuation,
    properties: Properties,
    where: Expr | None,
    order: tuple[OrderKey, ...],
) -> RecordList:
    limit = cont.limit
    fetch = fetched_fields(cont.fields, properties)
    keyset = all(k.field.code == "$id" for k in order)
    descending = not order or order[0].descending
    full_order = order or (OrderKey(_ID, descending=True),)
    if keyset and cont.after_id is not None:
        where = and_(where, _after(cont.after_id, descending))
    base = Query(where, full_order)
    offset = cont.offset
    if offset > MAX_OFFSET:
        raise ToolInputError(
            f"Kintone cannot skip more than {MAX_OFFSET:,} records (offset {offset:,}, sorted by "
            f"{cont.order or '$id desc'}). Narrow the query (e.g. a date range, or a condition on $id), page with "
            "`next` instead of an offset (sorted by $id it pages without limit), or use aggregate_records for totals."
        )
    fmt = RecordFormatter(properties, max_text_chars=cont.max_text_chars, max_rows=LIST_ROWS)
    got = _Read()
    matches: int
    use_cursor = limit > PAGE_SIZE and offset == 0  # the client pages by $id where the cursor is refused
    if use_cursor:
        pages = state.client.iter_record_pages(cont.app, query=to_text(base), fields=fetch, page_size=PAGE_SIZE)
        matches = 0
        async with aclosing(pages):
            async for cursor_page in pages:
                matches = cursor_page.total_count
                for record in cursor_page.records:
                    if len(got.records) >= limit or not got.take(record, fmt):
                        break
                await ctx.report_progress(len(got.records), min(limit, matches), "reading records")
                if len(got.records) >= limit or got.budget_hit:
                    break
    else:
        matches = -1
        while len(got.records) < limit and not got.budget_hit:
            size = min(PAGE_SIZE, limit - len(got.records))
            position = offset + (0 if keyset else len(got.records))
            if position > MAX_OFFSET:
                break
            bounded = base
            if keyset and got.last_id is not None:
                bounded = Query(and_(where, _after(got.last_id, descending)), full_order)
                position = 0
            page = await state.client.get_records(
                cont.app,
                query=to_text(dataclasses.replace(bounded, limit=size, offset=position or None)),
                fields=fetch,
                total_count=matches < 0,
            )
            if matches < 0:
                matches = page.total_count or 0
            got.warning = got.warning or page.warning
            for record in page.records:
                if not got.take(record, fmt):
                    break
            if len(page.records) < size:
                break
            if limit > PAGE_SIZE:
                await ctx.report_progress(len(got.records), min(limit, matches), "reading records")
    return _page(cont, got, fmt, matches, limit, keyset, to_text(base))


def _page(
    cont: Continuation, got: _Read, fmt: RecordFormatter, matches: int, limit: int, keyset: bool, query: str
) -> RecordList:
    """``matches`` counts the records of this call's query: under keyset paging that query starts after the last
    record already returned (``after_id``), under offset paging it is the whole query."""
    returned = len(got.records)
    start = cont.seen
    total = (cont.seen if keyset and cont.after_id is not None else 0) + matches
    remaining = matches - cont.offset - returned
    cuts: list[str] = []
    notes: list[str] = []
    next_token = None
    if remaining > 0 and returned:
        # Terse: total_count and `next` are beside it; it says which records these are and why it stopped.
        reason = f"{CHAR_BUDGET:,}-character bound" if got.budget_hit else f"limit {limit}"
        cuts.append(f"records {start + 1}-{start + returned} of {total} ({reason}); `next` for more")
        if keyset or cont.offset + returned <= MAX_OFFSET:
            next_token = dataclasses.replace(
                cont,
                after_id=got.last_id if keyset else None,
                offset=0 if keyset else cont.offset + returned,
                seen=start + returned,
            ).encode()
        else:
            cuts[-1] = (
                f"records {start + 1}-{start + returned} of {total}; Kintone pages no further than {MAX_OFFSET:,} "
                "records in this order: sort by $id (or narrow the query) to go further"
            )
    if fmt.cuts:
        cuts.append(
            f"{len(fmt.cuts)} long text value(s) cut at {cont.max_text_chars} characters (get_record shows them whole)"
        )
    if fmt.row_cuts:
        cuts.append(f"{len(fmt.row_cuts)} table(s) cut to {LIST_ROWS} rows (get_record shows up to {RECORD_ROWS:,})")
    if got.warning:
        notes.append(f"Kintone warned: {got.warning}")
    return RecordList(
        records=got.records,
        returned=returned,
        total_count=total,
        next=next_token,
        cut="; ".join(cuts) or None,
        note=" ".join(notes) or None,
        names=fmt.names or None,
        query=query,
    )


SPEC: ToolSpec = read(
    get_records,
    "Read records",
    summary=(
        "Records by structured `filter` (we escape values), raw `query` or saved `view`, `fields` (system fields "
        "on request), `order_by`, `limit` (default 20); bounded answers with `total_count`, a `cut` notice and a "
        "`next` token that keeps the query, fields and page size"
    ),
    # Hosts that render MCP Apps show the answer with this view; every client gets the same text and data.
    ui=RECORDS_VIEW,
)
