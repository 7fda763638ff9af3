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
from kintone_mcp.server.continuation import Continuation
from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.fieldinfo import Properties, walk_fields
from kintone_mcp.server.filters import Filter, and_, compile_filter, empty_result_hint
from kintone_mcp.server.query_check import check
from kintone_mcp.server.record_input import field_suggestions
from kintone_mcp.server.results import Out, compact_size, ok
from kintone_mcp.server.state import ServerState, state_of
from kintone_mcp.server.tools.arguments import AppArg, Ctx
from kintone_mcp.server.tools.outputs import CompactRecord
from kintone_mcp.server.tools.records.get_record import RECORD_ROWS, RECORD_TEXT_CHARS
from kintone_mcp.server.tools.spec import ToolSpec, read

if TYPE_CHECKING:
    from kintone_mcp.client.models.record import Record

#: Most records one call returns, however they are read.
MAX_LIMIT = 1000
#: Kintone's page size limit for records.json and the cursor.
PAGE_SIZE = KINTONE_MAX_LIMIT
#: Bound on the compact JSON of the records in one answer (about 15k tokens): a page stops early past it.
CHAR_BUDGET = 60_000
DEFAULT_TEXT_CHARS = 1000
#: Subtable rows shown per record in a list of records (get_record shows up to RECORD_ROWS).
LIST_ROWS = 50
_ID = FieldRef("$id")


class RecordList(Out):
    records: list[CompactRecord]
    returned: int
    total_count: int | None = Field(None, description="records matching the query")
    next: str | None = Field(None, description="continuation token: pass as `next` to get the following records")
    cut: str | None = Field(
        None, description="what was left out and why; why nothing matched, when it may be a mistake"
    )
    names: dict[str, str] | None = Field(None, description="display names of user/org/group codes in records")
    query: str = Field(description="the Kintone query that ran")


def check_fields(fields: list[str], properties: Properties) -> list[str]:
    """The field list, validated, with ``$id`` and ``$revision`` added so every record can be referred to."""
    problems = []
    inner = {c: t for c, _, t in walk_fields(properties) if t is not None}
    for code in fields:
        if code in ("$id", "$revision") or code in properties:
            continue
        if code in inner:
            problems.append(f"{code!r} is a column of the table {inner[code]!r}: name the table to get its rows")
        else:
            problems.append(f"unknown field {code!r}: {field_suggestions(code, properties)}")
    if problems:
        raise ToolInputError("`fields` names fields this app does not have:\n- " + "\n- ".join(problems))
    return list(dict.fromkeys(["$id", "$revision", *fields]))


def _after(record_id: int, descending: bool) -> Condition:
    return Condition(_ID, Op.LT if descending else Op.GT, (NumberLit(str(record_id)),))


