"""Checks a query against an app's fields before it is sent, predicting the error Kintone would answer with.

The point is a better next attempt: each problem says what is wrong in terms a model can act on (the closest
field codes, the operators or options that are allowed) and carries the Kintone error code it stands for.

The checker is deliberately tolerant: where Kintone's behaviour is unconfirmed it accepts the query (operators via
``allowed_operators(..., lenient=True)``; sorting is only refused for field types that certainly cannot be
sorted), because refusing a query Kintone would run is worse than letting Kintone answer.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kintone_mcp.query.ast import And, Condition, Expr, FieldRef, FuncCall, NumberLit, Op, Or, Query, StringLit
from kintone_mcp.query.errors import QuerySyntaxError
from kintone_mcp.query.operators import allowed_functions, allowed_operators
from kintone_mcp.query.parser import parse

FieldProps = Mapping[str, Mapping[str, Any]]

UNKNOWN_FIELD = "GAIA_IQ11"
OPERATOR_NOT_ALLOWED = "GAIA_IQ03"
EQUALS_IN_TABLE = "GAIA_IQ07"
NO_SUCH_OPTION = "GAIA_IQ10"
DOT_OUTSIDE_RELATED = "GAIA_IR02"
#: Function on a field type that does not take it. The exact code is unconfirmed (docs/kintone-api.md §6.3 lists the
#: GAIA_IQ23 / GAIA_IQ25 / GAIA_IL08 family); GAIA_IL08 matches what the sandbox answers.
FUNCTION_NOT_ALLOWED = "GAIA_IL08"
#: Sorting by a field that cannot be sorted; the code is unconfirmed and matches the sandbox.
CANNOT_SORT = "GAIA_IQ03"
LIMIT_TOO_LARGE = "GAIA_QU01"
OFFSET_TOO_LARGE = "GAIA_QU02"
SYNTAX_ERROR = "CB_VA01"

MAX_LIMIT = 500
MAX_OFFSET = 10_000

_OPTION_TYPES = frozenset({"CHECK_BOX", "RADIO_BUTTON", "DROP_DOWN", "MULTI_SELECT"})
#: Field types Kintone certainly cannot sort by. Anything else is let through.
_UNSORTABLE_TYPES = frozenset(
    {
        "CHECK_BOX",
        "MULTI_SELECT",
        "USER_SELECT",
        "ORGANIZATION_SELECT",
        "GROUP_SELECT",
        "STATUS_ASSIGNEE",
        "FILE",
        "CATEGORY",
        "SUBTABLE",
        "REFERENCE_TABLE",
        "GROUP",
        "LABEL",
        "SPACER",
        "HR",
    }
)
_SYSTEM_FIELDS: Mapping[str, str] = {"$id": "__ID__", "$revision": "__REVISION__"}
_MAX_LISTED = 30


@dataclass(frozen=True, slots=True)
class QueryProblem:
    """One thing Kintone would refuse in a query.

    ``pos`` is the 0-based offset in the query text (None for ``limit``/``offset``, whose place the tree does not
    record), ``field`` the field code concerned (if any), ``message``
    says what is wrong and how to fix it, ``code`` is the Kintone error code this predicts, and
    ``suggestions`` holds replacement field codes, operators or options, best first.
    """

    pos: int | None
    field: str | None
    message: str
    code: str
    suggestions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Target:
    type: str | None  # None: a field of a related app, whose type this app's definition does not give
    table: str | None = None  # the SUBTABLE holding the field
    related: str | None = None  # the REFERENCE_TABLE field a dot reference goes through


def check_query(query: Query | str, fields: FieldProps, *, strict_keywords: bool = False) -> list[QueryProblem]:
    """Problems Kintone would report for ``query`` against an app whose ``app/form/fields.json`` ``properties``
    are ``fields``; an empty list when none are found. A string that does not parse gives one problem (the
    syntax error) instead of raising."""
    if isinstance(query, str):
        try:
            query = parse(query, strict_keywords=strict_keywords)
        except QuerySyntaxError as exc:
            return [QueryProblem(exc.pos, None, f"The query is invalid: {exc}", SYNTAX_ERROR, exc.expected)]
    return _Checker(fields).check(query)


def _conditions(expr: Expr) -> Iterator[Condition]:
    if isinstance(expr, Condition):
        yield expr
        return
    assert isinstance(expr, And | Or)
    for item in expr.items:
        yield from _conditions(item)


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:_MAX_LISTED])
    return shown + (f" … ({len(names) - _MAX_LISTED} more)" if len(names) > _MAX_LISTED else "")


def _ops_text(ops: frozenset[Op]) -> str:
    return ", ".join(op.value for op in Op if op in ops)


class _Checker:
    def __init__(self, fields: FieldProps) -> None:
        self.fields = fields
        self.inner: dict[str, tuple[str, Mapping[str, Any]]] = {}
        for code, prop in fields.items():
            if prop.get("type") == "SUBTABLE":
                for inner_code, inner_prop in (prop.get("fields") or {}).items():
                    self.inner.setdefault(inner_code, (code, inner_prop))

    # -- field lookup --------------------------------------------------------------------------------------------

    def resolve(self, ref: FieldRef) -> _Target | QueryProblem:
        code = ref.code
        prop = self.fields.get(code)
        if prop is not None:
            return _Target(str(prop.get("type")))
        if code in _SYSTEM_FIELDS:
            return _Target(_SYSTEM_FIELDS[code])
        if code in self.inner:
            table, inner_prop = self.inner[code]
            return _Target(str(inner_prop.get("type")), table=table)
        if "." in code:
            return self.resolve_dotted(ref)
        return self.unknown(ref)

    def resolve_dotted(self, ref: FieldRef) -> _Target | QueryProblem:
        head, _, tail = ref.code.partition(".")
        owner = self.fields.get(head)
        if owner is None or owner.get("type") != "REFERENCE_TABLE":
            related = sorted(c for c, p in self.fields.items() if p.get("type") == "REFERENCE_TABLE")
            if owner is not None and owner.get("type") == "SUBTABLE":
                hint = (
                    f"'{_clip(head)}' is a table: refer to a field inside it by its own code alone, "
                    f"e.g. '{_clip(tail)}'."
                )
                suggestions: tuple[str, ...] = (tail,) if tail in (owner.get("fields") or {}) else ()
            elif related:
                hint = f"Related-records fields in this app: {_listing(related)}."
                suggestions = ()
            else:
                hint = "This app has no related-records field."
                suggestions = ()
            return QueryProblem(
                ref.pos,
                ref.code,
                f"'{_clip(ref.code)}': the dot notation (Field.Inner) is only for fields shown in a related-records "
                f"field, and '{_clip(head)}' is not a related-records field. {hint}",
                DOT_OUTSIDE_RELATED,
                suggestions,
            )
        shown = list((owner.get("referenceTable") or {}).get("displayFields") or [])
        if shown and tail not in shown:
            close = tuple(f"{head}.{c}" for c in difflib.get_close_matches(tail, shown, n=3))
            return QueryProblem(
                ref.pos,
                ref.code,
                f"'{_clip(tail)}' is not one of the fields shown in the related-records field '{_clip(head)}', "
                f"so it cannot be queried. Fields you can use: {_listing([f'{_clip(head)}.{c}' for c in shown])}.",
                UNKNOWN_FIELD,
                close,
            )
        return _Target(None, related=head)

    def unknown(self, ref: FieldRef) -> QueryProblem:
        code = ref.code
        candidates = sorted({*self.fields, *self.inner, *_SYSTEM_FIELDS})
        by_lower = [c for c in candidates if c.lower() == code.lower()]
        # Models often write a field's label, or the label with spaces turned into underscores, for its code.
        labels: dict[str, str] = {}
        for c, p in [*self.fields.items(), *((k, v[1]) for k, v in self.inner.items())]:
            label = _normal_label(str(p.get("label") or ""))
            if label:
                labels.setdefault(label, c)
        by_label = [labels[k] for k in (_normal_label(code),) if k in labels and labels[k] != code]
        close = difflib.get_close_matches(code, candidates, n=3, cutoff=0.6)
        close_labels = [
            labels[k] for k in difflib.get_close_matches(_normal_label(code), list(labels), n=3, cutoff=0.75)
        ]
        suggestions = tuple(dict.fromkeys([*by_label, *by_lower, *close, *close_labels]))
        message = f"There is no field with the code '{_clip(code)}' in this app."
        if by_label:
            message += (
                f" '{_clip(code)}' looks like the label of the field whose code is '{by_label[0]}'; "
                "queries use field codes."
            )
        elif suggestions:
            message += f" Did you mean {' or '.join(repr(s) for s in suggestions)}? Field codes are case-sensitive."
        else:
            message += f" Field codes in this app: {_listing(candidates)}."
        return QueryProblem(ref.pos, code, message, UNKNOWN_FIELD, suggestions)

    # -- checks --------------------------------------------------------------------------------------------------

    def check(self, query: Query) -> list[QueryProblem]:
        problems: list[QueryProblem] = []
        if query.where is not None:
            for cond in _conditions(query.where):
                problems.extend(self.condition(cond))
        for key in query.order_by:
            problem = self.order_key(key.field)
            if problem is not None:
                problems.append(problem)
        if query.limit is not None and query.limit > MAX_LIMIT:
            problems.append(
                QueryProblem(
                    None,
                    None,
                    f"limit {query.limit} is too large: at most {MAX_LIMIT} records come back per request; use "
                    f"limit {MAX_LIMIT} with offset to page, or a cursor for more.",
                    LIMIT_TOO_LARGE,
                )
            )
        if query.offset is not None and query.offset > MAX_OFFSET:
            problems.append(
                QueryProblem(
                    None,
                    None,
                    f"offset {query.offset} is too large: at most {MAX_OFFSET:,}. To read further, filter on $id "
                    "(e.g. $id > LAST_ID order by $id asc) or use a cursor.",
                    OFFSET_TOO_LARGE,
                )
            )
        return problems

    def condition(self, cond: Condition) -> list[QueryProblem]:
        target = self.resolve(cond.field)
        if isinstance(target, QueryProblem):
            return [target]
        problem = self.operator(cond, target)
        if problem is not None:
            return [problem]
        if target.type is None:
            return []
        return self.values(cond, target.type)

    def operator(self, cond: Condition, target: _Target) -> QueryProblem | None:
        code = cond.field.code
        if target.type is None:  # a related app's field: only the subtable rule is known
            if cond.op in (Op.EQ, Op.NE):
                return self.use_in(cond, f"'{_clip(code)}' is a field of related records")
            return None
        nested = target.table is not None
        allowed = allowed_operators(target.type, in_subtable=nested, lenient=True)
        if cond.op in allowed:
            return None
        if nested and cond.op in (Op.EQ, Op.NE) and cond.op in allowed_operators(target.type, lenient=True):
            return self.use_in(cond, f"'{_clip(code)}' is a field inside the table '{target.table}'")
        if not allowed:
            return QueryProblem(cond.pos, code, self.not_searchable(code, target.type), OPERATOR_NOT_ALLOWED)
        ops = _ops_text(allowed)
        message = f"The operator '{cond.op.value}' cannot be used with '{_clip(code)}' ({target.type}). Allowed: {ops}."
        replacement = {Op.EQ: Op.IN, Op.NE: Op.NOT_IN}.get(cond.op)
        if replacement in allowed and replacement is not None:
            message += f" Write: {_clip(code)} {replacement.value} (...)."
        return QueryProblem(
            cond.pos, code, message, OPERATOR_NOT_ALLOWED, tuple(op.value for op in Op if op in allowed)
        )

    def use_in(self, cond: Condition, what: str) -> QueryProblem:
        replacement = Op.IN if cond.op is Op.EQ else Op.NOT_IN
        return QueryProblem(
            cond.pos,
            cond.field.code,
            f"{what}, where '{cond.op.value}' is not allowed: use '{replacement.value}' instead, e.g. "
            f"{_clip(cond.field.code)} {replacement.value} (...).",
            EQUALS_IN_TABLE,
            (replacement.value,),
        )

    def not_searchable(self, code: str, field_type: str) -> str:
        prop = self.fields.get(code) or {}
        if field_type == "SUBTABLE":
            inner = list(prop.get("fields") or {})
            return (
                f"'{_clip(code)}' is a table and cannot be queried itself; query its fields instead: {_listing(inner)}."
            )
        if field_type == "REFERENCE_TABLE":
            shown = list((prop.get("referenceTable") or {}).get("displayFields") or [])
            usable = f": {_listing([f'{_clip(code)}.{c}' for c in shown])}" if shown else ""
            return (
                f"'{_clip(code)}' is a related-records field and cannot be queried itself; query the fields it "
                f"shows as {_clip(code)}.FieldCode{usable}."
            )
        return f"'{_clip(code)}' ({field_type}) cannot be used in query conditions."

    def values(self, cond: Condition, field_type: str) -> list[QueryProblem]:
        code = cond.field.code
        problems: list[QueryProblem] = []
        functions = allowed_functions(field_type)
        for value in cond.values:
            if isinstance(value, FuncCall) and value.name not in functions:
                usable = ", ".join(f"{f}()" for f in sorted(functions)) or "none"
                problems.append(
                    QueryProblem(
                        value.pos,
                        code,
                        f"The function {value.name}() cannot be used with '{_clip(code)}' ({field_type}). Functions "
                        f"for this field: {usable}.",
                        FUNCTION_NOT_ALLOWED,
                        tuple(sorted(functions)),
                    )
                )
        if field_type in _OPTION_TYPES:
            problems.extend(self.options(cond, field_type))
        return problems

    def options(self, cond: Condition, field_type: str) -> list[QueryProblem]:
        code = cond.field.code
        prop = self.fields.get(code) or (self.inner.get(code) or ("", {}))[1]
        raw = prop.get("options")
        if not isinstance(raw, Mapping) or not raw:
            return []  # options unknown: nothing to check against
        options = sorted(raw, key=lambda label: _option_index(raw[label]))
        problems = []
        for value in cond.values:
            if isinstance(value, FuncCall):
                continue
            label = value.value if isinstance(value, StringLit) else value.text
            assert isinstance(value, StringLit | NumberLit)
            if label == "" or label in raw:
                continue
            close = difflib.get_close_matches(label, options, n=3, cutoff=0.5)
            by_case = [o for o in options if o.lower() == label.lower()]
            suggestions = tuple(dict.fromkeys([*by_case, *close]))
            quoted = [f'"{o}"' for o in options]
            problems.append(
                QueryProblem(
                    value.pos,
                    code,
                    f"\"{_clip(label)}\" is not an option of '{_clip(code)}' ({field_type}). Options: "
                    f"{_listing(quoted)}. "
                    '(in ("") finds records where nothing is selected.)',
                    NO_SUCH_OPTION,
                    suggestions,
                )
            )
        return problems

    def order_key(self, ref: FieldRef) -> QueryProblem | None:
        target = self.resolve(ref)
        if isinstance(target, QueryProblem):
            return target
        code = ref.code
        if target.related is not None:
            reason = "it is a field of related records"
        elif target.table is not None:
            reason = f"it is a field inside the table '{target.table}'"
        elif target.type in _UNSORTABLE_TYPES:
            reason = f"fields of type {target.type} cannot be sorted"
        else:
            return None
        return QueryProblem(
            ref.pos,
            code,
            f"Records cannot be sorted by '{_clip(code)}': {reason}. Sort by a top-level number, text, date, time, "
            "drop-down, radio button, record number or creator/modifier field.",
            CANNOT_SORT,
        )


def _clip(text: str) -> str:
    """At most 40 characters of caller input go back into a message."""
    return text if len(text) <= 40 else text[:39] + "…"


def _normal_label(label: str) -> str:
    return "_".join(label.split()).lower()


def _option_index(option: Any) -> int:
    try:
        return int(option.get("index", 0)) if isinstance(option, Mapping) else 0
    except (TypeError, ValueError):
        return 0
