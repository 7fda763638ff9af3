"""Compiles a parsed Kintone query to SQL over the sandbox's ``records`` table, with Kintone's semantics.

The output is meant for ``SELECT … FROM records r WHERE r.app = ? AND (<where>) ORDER BY <order_by>``: the table alias
``r`` is fixed. Every value the caller wrote travels as a ``?`` parameter; only field codes and option labels (which
come from the app's own field definitions, never from the query text alone) are inlined as SQL literals.

Semantics follow docs/kintone-api.md §5, §6 and §8. Where Kintone's behaviour is unconfirmed the choice is a field of
``QueryContext`` with a documented default. In short:

* NUMBER / CALC / ``$id`` compare numerically; an empty number never satisfies ``=``, ``<``, ``>`` …, but does
  satisfy ``!=`` and ``not in`` (``QueryContext.negative_matches_empty``). ``= ""`` / ``in ("")`` find empty values.
* ``like`` is a case-insensitive substring search (ASCII letters only: SQLite's ``lower()``), not SQL LIKE.
* ``is empty`` counts whitespace-only text as empty.
* A DATETIME compared with a date or a day function means the whole day (week, month, year) in ``ctx.tz``.
* Subtable fields: positive operators need one row to match, negative operators need every row to match and the
  table to have rows, and positive conditions on one table joined by ``and`` must match in the same row.
* ``order by``: empty values are smaller than any value (first with ``asc``, last with ``desc``); ``r.id DESC`` is
  appended as a final tiebreaker so that paging with ``offset`` is deterministic.

Error codes: an operator a type does not take, an unsearchable field, or an unsortable ``order by`` key → GAIA_IQ03;
``=`` / ``!=`` on a subtable or related-records field → GAIA_IQ07; a value that is not an option → GAIA_IQ10; an
unknown field → GAIA_IQ11; a dot outside related records → GAIA_IR02; a function on a type it does not apply to, an
unknown function or a wrong number of arguments → GAIA_IL08; a day of month outside 1–31 → GAIA_IQ23; an unknown
FROM_TODAY unit or weekday → GAIA_IQ25; a value that is not a number, date or time → CB_VA01 (detail under
``errors.query``); ``limit`` over 500 → GAIA_QU01; ``offset`` over 10,000 → GAIA_QU02.

Storage assumption: field codes are JSON object keys written as raw UTF-8 (``json.dumps(..., ensure_ascii=False)``),
because SQLite's JSON paths do not match a key spelled with ``\\u`` escapes. Values may be escaped either way.
"""

from __future__ import annotations

import itertools
import re
import string
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from zoneinfo import ZoneInfo

from kintone_mcp.query import QuerySyntaxError, parse
from kintone_mcp.query.ast import And, Condition, Expr, FieldRef, FuncCall, Op, Or, Query, StringLit, Value
from kintone_mcp.query.check import MAX_LIMIT, MAX_OFFSET  # Kintone's page and offset limits, stated once
from kintone_mcp.query.operators import ALL_FUNCTIONS, allowed_functions, allowed_operators
from kintone_mcp.sandbox.errors import ErrorReply, invalid
from kintone_mcp.sandbox.store.querydates import (
    DaySpan,
    FunctionArgumentError,
    MonthDayOverflow,
    evaluate_day_function,
)

#: Resolves a related app's id (as written in a REFERENCE_TABLE field's settings) to that app's field properties, so
#: that ``RelatedRecords.Field`` conditions can be compiled; None when the app is unknown.
RelatedFieldsResolver = Callable[[str], Mapping[str, Mapping[str, Any]] | None]


@dataclass(frozen=True)
class QueryContext:
    """Who is asking and when: functions such as LOGINUSER() and TODAY() are evaluated against this.

    The fields after ``now`` choose the sandbox's answer where Kintone's behaviour is unconfirmed.
    """

    login: str
    primary_organization: str | None
    tz: ZoneInfo
    now: datetime
    #: ``THIS_MONTH(31)`` in a 30-day month: the next month's 1st, or the month's last day.
    month_day_overflow: MonthDayOverflow = "next_month_first"
    #: Whether an empty NUMBER / DATE / TIME / DATETIME value satisfies ``!=`` and ``not in`` (it is, after all, not
    #: equal to the value given). Text fields always behave this way: their empty value is the string "".
    negative_matches_empty: bool = True
    #: How DROP_DOWN / RADIO_BUTTON sort: by the option's position in the field settings, as Kintone's views do,
    #: or by label text.
    option_sort: Literal["index", "label"] = "index"
    #: Needed only for ``RelatedRecords.Field`` conditions.
    related_fields: RelatedFieldsResolver | None = None
    #: Top-level field codes that have an expression index (``index_statements``). Text conditions on other fields
    #: read the raw JSON first (see ``_prefilter``); on these that would only stop SQLite answering from the index.
    indexed_codes: frozenset[str] = frozenset()
    #: Accept the operators whose support by Kintone is unconfirmed (SandboxConfig.lenient_operators); off, they are
    #: refused with GAIA_IQ03 as reported of real Kintone (docs/findings.md).
    lenient_operators: bool = False


@dataclass(frozen=True)
class CompiledQuery:
    where: str
    params: list[object]
    order_by: str
    limit: int | None
    offset: int | None


# ----------------------------------------------------------------------------------------------------------------
# Errors. Messages are Kintone-like English and always name the field; the core localises by code.