def _order_keys(order_by: str) -> tuple[OrderKey, ...]:
    return parse(f"order by {order_by}").order_by


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
    query: Annotated[
        str | None,
        Field(description='Kintone query, e.g. Stage in ("Won") and Amount >= 1000 order by Close_date desc.'),
    ] = None,
    filter: Annotated[Filter | None, Field(description="Structured conditions; we quote and escape values.")] = None,
    fields: Annotated[list[str] | None, Field(description="Field codes to return (default: all).")] = None,
    order_by: Annotated[str | None, Field(description='e.g. "Amount desc, $id asc" (default $id desc).')] = None,
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT, description="Records to return.")] = 20,
    next: Annotated[str | None, Field(description="Continuation token from a previous answer.")] = None,
    max_text_chars: Annotated[int, Field(ge=50, le=RECORD_TEXT_CHARS, description="Cut long text beyond this.")] = (
        DEFAULT_TEXT_CHARS
    ),
) -> Annotated[CallToolResult, RecordList]:
    """Read records of an app, newest first unless ordered otherwise.

    Select with a structured `filter` (preferred: we escape values and check operators per field), e.g.
    {"match": "all", "conditions": [{"field": "Stage", "op": "in", "value": ["Won"]}, {"field": "Close_date",
    "op": ">=", "value": "THIS_MONTH()"}]}, or with a raw Kintone `query`; both may be given (joined with and).
    Conditions are checked against the app's fields before sending. Ask only for the `fields` you need. The
    answer says total_count and, when more records match than were returned, `cut` and a `next` token. To count
    or sum, use aggregate_records instead of reading everything.
    """
    state = state_of(ctx)
    if next:
        cont = Continuation.decode(next)
        app_id = state.policy.resolve_app(cont.app)
        properties = await state.fields(app_id)
        where = parse(cont.where).where if cont.where else None
        order = _order_keys(cont.order) if cont.order else ()
        check(Query(where, order), properties)
    else:
        app_id = state.policy.resolve_app(app)
        properties = await state.fields(app_id)
        parsed = parse(query) if query else Query()
        where = and_(parsed.where, compile_filter(filter, properties) if filter else None)
        order = _order_keys(order_by) if order_by else parsed.order_by
        check(Query(where, order), properties)
        if parsed.limit is not None:
            limit = max(1, min(parsed.limit, MAX_LIMIT))
        cont = Continuation(
            app=app_id,
            where=to_text(where) if where is not None else "",
            order=", ".join(f"{k.field.code} {'desc' if k.descending else 'asc'}" for k in order),
            fields=check_fields(fields, properties) if fields else None,
            max_text_chars=max_text_chars,
            offset=parsed.offset or 0,
            seen=parsed.offset or 0,
        )
    page = await _read(ctx, state, cont, properties, where, order, limit)
    if page.total_count == 0 and (hint := await empty_result_hint(state, app_id, where, properties)):
        page.cut = f"{page.cut} {hint}" if page.cut else hint
    return ok(page)


async def _read(
    ctx: Ctx,
    state: ServerState,
    cont: Continuation,
    properties: Properties,
    where: Expr | None,
    order: tuple[OrderKey, ...],
    limit: int,
) -> RecordList:
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
        pages = state.client.iter_record_pages(cont.app, query=to_text(base), fields=cont.fields, page_size=PAGE_SIZE)
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
                fields=cont.fields,
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
    notes: list[str] = []
    next_token = None
    if remaining > 0 and returned:
        reason = f"the {CHAR_BUDGET:,}-character bound" if got.budget_hit else f"limit={limit}"
        notes.append(
            f"Returned records {start + 1}-{start + returned} of {total} (stopped at {reason}). "
            "Pass `next` for more, narrow the query, or use aggregate_records for totals."
        )
        if keyset or cont.offset + returned <= MAX_OFFSET:
            next_token = dataclasses.replace(
                cont,
                after_id=got.last_id if keyset else None,
                offset=0 if keyset else cont.offset + returned,
                seen=start + returned,
            ).encode()
        else:
            notes.append(f"Kintone cannot page past {MAX_OFFSET:,} records in this order; sort by $id to go further.")
    if fmt.cuts:
        notes.append(
            f"Long text was shortened in {len(fmt.cuts)} value(s) over {cont.max_text_chars} characters; get_record "
            "shows one record in full."
        )
    if fmt.row_cuts:
        notes.append(
            f"{len(fmt.row_cuts)} table(s) showed only their first {LIST_ROWS} rows; get_record shows up to "
            f"{RECORD_ROWS:,}."
        )
    if got.warning:
        notes.append(f"Kintone warned: {got.warning}")
    return RecordList(
        records=got.records,
        returned=returned,
        total_count=total,
        next=next_token,
        cut=" ".join(notes) or None,
        names=fmt.names or None,
        query=query,
    )


SPEC: ToolSpec = read(
    get_records,
    "Read records",
    summary=(
        "Records by structured `filter` (we escape values) or raw `query`, `fields`, `order_by`, `limit` "
        "(default 20); bounded answers with `total_count`, a `cut` notice and a `next` token"
    ),
)
