"""Aggregations computed while streaming every matching record through the cursor.

"Deals per rep this quarter" needs every matching record but must not put them in the context: only the
grouped numbers come back. Only the fields the aggregation needs are fetched, and sums are exact decimals.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Any

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.query import parse
from kintone_mcp.query.ast import Query
from kintone_mcp.query.printer import to_text
from kintone_mcp.server.compact import RecordFormatter, plain_number
from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.fieldinfo import Properties, field_type
from kintone_mcp.server.filters import Filter, and_, compile_filter, empty_result_hint
from kintone_mcp.server.query_check import check
from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import ServerState, state_of
from kintone_mcp.server.status_hint import status_hint
from kintone_mcp.server.tools.arguments import AppArg, Ctx
from kintone_mcp.server.tools.spec import ToolSpec, read
from kintone_mcp.server.views import CHART_VIEW

if TYPE_CHECKING:
    from kintone_mcp.client.models.record import Record

#: Records one aggregation may read; past it the answer says how far it got.
MAX_SCANNED = 100_000
#: Groups one answer lists (largest first); the rest are summarised in the cut notice.
MAX_GROUPS = 200
_PAGE = 500

_METRIC = re.compile(r"^\s*(sum|avg|min|max|count)\s*(?:\(\s*([\w$]*)\s*\))?\s*$", re.IGNORECASE)
_DIRECTION = re.compile(r"^(.*?)(?:\s+(asc|desc))?\s*$", re.IGNORECASE | re.DOTALL)
_GROUPABLE = frozenset(
    {
        "SINGLE_LINE_TEXT", "LINK", "NUMBER", "CALC", "RADIO_BUTTON", "DROP_DOWN", "CHECK_BOX", "MULTI_SELECT",
        "DATE", "DATETIME", "TIME", "CREATED_TIME", "UPDATED_TIME", "STATUS", "CREATOR", "MODIFIER",
        "USER_SELECT", "ORGANIZATION_SELECT", "GROUP_SELECT", "STATUS_ASSIGNEE", "RECORD_NUMBER",
    }
)  # fmt: skip
_DATE_TYPES = frozenset({"DATE", "DATETIME", "CREATED_TIME", "UPDATED_TIME"})
_NUMERIC = frozenset({"NUMBER", "CALC"})
_BUCKETS = ("year", "quarter", "month", "week", "day")


class Aggregation(Out):
    class Group(Out):
        # Nested rather than module-level: the client has a `Group` (a user group), and pydantic names a schema's
        # `$defs` entry after the class's own name, so the advertised outputSchema still says "Group".
        key: dict[str, Any] = Field(description="group-by field -> value")
        count: int
        values: dict[str, Any] | None = Field(None, description="'op(field)' -> result")

    groups: list[Group]
    overall: Group
    records_scanned: int
    total_count: int | None = None
    cut: str | None = None
    note: str | None = None
    names: dict[str, str] | None = None
    query: str


@dataclass(frozen=True)
class _GroupBy:
    code: str
    type: str
    bucket: str | None
    label: str
    #: the table, for a column of one: then each row is counted rather than each record
    table: str | None = None


@dataclass(frozen=True)
class _Metric:
    op: str
    code: str | None
    type: str | None
    table: str | None
    label: str


@dataclass
class _Acc:
    count: int = 0
    sums: dict[str, Decimal] = field(default_factory=dict)
    ns: dict[str, int] = field(default_factory=dict)
    mins: dict[str, Any] = field(default_factory=dict)
    maxs: dict[str, Any] = field(default_factory=dict)

    def add(self, metrics: list[_Metric], values: Mapping[str, list[Any]]) -> None:
        self.count += 1
        for m in metrics:
            if m.code is None:
                continue
            for v in values[m.label]:
                if m.op == "count":
                    self.ns[m.label] = self.ns.get(m.label, 0) + 1
                elif m.op in ("sum", "avg"):
                    self.sums[m.label] = self.sums.get(m.label, Decimal(0)) + v
                    self.ns[m.label] = self.ns.get(m.label, 0) + 1
                elif m.op == "min":
                    self.mins[m.label] = v if m.label not in self.mins else min(self.mins[m.label], v)
                elif m.op == "max":
                    self.maxs[m.label] = v if m.label not in self.maxs else max(self.maxs[m.label], v)

    def result(self, metrics: list[_Metric]) -> dict[str, Any] | None:
        out: dict[str, Any] = {}
        for m in metrics:
            if m.op == "count":
                if m.code is not None:
                    out[m.label] = self.ns.get(m.label, 0)
                continue
            if m.op == "sum":
                out[m.label] = _num(self.sums.get(m.label, Decimal(0)))
            elif m.op == "avg":
                n = self.ns.get(m.label, 0)
                out[m.label] = _num(round(self.sums[m.label] / n, 6)) if n else None
            else:
                v = (self.mins if m.op == "min" else self.maxs).get(m.label)
                out[m.label] = _num(v) if isinstance(v, Decimal) else v
        return out or None


def _num(d: Decimal) -> Any:
    return plain_number(format(d.normalize(), "f"))


def _parse_group_by(spec: str, properties: Properties) -> _GroupBy:
    code, _, suffix = spec.partition(":")
    code = code.strip()
    bucket = suffix.strip().lower() or None
    found = field_type(properties, code)
    if found is None:
        raise ToolInputError(f"group_by: unknown field {code!r} (get_app lists the field codes).")
    ftype, table = found
    if ftype not in _GROUPABLE:
        raise ToolInputError(
            f"group_by: cannot group by {code!r} ({ftype}); group by a choice, text, number, date, status or user "
            "field."
        )
    if bucket is not None and (ftype not in _DATE_TYPES or bucket not in _BUCKETS):
        raise ToolInputError(
            f"group_by: {spec!r}: a period suffix ({', '.join(_BUCKETS)}) only applies to date and date-time fields."
        )
    return _GroupBy(code, ftype, bucket, spec.strip(), table)


def _row_table(groups_by: list[_GroupBy], wanted: list[_Metric]) -> str | None:
    """The table whose rows are counted when a group-by field is one of its columns; checks that every metric is
    measured on those same rows (a record-level amount would be counted once per row)."""
    tables = sorted({g.table for g in groups_by if g.table})
    if not tables:
        return None
    if len(tables) > 1:
        raise ToolInputError(f"group_by: columns of two tables ({', '.join(tables)}) cannot be grouped together.")
    table = tables[0]
    other = [m.label for m in wanted if m.code is not None and m.table != table]
    if other:
        raise ToolInputError(
            f"metrics: grouping by a column of {table!r} counts its rows, so metrics must be columns of {table!r} "
            f"too; {', '.join(other)} is not. Aggregate those in a separate call."
        )
    return table


def _parse_metric(spec: str, properties: Properties) -> _Metric:
    m = _METRIC.match(spec)
    if not m:
        raise ToolInputError(
            f'metrics: {spec!r} is not like "sum(amount)"; use sum, avg, min or max of a field, "count" (records, '
            'always given as each group\'s count) or "count(field)" (non-empty values of the field).'
        )
    op, code = m.group(1).lower(), m.group(2) or None
    if op == "count" and code is None:
        return _Metric("count", None, None, None, "count")
    if code is None:
        raise ToolInputError(f"metrics: {spec!r} needs a field, e.g. {op}(amount).")
    found = field_type(properties, code)
    if found is None:
        raise ToolInputError(f"metrics: unknown field {code!r} (get_app lists the field codes).")
    ftype, table = found
    if op == "count":
        # Non-empty values, not records (records are each group's `count`): a table column counts its non-empty
        # cells, as sum(column) adds every row.
        return _Metric("count", code, ftype, table, f"count({code})")
    if op in ("sum", "avg") and ftype not in _NUMERIC:
        raise ToolInputError(f"metrics: {op}({code}) needs a number field; {code!r} is {ftype}.")
    if op in ("min", "max") and ftype not in _NUMERIC | _DATE_TYPES | {"TIME"}:
        raise ToolInputError(f"metrics: {op}({code}) needs a number, date or time field; {code!r} is {ftype}.")
    return _Metric(op, code, ftype, table, f"{op}({code})")


def _bucket(value: str, bucket: str | None) -> str:
    if bucket is None or not value:
        return value
    day = date.fromisoformat(value[:10]) if len(value) == 10 else datetime.fromisoformat(value).date()
    if bucket == "year":
        return f"{day.year}"
    if bucket == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if bucket == "month":
        return f"{day.year}-{day.month:02d}"
    if bucket == "week":
        iso = day.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    return day.isoformat()


def _keys(cell: Any, g: _GroupBy, fmt: RecordFormatter) -> list[Any]:
    """Group keys of one field value (several for a multi-valued field), in the plain form records use."""
    if not isinstance(cell, Mapping):
        return [None]
    plain = fmt.record({g.code: cell})[g.code]
    values = plain if isinstance(plain, list) else [plain]
    if not values:
        return [None]
    return [_bucket(v, g.bucket) if isinstance(v, str) and g.bucket else v for v in values]


def _metric_values(record: Record, m: _Metric) -> list[Any]:
    if m.code is None:
        return []
    if m.table is not None:
        rows = (record.raw.get(m.table) or {}).get("value") or []
        return [v for row in rows for v in _row_metric_values(row, m)]
    return _measures([(record.raw.get(m.code) or {}).get("value")], m)


def _row_metric_values(row: Mapping[str, Any], m: _Metric) -> list[Any]:
    if m.code is None:
        return []
    return _measures([((row.get("value") or {}).get(m.code) or {}).get("value")], m)


def _measures(raw: list[Any], m: _Metric) -> list[Any]:
    out: list[Any] = []
    for v in raw:
        if v in (None, "") or v == []:
            continue
        if m.op == "count":
            out.append(1)
        elif m.type in _NUMERIC:
            try:
                out.append(Decimal(str(v)))
            except InvalidOperation:
                continue
        else:
            out.append(v)
    return out


async def _pages(
    state: ServerState, app_id: int, query: Query, fields: list[str]
) -> AsyncGenerator[tuple[list[Record], int]]:
    """Pages of matching records with the total, through the cursor (the client pages by $id instead where Kintone
    refuses the cursor, i.e. under OAuth)."""
    cursor = state.client.iter_record_pages(app_id, query=to_text(query), fields=fields, page_size=_PAGE)
    async with aclosing(cursor):
        async for cursor_page in cursor:
            yield cursor_page.records, cursor_page.total_count


async def aggregate_records(
    ctx: Ctx,
    app: AppArg = None,
    group_by: Annotated[
        list[str] | None,
        Field(max_length=2, description='Up to 2 field codes; dates take a period: "close_date:month".'),
    ] = None,
    metrics: Annotated[
        list[str] | None,
        Field(max_length=10, description='e.g. ["sum(amount)", "avg(probability)", "count(email)"]; count always.'),
    ] = None,
    query: Annotated[str | None, Field(description="Kintone query conditions.")] = None,
    filter: Annotated[Filter | None, Field(description="As in get_records.")] = None,
    order_by: Annotated[
        str | None, Field(description='A metric or group_by field, asc/desc, e.g. "sum(amount) desc".')
    ] = None,
    limit: Annotated[
        int | None, Field(ge=1, le=MAX_GROUPS, description=f"Groups to list, top first (default {MAX_GROUPS}).")
    ] = None,
) -> Annotated[CallToolResult, Aggregation]:
    """Count, sum, avg, min and max over all records a filter or query matches (up to 100,000), by up to two
    group_by fields; only the numbers come back.

    Use it instead of reading records for "how many", "how much", "per owner / per month". Group by choice, user,
    status, text or date fields (by year, quarter, month, week or day); sum and avg take number fields and table
    columns (over every row; grouping by a column counts rows). Largest groups come first, dates in time order;
    `order_by` with `limit` gives a top N.
    """
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    properties = await state.fields(app_id)
    groups_by = [_parse_group_by(g, properties) for g in group_by or []]
    wanted = [_parse_metric(m, properties) for m in metrics or []]
    if not groups_by and (order_by or limit is not None):
        # Without groups there is one result over every record: a `limit` here would read as "aggregate only N
        # records", which it never does.
        raise ToolInputError(
            "order_by and limit order and cut the groups, and without group_by there are none: the answer is one "
            "result over every matching record. Add group_by, or narrow the records with query/filter."
        )
    order, wanted = _parse_order(order_by, groups_by, wanted, properties)
    row_table = _row_table(groups_by, wanted)
    parsed = parse(query) if query else Query()
    where = and_(parsed.where, compile_filter(filter, properties) if filter else None)
    base = Query(where)
    check(base, properties, state.policy)
    needed = {"$id"} | {g.table or g.code for g in groups_by} | {m.table or m.code for m in wanted if m.code}
    fmt = RecordFormatter(properties)
    acc: dict[tuple[Any, ...], _Acc] = {}
    overall = _Acc()
    scanned, total = 0, 0
    #: whether a record fell into several groups of one group-by field (several users, checked options …)
    several = False
    pages = _pages(state, app_id, base, sorted(needed))
    async with aclosing(pages):
        async for records, total in pages:
            for record in records:
                # The units counted: the record itself, or each row of the table grouped by.
                units: list[tuple[Mapping[str, Any], dict[str, list[Any]]]]
                if row_table is None:
                    units = [(record.raw, {m.label: _metric_values(record, m) for m in wanted})]
                else:
                    rows = (record.raw.get(row_table) or {}).get("value") or []
                    units = [
                        (row.get("value") or {}, {m.label: _row_metric_values(row, m) for m in wanted}) for row in rows
                    ]
                for cells, values in units:
                    overall.add(wanted, values)
                    combos: list[tuple[Any, ...]] = [()]
                    for g in groups_by:
                        keys = _keys((cells if g.table else record.raw).get(g.code), g, fmt)
                        several = several or len(keys) > 1
                        combos = [(*c, k) for c in combos for k in keys]
                    for combo in combos:
                        acc.setdefault(combo, _Acc()).add(wanted, values)
            scanned += len(records)
            await ctx.report_progress(scanned, total, "aggregating")
            if scanned >= MAX_SCANNED:
                break
    cuts: list[str] = []
    notes: list[str] = []
    if scanned < total:
        cuts.append(
            f"Stopped after {scanned:,} of {total:,} matching records (bound {MAX_SCANNED:,}); narrow the query."
        )
    results = {combo: a.result(wanted) or {} for combo, a in acc.items()}
    ordered = _ordered(acc, results, order, groups_by)
    cap = limit if limit is not None else MAX_GROUPS
    if groups_by and len(ordered) > cap:
        cuts.append(_left_out(ordered[cap:], results, order, groups_by, cap, limited=limit))
        ordered = ordered[:cap]
    groups = [
        Aggregation.Group(
            key={g.label: k for g, k in zip(groups_by, combo, strict=True)},
            count=a.count,
            values=results[combo] or None,
        )
        for combo, a in ordered
        if groups_by  # with nothing to group by, the one group would repeat `overall`
    ]
    if any(g.type in _DATE_TYPES and g.type != "DATE" and g.bucket for g in groups_by):
        notes.append("Date-time periods are in UTC.")
    if total == 0:
        hints = [
            await empty_result_hint(state, base.where, properties),
            await status_hint(state, app_id, base.where, properties),
        ]
        notes += [h for h in hints if h]
    if row_table is not None:
        notes.append(f"Grouped by a column of {row_table!r}: counts are its rows, not records.")
    if several:
        notes.append(
            "Some records have several values in a group-by field and count once in each of their groups, so the "
            "groups add up to more than `overall`."
        )
    return ok(
        Aggregation(
            groups=groups,
            overall=Aggregation.Group(key={}, count=overall.count, values=overall.result(wanted)),
            records_scanned=scanned,
            total_count=total,
            cut=" ".join(cuts) or None,
            note=" ".join(notes) or None,
            names=fmt.names or None,
            query=to_text(base),
        )
    )


@dataclass(frozen=True)
class _Order:
    """How groups are ordered: by a metric ("count", "sum(amount)"), or by a group-by key (its index)."""

    label: str
    descending: bool
    metric: _Metric | None = None
    key_index: int | None = None

    @property
    def text(self) -> str:
        return f"{self.label} {'desc' if self.descending else 'asc'}"


def _parse_order(
    order_by: str | None, groups_by: list[_GroupBy], wanted: list[_Metric], properties: Properties
) -> tuple[_Order, list[_Metric]]:
    """The order, and the metrics with the one ordered by added when it was not asked for (it is then shown)."""
    if not order_by or not order_by.strip():
        if any(g.bucket for g in groups_by):
            return _Order(groups_by[0].label, False, key_index=0), wanted
        return _Order("count", True), wanted
    m = _DIRECTION.match(order_by.strip())
    assert m is not None  # the pattern matches any text
    name, direction = m.group(1).strip(), (m.group(2) or "").lower()
    for i, g in enumerate(groups_by):
        if name in (g.label, g.code):
            return _Order(g.label, direction == "desc", key_index=i), wanted
    if not _METRIC.match(name):
        keys = ", ".join(repr(g.label) for g in groups_by) or "none"
        raise ToolInputError(
            f"order_by: {order_by!r} names neither a metric nor a group_by field. Give a metric, e.g. "
            f'"count desc" or "sum(amount) desc", or a group_by field (here: {keys}), then asc or desc.'
        )
    metric = _parse_metric(name, properties)
    if metric.code is None:
        return _Order("count", direction != "asc"), wanted
    if all(w.label != metric.label for w in wanted):
        wanted = [*wanted, metric]
    return _Order(metric.label, direction != "asc", metric=metric), wanted


def _sortable(value: Any) -> tuple[int, Any]:
    """Keys of one field compare as numbers, else as text (a number field's keys must not sort as "100" < "20")."""
    if isinstance(value, bool) or value is None:
        return (2, str(value))
    if isinstance(value, int | float | Decimal):
        return (0, value)
    return (1, str(value))


def _ordered(
    acc: dict[tuple[Any, ...], _Acc],
    results: dict[tuple[Any, ...], dict[str, Any]],
    order: _Order,
    groups_by: list[_GroupBy],
) -> list[tuple[tuple[Any, ...], _Acc]]:
    def value(item: tuple[tuple[Any, ...], _Acc]) -> Any:
        combo, a = item
        if order.key_index is not None:
            return combo[order.key_index]
        if order.metric is None:
            return a.count
        return results[combo].get(order.label)

    # Ties (and the rest of the key) in key order; groups without a value (an empty key, an avg of nothing) last
    # whichever the direction, so a top-N is never filled with them.
    items = sorted(acc.items(), key=lambda kv: [_sortable(k) for k in kv[0]])
    present = [kv for kv in items if value(kv) is not None]
    missing = [kv for kv in items if value(kv) is None]
    present.sort(key=lambda kv: _sortable(value(kv)), reverse=order.descending)
    return present + missing


def _shown(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(_num(value))
    return "(empty)" if value is None else str(value)


def _left_out(
    rest: list[tuple[tuple[Any, ...], _Acc]],
    results: dict[tuple[Any, ...], dict[str, Any]],
    order: _Order,
    groups_by: list[_GroupBy],
    cap: int,
    *,
    limited: int | None,
) -> str:
    """Exactly which groups the cap left out (their number, records and range by the order), and how to get them."""

    def value(item: tuple[tuple[Any, ...], _Acc]) -> Any:
        if order.key_index is not None:
            return item[0][order.key_index]
        return item[1].count if order.metric is None else results[item[0]].get(order.label)

    records = sum(a.count for _, a in rest)
    first, final = _shown(value(rest[0])), _shown(value(rest[-1]))
    span = first if first == final else f"{first} to {final}"
    why = f"limit {limited}" if limited is not None else f"at most {MAX_GROUPS} groups per answer"
    opposite = "asc" if order.descending else "desc"
    ways = [f'order_by "{order.label} {opposite}" for the other end']
    if limited is not None and limited < MAX_GROUPS:
        ways.append(f"a larger `limit` (up to {MAX_GROUPS})")
    ways.append("narrow the query")
    if any(g.bucket and g.bucket != "year" for g in groups_by):
        ways.append("group by a longer period")
    return (
        f"Listed the first {cap} groups by {order.text} ({why}); {len(rest):,} more groups ({records:,} records; "
        f"{order.label} {span}) are not listed: use {', '.join(ways[:-1])} or {ways[-1]}."
    )


SPEC: ToolSpec = read(
    aggregate_records,
    "Count and sum records by group",
    summary=(
        "count / sum / avg / min / max over every matching record, grouped by up to two fields (dates by "
        "year, quarter, month, week, day; a subtable column counts its rows, e.g. quantity per product), "
        "top N by `order_by` and `limit`, streamed through the cursor"
    ),
    # Hosts that render MCP Apps show the answer with this view; every client gets the same text and data.
    ui=CHART_VIEW,
)