def _query_error(code: str, message: str, **params: object) -> ErrorReply:
    # ``params`` name what the message names, so that the Japanese message can name it too.
    return ErrorReply(400, code, message, params=params)


def _invalid_value(message: str) -> ErrorReply:
    # Kintone reports malformed input as CB_VA01 with the detail under errors.query, like a syntax error.
    return invalid("query", message)


# ----------------------------------------------------------------------------------------------------------------
# Field lookup


_SYSTEM_COLUMNS: Mapping[str, str] = {
    "__ID__": "id",
    "RECORD_NUMBER": "id",
    "__REVISION__": "revision",
    "CREATOR": "creator",
    "MODIFIER": "modifier",
    "CREATED_TIME": "created_at",
    "UPDATED_TIME": "updated_at",
    "STATUS": "status",
    "STATUS_ASSIGNEE": "assignees",
}

_BUILTIN_FIELDS: Mapping[str, Mapping[str, Any]] = {
    "$id": {"type": "__ID__", "code": "$id"},
    "$revision": {"type": "__REVISION__", "code": "$revision"},
}

_NUMERIC_TYPES = frozenset({"NUMBER", "CALC", "__ID__", "RECORD_NUMBER", "__REVISION__"})
_TEXT_TYPES = frozenset({"SINGLE_LINE_TEXT", "LINK", "MULTI_LINE_TEXT", "RICH_TEXT", "STATUS"})
_OPTION_TYPES = frozenset({"CHECK_BOX", "RADIO_BUTTON", "DROP_DOWN", "MULTI_SELECT"})
_SCALAR_CHOICE_TYPES = frozenset({"RADIO_BUTTON", "DROP_DOWN", "CREATOR", "MODIFIER"})
_ARRAY_CHOICE_TYPES = frozenset(
    {"CHECK_BOX", "MULTI_SELECT", "USER_SELECT", "ORGANIZATION_SELECT", "GROUP_SELECT", "STATUS_ASSIGNEE"}
)
_DATE_TYPES = frozenset({"DATE"})
_DATETIME_TYPES = frozenset({"DATETIME", "CREATED_TIME", "UPDATED_TIME"})
_TIME_TYPES = frozenset({"TIME"})
_SORTABLE_TYPES = frozenset(
    {
        *_NUMERIC_TYPES,
        *_TEXT_TYPES,
        "RADIO_BUTTON",
        "DROP_DOWN",
        "CREATOR",
        "MODIFIER",
        *_DATE_TYPES,
        *_DATETIME_TYPES,
        *_TIME_TYPES,
    }
)

_PATH_KEY_FORBIDDEN = re.compile(r'["\\\x00-\x1f]')


def json_path(code: str) -> str:
    """``$."code"`` for SQLite's JSON functions, as an SQL string literal. Kintone field codes cannot hold quotes,
    backslashes or control characters; one that does cannot be addressed safely, so it is refused."""
    if _PATH_KEY_FORBIDDEN.search(code):
        raise ValueError(f"field code {code!r} cannot be used in a JSON path")
    return _sql_string(f'$."{code}"')


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def value_sql(field_type: str, code: str, alias: str | None) -> str:
    """The SQL expression a top-level field's stored value is read with, from the row of ``records`` named ``alias``
    (None: unqualified, as in an index definition). The compiler compares and sorts by exactly this expression and
    ``index_statements`` indexes it, which is what lets SQLite use an expression index: SQLite matches index
    expressions by column, so ``r.data`` in a query matches ``data`` in the index."""
    prefix = f"{alias}." if alias else ""
    column = _SYSTEM_COLUMNS.get(field_type)
    if column is not None:
        return f"{prefix}{column}"
    return _key_of_raw(field_type, f"json_extract({prefix}data, {json_path(code)})")


def _key_of_raw(field_type: str, raw: str) -> str:
    # An empty NUMBER is "" and CAST('' AS NUMERIC) would be 0, so empties become NULL first: NULL then fails every
    # comparison and sorts lowest, which are the semantics wanted, at no extra cost per condition.
    if field_type in ("NUMBER", "CALC"):
        return f"CAST(nullif({raw}, '') AS NUMERIC)"
    if field_type in _DATE_TYPES | _DATETIME_TYPES | _TIME_TYPES:
        return f"nullif({raw}, '')"
    return raw


# Types worth an expression index: the ones compared with = / in / ranges and sorted on.
_INDEXABLE_TYPES = frozenset(
    {"NUMBER", "CALC", "SINGLE_LINE_TEXT", "LINK", "RADIO_BUTTON", "DROP_DOWN", "DATE", "TIME", "DATETIME"}
)


def index_statements(app_id: int, fields: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """``CREATE INDEX IF NOT EXISTS`` statements for the top-level fields in ``fields`` that queries can use an index
    for (numbers, single-line text, link, radio button, drop-down, date, time, date-time).

    Each index is ``(app, <value expression>)``, the expression spelled exactly as compiled queries spell it. Pass the
    fields worth indexing (all of an app's fields is fine for a sandbox; every index costs some write time). Names
    are derived from the app id and field code, so running the statements again is harmless; drop stale ones with
    ``DROP INDEX`` when a field is deleted.
    """
    statements: list[str] = []
    for code, props in fields.items():
        field_type = str(props.get("type", ""))
        if field_type not in _INDEXABLE_TYPES or _PATH_KEY_FORBIDDEN.search(code):
            continue
        name = f"records_app{int(app_id)}_{code.encode('utf-8').hex()}"
        statements.append(f'CREATE INDEX IF NOT EXISTS "{name}" ON records(app, {value_sql(field_type, code, None)})')
    return statements


@dataclass(frozen=True)
class _Field:
    code: str
    type: str
    props: Mapping[str, Any]
    #: The enclosing SUBTABLE's code for a field inside a table.
    table: str | None = None


class _FieldIndex:
    """Field codes are unique across an app, subtable fields included, so one flat namespace answers every lookup.
    Built lazily: a query names a few fields of an app that may have hundreds, and compiling runs per request."""

    def __init__(self, fields: Mapping[str, Mapping[str, Any]]) -> None:
        self.fields = fields
        self._inner: dict[str, _Field] | None = None

    def get(self, code: str) -> _Field | None:
        props = self.fields.get(code)
        if props is not None:
            return _Field(code, str(props.get("type", "")), props)
        builtin = _BUILTIN_FIELDS.get(code)
        if builtin is not None:
            return _Field(code, str(builtin["type"]), builtin)
        if self._inner is None:
            self._inner = {}
            for table_code, table in self.fields.items():
                if table.get("type") == "SUBTABLE":
                    for inner_code, inner in (table.get("fields") or {}).items():
                        field_type = str(inner.get("type", ""))
                        self._inner.setdefault(inner_code, _Field(inner_code, field_type, inner, table_code))
        return self._inner.get(code)


# ----------------------------------------------------------------------------------------------------------------
# SQL fragments: text with its parameters, so that fragments can be reordered without losing track of ``?``s.


@dataclass(frozen=True)
class _Sql:
    text: str
    params: tuple[object, ...] = ()
    #: Set on a negation, to the fragment it negates, so that negating twice gives back (a NULL-safe) original.
    negates: _Sql | None = None


_TRUE = _Sql("1")
_FALSE = _Sql("0")


def _join(parts: Sequence[_Sql], sep: str, empty: _Sql) -> _Sql:
    if not parts:
        return empty
    if len(parts) == 1:
        return parts[0]
    return _Sql(
        "(" + sep.join(p.text for p in parts) + ")", tuple(itertools.chain.from_iterable(p.params for p in parts))
    )


def _and(*parts: _Sql) -> _Sql:
    return _join(parts, " AND ", _TRUE)


def _or(*parts: _Sql) -> _Sql:
    return _join(parts, " OR ", _FALSE)


def _not(part: _Sql) -> _Sql:
    # NULL-safe: a condition that is unknown for a value counts as not satisfied, so its negation is satisfied.
    if part.negates is not None:
        return _Sql(f"coalesce({part.negates.text}, 0)", part.params)
    return _Sql(f"NOT coalesce({part.text}, 0)", part.params, negates=part)


def _placeholders(values: Sequence[object]) -> str:
    return ", ".join("?" for _ in values)


# Characters Kintone's ``is empty`` treats as blank: ASCII whitespace, NBSP and the ideographic space.
_BLANK_CHARS = "char(32, 9, 10, 11, 12, 13, 160, 12288)"


# ----------------------------------------------------------------------------------------------------------------
# Operands: the values of a condition, evaluated for the field's type.


@dataclass(frozen=True)
class _Span:
    """A comparison operand as the interval of stored values it stands for: ``[low, high]``, or ``[low, high)`` when
    ``high_open`` (a day in a date-time field ends where the next day starts). A plain value is ``[v, v]``."""

    low: object
    high: object
    high_open: bool = False

    @property
    def point(self) -> bool:
        return self.low == self.high and not self.high_open


_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DATETIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$", re.IGNORECASE
)
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_RECORD_NUMBER_RE = re.compile(r"^(?:.+-)?(\d+)$")


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sql_number(number: Decimal) -> int | float:
    if number == number.to_integral_value() and abs(number) < 2**63:
        return int(number)
    return float(number)


class _Compiler:
    def __init__(
        self,
        fields: Mapping[str, Mapping[str, Any]],
        ctx: QueryContext,
        *,
        lenient: bool,
        record_alias: str = "r",
        aliases: Iterator[int] | None = None,
        indexed_codes: frozenset[str] = frozenset(),
    ) -> None:
        self.index = _FieldIndex(fields)
        self.indexed_codes = indexed_codes
        self.ctx = ctx
        self.lenient = lenient
        self.record = record_alias
        self.aliases = aliases if aliases is not None else itertools.count(1)
        self.today = ctx.now.astimezone(ctx.tz).date()

    def _alias(self, prefix: str) -> str:
        return f"{prefix}{next(self.aliases)}"

    # -- expressions -------------------------------------------------------------------------------------------

    def expr(self, expr: Expr) -> _Sql:
        if isinstance(expr, Condition):
            return self._group([expr])
        if isinstance(expr, Or):
            return _or(*(self.expr(item) for item in expr.items))
        return self._group(list(_flatten_and(expr)))

    def _group(self, items: list[Expr]) -> _Sql:
        """Compiles the operands of one ``and``. Positive conditions on the same subtable (or the same related-records
        field) are gathered into one EXISTS so that a single row has to satisfy all of them."""
        parts: list[_Sql | tuple[str, str]] = []
        groups: dict[tuple[str, str], list[tuple[Condition, _Field]]] = {}
        for item in items:
            if not isinstance(item, Condition):
                parts.append(self.expr(item))
                continue
            kind, owner, target = self._resolve(item.field)
            self._check_operator(item, target, nested=kind != "top")
            if kind == "top":
                parts.append(self._condition(item, target, self.record))
                continue
            if item.op.negative:
                parts.append(self._quantified(kind, owner, [(item, target)], every=True))
                continue
            key = (kind, owner)
            if key not in groups:
                groups[key] = []
                parts.append(key)
            groups[key].append((item, target))
        compiled = [
            part if isinstance(part, _Sql) else self._quantified(part[0], part[1], groups[part], every=False)
            for part in parts
        ]
        return _and(*compiled)

    def _resolve(self, ref: FieldRef) -> tuple[Literal["top", "table", "related"], str, _Field]:
        """Finds the field a reference names: a top-level field, a field inside a subtable (owner = the table's code)
        or a field of a related-records field's app (owner = the REFERENCE_TABLE field's code)."""
        if "." in ref.code and self.index.get(ref.code) is None:
            owner_code, _, inner_code = ref.code.partition(".")
            owner = self.index.get(owner_code)
            if owner is None or owner.type != "REFERENCE_TABLE" or owner.table is not None:
                raise _query_error(
                    "GAIA_IR02",
                    f'The field "{ref.code}" is invalid: the dot notation can only be used with related records '
                    f"fields, and {owner_code!r} is not one.",
                    field=ref.code,
                )
            related = self._related_compiler(owner)
            target = related.index.get(inner_code)
            if target is None or target.code.startswith("$") or target.table is not None:
                raise _query_error("GAIA_IQ11", f"The specified field ({ref.code}) is not found.", field=ref.code)
            return "related", owner.code, target
        target = self.index.get(ref.code)
        if target is None:
            raise _query_error("GAIA_IQ11", f"The specified field ({ref.code}) is not found.", field=ref.code)
        if target.table is not None:
            return "table", target.table, target
        return "top", target.code, target

    def _check_operator(self, cond: Condition, target: _Field, *, nested: bool) -> None:
        allowed = allowed_operators(target.type, in_subtable=nested, lenient=self.lenient)
        if cond.op in allowed:
            return
        where = "in a table" if nested else ""
        if nested and cond.op in (Op.EQ, Op.NE) and cond.op in allowed_operators(target.type, lenient=self.lenient):
            raise _query_error(
                "GAIA_IQ07",
                f'The operator "{cond.op.value}" cannot be used with the field "{cond.field.code}" {where}. '
                'Use "in" or "not in" instead.',
                field=cond.field.code,
            )
        if not allowed:
            raise _query_error(
                "GAIA_IQ03",
                f'The field "{cond.field.code}" ({target.type}) cannot be used in query conditions.',
                field=cond.field.code,
                operator=cond.op.value,
            )
        ops = ", ".join(op.value for op in Op if op in allowed)
        raise _query_error(
            "GAIA_IQ03",
            f'The operator "{cond.op.value}" cannot be used with the field "{cond.field.code}" ({target.type}). '
            f"Operators available for it: {ops}.",
            field=cond.field.code,
            operator=cond.op.value,
        )

    # -- subtables and related records -------------------------------------------------------------------------

    def _quantified(self, kind: str, owner: str, conditions: list[tuple[Condition, _Field]], *, every: bool) -> _Sql:
        """Any row satisfies all ``conditions``; or, for ``every``, the table has rows and each row satisfies them."""
        if kind == "table":
            row = self._alias("t")
            source = f"json_each({self.record}.data, {json_path(owner)}) AS {row}"
            compiled = [self._condition_parts(cond, target, row, in_row=True) for cond, target in conditions]
            body = _and(*(sql for sql, _ in compiled))
            if every:
                return _and(
                    _Sql(f"coalesce(json_array_length({self.record}.data, {json_path(owner)}), 0) > 0"),
                    _Sql(f"NOT EXISTS (SELECT 1 FROM {source} WHERE {_not(body).text})", body.params),
                )
            exists = _Sql(f"EXISTS (SELECT 1 FROM {source} WHERE {body.text})", body.params)
            # Every condition holds in the matching row, so each one's text is somewhere in the record.
            exists = _and(*(_prefilter(self.record, needles) for _, needles in compiled if needles), exists)
            if all(_matches_empty_value(cond) for cond, _ in conditions):
                # A table with no rows has no value in any of its fields, so "is empty" and in ("") find it too.
                return _or(exists, _Sql(f"coalesce(json_array_length({self.record}.data, {json_path(owner)}), 0) = 0"))
            return exists
        owner_field = self.index.get(owner)
        assert owner_field is not None, "resolved before"
        related = self._related_compiler(owner_field)
        source, link = self._related_source(owner_field, related)
        body = _and(*(related._condition(cond, target, related.record) for cond, target in conditions))
        if every:
            return _and(
                _Sql(f"EXISTS (SELECT 1 FROM {source} WHERE {link.text})", link.params),
                _Sql(
                    f"NOT EXISTS (SELECT 1 FROM {source} WHERE {link.text} AND {_not(body).text})",
                    link.params + body.params,
                ),
            )
        return _Sql(f"EXISTS (SELECT 1 FROM {source} WHERE {link.text} AND {body.text})", link.params + body.params)

    def _related_compiler(self, owner: _Field) -> _Compiler:
        settings = owner.props.get("referenceTable") or {}
        app = str((settings.get("relatedApp") or {}).get("app", ""))
        resolver = self.ctx.related_fields
        fields = resolver(app) if resolver is not None and app else None
        if fields is None:
            raise _query_error(
                "GAIA_IQ11",
                f'The related records field "{owner.code}" refers to app {app or "(unset)"}, whose fields are not '
                "available, so its fields cannot be searched.",
            )
        return _Compiler(fields, self.ctx, lenient=self.lenient, record_alias=self._alias("rr"), aliases=self.aliases)

    def _related_source(self, owner: _Field, related: _Compiler) -> tuple[str, _Sql]:
        """FROM clause and join condition selecting the records a related-records field shows for record ``r``: the
        related app's records whose ``relatedField`` equals this record's ``field``, narrowed by ``filterCond``."""
        settings = owner.props.get("referenceTable") or {}
        app = int(str((settings.get("relatedApp") or {}).get("app", "0")))
        condition = settings.get("condition") or {}
        here = self.index.get(str(condition.get("field", "")))
        there = related.index.get(str(condition.get("relatedField", "")))
        if here is None or there is None or here.table is not None or there.table is not None:
            raise _query_error(
                "GAIA_IQ11",
                f'The related records field "{owner.code}" has a link condition on fields that do not exist.',
            )
        mine, theirs = self._link_key(here, self.record), related._link_key(there, related.record)
        link = _Sql(f"{related.record}.app = ? AND {theirs} = {mine} AND {mine} <> ''", (app,))
        filter_text = str(settings.get("filterCond") or "").strip()
        if filter_text:
            try:
                filter_query: Query = parse(filter_text)
            except QuerySyntaxError as exc:
                raise _invalid_value(
                    f'The filter of the related records field "{owner.code}" is not a valid query ({exc.message}). '
                    "Fix the field's settings."
                ) from None
            if filter_query.where is not None:
                link = _and(link, related.expr(filter_query.where))
        return f"records AS {related.record}", link

    def _link_key(self, target: _Field, alias: str) -> str:
        # The two ends of a related-records link may be a number on one side and a record number or text on the
        # other: compared as text, since stored numbers are canonical decimal strings.
        column = _SYSTEM_COLUMNS.get(target.type)
        if column is not None:
            return f"CAST({alias}.{column} AS TEXT)"
        return f"coalesce(json_extract({alias}.data, {json_path(target.code)}), '')"

    # -- one condition -----------------------------------------------------------------------------------------

    def _access(self, target: _Field, alias: str, *, in_row: bool) -> str:
        """The SQL reading a field's value: from the record's columns or JSON, or from a subtable row."""
        if in_row:
            return _key_of_raw(target.type, f"json_extract({alias}.value, {_row_path(target.code)})")
        return value_sql(target.type, target.code, alias)

    def _condition(self, cond: Condition, target: _Field, alias: str, *, in_row: bool = False) -> _Sql:
        body, needles = self._condition_parts(cond, target, alias, in_row=in_row)
        if needles and not in_row and target.code not in self.indexed_codes:
            return _and(_prefilter(alias, needles), body)
        return body

    def _condition_parts(
        self, cond: Condition, target: _Field, alias: str, *, in_row: bool
    ) -> tuple[_Sql, list[str] | None]:
        """The condition, and the texts one of which must appear in the record's JSON for it to hold (see
        ``_prefilter``), or None when there are none to offer."""
        key = self._access(target, alias, in_row=in_row)
        t = target.type
        stored_in_data = t not in _SYSTEM_COLUMNS
        if cond.op in (Op.LIKE, Op.NOT_LIKE):
            text = self._text_values(cond, target)[0]
            found = self._like(t, key, text)
            if cond.op is Op.NOT_LIKE:
                return _not(found), None
            return found, _needles([text]) if stored_in_data else None
        if cond.op in (Op.IS_EMPTY, Op.IS_NOT_EMPTY):
            empty = self._is_empty(t, key)
            return (empty, None) if cond.op is Op.IS_EMPTY else (_not(empty), None)
        if t in _NUMERIC_TYPES:
            spans = [self._number(cond, target, v) for v in cond.values]
            return self._compare(cond, key, spans, nullable=True), None
        if t in _DATE_TYPES | _DATETIME_TYPES | _TIME_TYPES:
            spans = [self._moment(cond, target, v) for v in cond.values]
            return self._compare(cond, key, spans, nullable=True), None
        positive = cond.op in (Op.EQ, Op.IN) and stored_in_data
        if t in _ARRAY_CHOICE_TYPES:
            values = self._choice_values(cond, target)
            return self._array_in(cond, key, values), _needles(values) if positive else None
        if t in _TEXT_TYPES | _SCALAR_CHOICE_TYPES:
            values = self._choice_values(cond, target) if t in _SCALAR_CHOICE_TYPES else self._text_values(cond, target)
            spans = [None if v == "" else _Span(v, v) for v in values]
            return self._compare(cond, key, spans, nullable=False), _needles(values) if positive else None
        raise _query_error(
            "GAIA_IQ03",
            f'The field "{cond.field.code}" ({t}) cannot be used in query conditions.',
            field=cond.field.code,
            operator=cond.op.value,
        )

    def _compare(self, cond: Condition, key: str, spans: list[_Span | None], *, nullable: bool) -> _Sql:
        """``=``, ``!=``, ranges, ``in`` and ``not in`` over a scalar value. A None span stands for the empty value
        (``""`` in the query). ``nullable`` types (numbers, dates) make ``negative_matches_empty`` apply; text's empty
        value is "" and always compares unequal to a non-empty string."""
        op = cond.op
        empty_hit = _Sql(f"({key} IS NULL OR {key} = '')")
        if op in (Op.EQ, Op.IN):
            points = [span.low for span in spans if span is not None and span.point]
            parts: list[_Sql] = []
            if len(points) == 1:
                parts.append(_Sql(f"{key} = ?", (points[0],)))
            elif points:
                parts.append(_Sql(f"{key} IN ({_placeholders(points)})", tuple(points)))
            parts.extend(_span_contains(key, span) for span in spans if span is not None and not span.point)
            if any(span is None for span in spans):
                parts.append(empty_hit)
            return _or(*parts) if parts else _FALSE
        if op in (Op.NE, Op.NOT_IN):
            positive = self._compare(Condition(cond.field, Op.IN, cond.values, cond.pos), key, spans, nullable=nullable)
            if nullable and not self.ctx.negative_matches_empty and all(span is not None for span in spans):
                return _and(_Sql(f"{key} IS NOT NULL"), _not(positive))
            return _not(positive)
        span = spans[0]
        if span is None:
            raise _invalid_value(
                f'The empty value "" cannot be compared with "{op.value}" on the field "{cond.field.code}"; '
                'use = "" or in ("") to find records where it is empty.'
            )
        if op is Op.GT:
            return _Sql(f"{key} {'>=' if span.high_open else '>'} ?", (span.high,))
        if op is Op.GE:
            return _Sql(f"{key} >= ?", (span.low,))
        if op is Op.LT:
            return _Sql(f"{key} < ?", (span.low,))
        return _Sql(f"{key} {'<' if span.high_open else '<='} ?", (span.high,))

    def _like(self, field_type: str, key: str, text: str) -> _Sql:
        if field_type == "FILE":
            item = self._alias("f")
            return _Sql(
                f"EXISTS (SELECT 1 FROM json_each({key}) AS {item} "
                f"WHERE instr(lower(json_extract({item}.value, '$.name')), lower(?)) > 0)",
                (text,),
            )
        return _Sql(f"instr(lower(coalesce({key}, '')), lower(?)) > 0", (text,))

    def _is_empty(self, field_type: str, key: str) -> _Sql:
        if field_type == "FILE" or field_type in _ARRAY_CHOICE_TYPES:
            return _Sql(f"coalesce(json_array_length({key}), 0) = 0")
        if field_type in _NUMERIC_TYPES | _DATE_TYPES | _DATETIME_TYPES | _TIME_TYPES:
            return _Sql(f"{key} IS NULL")
        return _Sql(f"trim(coalesce({key}, ''), {_BLANK_CHARS}) = ''")

    def _array_in(self, cond: Condition, key: str, values: list[str]) -> _Sql:
        item = self._alias("j")
        chosen = [v for v in values if v != ""]
        parts: list[_Sql] = []
        if chosen:
            parts.append(
                _Sql(
                    f"EXISTS (SELECT 1 FROM json_each({key}) AS {item} "
                    f"WHERE {item}.value IN ({_placeholders(chosen)}))",
                    tuple(chosen),
                )
            )
        if len(chosen) < len(values):
            parts.append(_Sql(f"coalesce(json_array_length({key}), 0) = 0"))
        found = _or(*parts) if parts else _FALSE
        return found if cond.op is Op.IN else _not(found)

    # -- values ------------------------------------------------------------------------------------------------

    def _function(self, cond: Condition, target: _Field, value: FuncCall) -> None:
        """Rejects a function Kintone does not know or does not accept for this field type."""
        if value.name not in ALL_FUNCTIONS:
            raise _query_error(
                "GAIA_IL08", f"The query is invalid: there is no function {value.name}().", function=value.name
            )
        if value.name not in allowed_functions(target.type):
            usable = ", ".join(f"{name}()" for name in sorted(allowed_functions(target.type))) or "none"
            raise _query_error(
                "GAIA_IL08",
                f'The query is invalid: the function {value.name}() cannot be used with the field "{cond.field.code}" '
                f"({target.type}). Functions available for it: {usable}.",
                function=value.name,
            )

    def _text_values(self, cond: Condition, target: _Field) -> list[str]:
        values: list[str] = []
        for value in cond.values:
            if isinstance(value, FuncCall):
                self._function(cond, target, value)
                raise AssertionError("no function applies to text fields")  # pragma: no cover
            values.append(value.value if isinstance(value, StringLit) else value.text)
        return values

    def _choice_values(self, cond: Condition, target: _Field) -> list[str]:
        """Option labels or user / organization / group codes, with LOGINUSER() and PRIMARY_ORGANIZATION() resolved.
        A caller without a primary organization makes PRIMARY_ORGANIZATION() match nothing."""
        values: list[str] = []
        for value in cond.values:
            if isinstance(value, FuncCall):
                self._function(cond, target, value)
                if value.args:
                    raise _query_error(
                        "GAIA_IL08", f"The query is invalid: {value.name}() takes no arguments.", function=value.name
                    )
                if value.name == "LOGINUSER":
                    values.append(self.ctx.login)
                elif self.ctx.primary_organization is not None:
                    values.append(self.ctx.primary_organization)
                continue
            values.append(value.value if isinstance(value, StringLit) else value.text)
        if target.type in _OPTION_TYPES:
            options = target.props.get("options") or {}
            for label in values:
                if label != "" and label not in options:
                    raise _query_error(
                        "GAIA_IQ10",
                        f'The value "{label}" is not an option of the field "{cond.field.code}". '
                        'Specify one of its options, or "" to find records with nothing selected.',
                        value=label,
                        field=cond.field.code,
                    )
        return values

    def _number(self, cond: Condition, target: _Field, value: Value) -> _Span | None:
        if isinstance(value, FuncCall):
            self._function(cond, target, value)
            raise AssertionError("no function applies to number fields")  # pragma: no cover
        text = value.value if isinstance(value, StringLit) else value.text
        if text == "":
            return None
        if target.type == "RECORD_NUMBER":
            # A record number may carry the app code prefix ("DEALS-12") in the app's display.
            matched = _RECORD_NUMBER_RE.match(text.strip())
            if matched:
                text = matched.group(1)
        try:
            number = Decimal(text.strip())
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            raise _invalid_value(
                f'The value "{text}" given for the field "{cond.field.code}" ({target.type}) is not a number.'
            )
        sql_number = _sql_number(number)
        return _Span(sql_number, sql_number)

    def _moment(self, cond: Condition, target: _Field, value: Value) -> _Span | None:
        """A date / time / date-time operand as the span of stored strings it covers."""
        t = target.type
        if isinstance(value, FuncCall):
            self._function(cond, target, value)
            if value.name == "NOW":
                if value.args:
                    raise _query_error("GAIA_IL08", "The query is invalid: NOW() takes no arguments.", function="NOW")
                # Stored times have minute precision, so "now" is the current minute.
                now = _utc_text(self.ctx.now.replace(second=0, microsecond=0))
                return _Span(now, now)
            try:
                days = evaluate_day_function(
                    value.name, value.args, self.today, month_day_overflow=self.ctx.month_day_overflow
                )
            except FunctionArgumentError as exc:
                raise _query_error(exc.code, exc.message, function=value.name) from None
            return self._day_span(t, days)
        text = (value.value if isinstance(value, StringLit) else value.text).strip()
        if text == "":
            return None
        if t in _TIME_TYPES:
            matched = _TIME_RE.match(text)
            if matched and int(matched.group(1)) < 24 and int(matched.group(2)) < 60:
                hhmm = f"{int(matched.group(1)):02d}:{matched.group(2)}"
                return _Span(hhmm, hhmm)
            raise _invalid_value(f'The value "{text}" given for the field "{cond.field.code}" is not a time (HH:MM).')
        day = _parse_date(text)
        if day is not None:
            return self._day_span(t, DaySpan(day, day))
        if t in _DATETIME_TYPES:
            moment = _parse_datetime(text, self.ctx.tz)
            if moment is not None:
                instant = _utc_text(moment)
                return _Span(instant, instant)
            raise _invalid_value(
                f'The value "{text}" given for the field "{cond.field.code}" is not a date-time. '
                'Use ISO 8601 such as "2024-04-01T09:00:00+09:00" or "2024-04-01T00:00:00Z", or a date "2024-04-01".'
            )
        raise _invalid_value(
            f'The value "{text}" given for the field "{cond.field.code}" is not a date. Use "YYYY-MM-DD".'
        )

    def _day_span(self, field_type: str, days: DaySpan) -> _Span:
        if field_type in _DATE_TYPES:
            return _Span(days.first.isoformat(), days.last.isoformat())
        if field_type in _TIME_TYPES:
            raise AssertionError("day functions do not apply to TIME")  # pragma: no cover
        start, end = days.utc_bounds(self.ctx.tz)
        return _Span(_utc_text(start), _utc_text(end), high_open=True)

    # -- order by ----------------------------------------------------------------------------------------------

    def order_by(self, query: Query) -> str:
        keys: list[str] = []
        total = False
        for key in query.order_by:
            ref = key.field
            target = self.index.get(ref.code)
            if target is None:
                if "." in ref.code:
                    owner = self.index.get(ref.code.partition(".")[0])
                    if owner is None or owner.type != "REFERENCE_TABLE":
                        raise _query_error(
                            "GAIA_IR02",
                            f'The field "{ref.code}" is invalid: the dot notation can only be used with related '
                            "records fields.",
                            field=ref.code,
                        )
                    raise _query_error(
                        "GAIA_IQ03",
                        f'Records cannot be sorted by the related records field "{ref.code}".',
                        field=ref.code,
                        operator="order by",
                    )
                raise _query_error("GAIA_IQ11", f"The specified field ({ref.code}) is not found.", field=ref.code)
            if target.table is not None or target.type not in _SORTABLE_TYPES:
                where = " inside the table " + repr(target.table) if target.table else ""
                raise _query_error(
                    "GAIA_IQ03",
                    f'Records cannot be sorted by the field "{ref.code}" ({target.type}){where}. Sort by a number, '
                    "text, date, time, drop-down, radio button, record number, creator, modifier or status field.",
                    field=ref.code,
                    operator="order by",
                )
            expr = value_sql(target.type, target.code, self.record)
            if target.type in ("DROP_DOWN", "RADIO_BUTTON") and self.ctx.option_sort == "index":
                expr = _option_rank(target, expr)
            keys.append(f"{expr} {'DESC' if key.descending else 'ASC'}")
            total = total or target.type in ("__ID__", "RECORD_NUMBER")
        if not total:
            # Ties in SQLite come back in no guaranteed order; paging with offset needs a total order.
            keys.append(f"{self.record}.id DESC")
        return ", ".join(keys)


def _row_path(code: str) -> str:
    if _PATH_KEY_FORBIDDEN.search(code):
        raise ValueError(f"field code {code!r} cannot be used in a JSON path")
    return _sql_string(f'$.value."{code}"')


def _option_rank(target: _Field, expr: str) -> str:
    options = target.props.get("options") or {}
    ranked = sorted(options.items(), key=lambda item: int(str((item[1] or {}).get("index", 0))))
    if not ranked:
        return expr
    whens = " ".join(f"WHEN {_sql_string(label)} THEN {rank}" for rank, (label, _) in enumerate(ranked))
    # An empty or unknown value ranks before every option, like empty values of every other type.
    return f"(CASE {expr} {whens} ELSE -1 END)"


# Characters every JSON writer the sandbox may meet (Python's json in either ensure_ascii mode, SQLite's json
# functions) leaves as they are inside a string: a text made only of these appears verbatim in the stored document.
_VERBATIM_IN_JSON = frozenset(string.ascii_letters + string.digits + " -_.,:;!?@#$%*()+=~'[]{}|^")
_MAX_NEEDLES = 8
#: Longer needles are not worth a prefilter, and SQLite refuses LIKE patterns over 50,000 bytes outright.
_MAX_NEEDLE_CHARS = 1000


def _needles(values: Sequence[str]) -> list[str] | None:
    """The values as prefilter needles, or None when any of them could be written differently in JSON (or is empty,
    which every record "contains")."""
    if not values or len(values) > _MAX_NEEDLES or any(len(value) > _MAX_NEEDLE_CHARS for value in values):
        return None
    if any(not value or not _VERBATIM_IN_JSON.issuperset(value) for value in values):
        return None
    return list(values)


def _prefilter(alias: str, needles: list[str]) -> _Sql:
    """A cheap necessary condition: the record's raw JSON text contains one of ``needles``.

    Reading a value with json_extract parses the whole document, which dominates a full scan; LIKE over the raw text
    is about 2.5 times faster on the demo Deals shape, so it runs first and json_extract only on the survivors. LIKE
    ignores ASCII case, which keeps it a superset for both exact and case-insensitive matches (this relies on
    ``PRAGMA case_sensitive_like`` being off, SQLite's default).
    """
    patterns = ["%" + needle.replace("%", "\\%").replace("_", "\\_") + "%" for needle in needles]
    return _or(*(_Sql(f"{alias}.data LIKE ? ESCAPE '\\'", (pattern,)) for pattern in patterns))


def _span_contains(key: str, span: _Span) -> _Sql:
    if span.point:
        return _Sql(f"{key} = ?", (span.low,))
    return _Sql(f"({key} >= ? AND {key} {'<' if span.high_open else '<='} ?)", (span.low, span.high))


def _matches_empty_value(cond: Condition) -> bool:
    if cond.op is Op.IS_EMPTY:
        return True
    return cond.op is Op.IN and any(isinstance(v, StringLit) and v.value == "" for v in cond.values)


def _flatten_and(expr: And) -> Iterable[Expr]:
    for item in expr.items:
        if isinstance(item, And):
            yield from _flatten_and(item)
        else:
            yield item


def _parse_date(text: str) -> date | None:
    matched = _DATE_RE.match(text)
    if not matched:
        return None
    try:
        return date(int(matched.group(1)), int(matched.group(2)), int(matched.group(3)))
    except ValueError:
        return None


def _parse_datetime(text: str, tz: ZoneInfo) -> datetime | None:
    matched = _DATETIME_RE.match(text)
    if not matched:
        return None
    year, month, day, hour, minute = (int(matched.group(i)) for i in range(1, 6))
    second = int(matched.group(6) or 0)
    offset = matched.group(7)
    try:
        if offset is None:
            # No offset: the caller's local time, as Kintone's UI would read it.
            return datetime(year, month, day, hour, minute, second, tzinfo=tz)
        if offset.upper() == "Z":
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        sign = 1 if offset[0] == "+" else -1
        digits = offset[1:].replace(":", "")
        delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC) - sign * delta
    except ValueError:
        return None


def compile_query(
    query: Query, fields: Mapping[str, Mapping[str, Any]], ctx: QueryContext, *, lenient: bool | None = None
) -> CompiledQuery:
    """Compiles ``query`` against an app's field properties (``app/form/fields.json`` ``properties``).

    ``lenient`` also accepts the operators whose support by Kintone is unconfirmed (``is empty`` on single-line
    text, link, date, time and date-time); None takes ``ctx.lenient_operators``, the sandbox's setting. Raises
    ErrorReply with Kintone's codes for every semantic error.
    """
    if lenient is None:
        lenient = ctx.lenient_operators
    if query.limit is not None and query.limit > MAX_LIMIT:
        raise _query_error(
            "GAIA_QU01", f"Specify {MAX_LIMIT} or less for limit (got {query.limit}).", limit=query.limit
        )
    if query.offset is not None and query.offset > MAX_OFFSET:
        raise _query_error(
            "GAIA_QU02",
            f"Specify {MAX_OFFSET:,} or less for offset (got {query.offset:,}). "
            "Use the cursor API or $id-based paging to read further.",
            offset=query.offset,
        )
    for name, number in (("limit", query.limit), ("offset", query.offset)):
        if number is not None and number < 0:
            raise _invalid_value(f"{name} must be 0 or more (got {number}).")
    compiler = _Compiler(fields, ctx, lenient=lenient, indexed_codes=ctx.indexed_codes)
    where = compiler.expr(query.where) if query.where is not None else _TRUE
    return CompiledQuery(
        where=where.text,
        params=list(where.params),
        order_by=compiler.order_by(query),
        limit=query.limit,
        offset=query.offset,
    )
