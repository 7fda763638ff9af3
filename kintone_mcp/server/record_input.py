"""Plain values from a model -> Kintone's write format, checked against the app's schema before sending.

Kintone silently ignores unknown field codes and answers a bad value with a terse ``CB_VA01``. A model corrects
itself much better when told, for every wrong field at once, what was wrong and what would be accepted, so the
checks that can be done locally are done here, against the app's own field properties.

What the model may send for each type is what ``compact`` gives on output, so a record read with ``get_record``
can be edited and written back: read-only fields in it (``$id``, record number, creator, calculated fields …)
are dropped and reported rather than refused.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any, Literal

from kintone_mcp.server.fieldinfo import option_labels, walk_fields

Mode = Literal["add", "update"]

#: Types Kintone computes itself; in a record sent by the model they are dropped, not sent.
READ_ONLY_TYPES = frozenset(
    {"__ID__", "__REVISION__", "RECORD_NUMBER", "CALC", "STATUS", "STATUS_ASSIGNEE", "CATEGORY"}
)
#: System fields an app administrator may set when adding (used for migrations); read-only on update.
_ADMIN_ON_ADD = frozenset({"CREATOR", "MODIFIER", "CREATED_TIME", "UPDATED_TIME"})
#: Layout-only types that never hold a value.
_NO_VALUE_TYPES = frozenset({"GROUP", "REFERENCE_TABLE", "LABEL", "SPACER", "HR"})
_TEXT_TYPES = frozenset({"SINGLE_LINE_TEXT", "MULTI_LINE_TEXT", "RICH_TEXT", "LINK"})
_ENTITY_TYPES = {"USER_SELECT": "user", "ORGANIZATION_SELECT": "organization", "GROUP_SELECT": "group"}
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$")
_ROW_ID_KEYS = ("$id",)
#: A file name or path where a file key is expected: a path separator, or an extension after a dot.
_FILE_NAME_RE = re.compile(r"[/\\]|\.[A-Za-z0-9]{1,8}$")
#: a number already in Kintone's stored form: no sign but "-", no leading or trailing zeros, no exponent
_CANONICAL_NUMBER = re.compile(r"-?(?:0|[1-9]\d{0,29})(?:\.\d{0,29}[1-9])?\Z")
#: a date-time already in Kintone's form (UTC, whole seconds)
_UTC_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\Z")
#: A number written as a string: digits with an optional sign, decimal point and exponent (what Kintone parses);
#: no spaces, currency signs, units or separators.
_DECIMAL_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class FieldProblem:
    """One wrong field: where, what is wrong, what would be accepted."""

    field: str
    problem: str
    accepted: str

    def line(self) -> str:
        return f"- {self.field}: {self.problem.rstrip(';')}. Accepted: {self.accepted}"


class RecordInputError(ValueError):
    """A record the model sent does not fit the app's schema. ``str()`` is written for the model."""

    def __init__(self, problems: Sequence[FieldProblem], *, many: bool = False) -> None:
        self.problems = list(problems)
        lines = "\n".join(p.line() for p in self.problems)
        # records[i] counts from 0, as the `records` argument does (the same numbering as Kintone's own errors).
        what = "No record was sent (records[i] counts from 0)" if many else "The record was not sent"
        super().__init__(
            f"{what}: {len(self.problems)} field value(s) do not fit the app's schema "
            f"(get_app lists every field's type and options). Fix them and call again.\n{lines}"
        )


@dataclass
class ConvertedRecord:
    record: dict[str, dict[str, Any]]
    ignored: list[str] = field(default_factory=list)
    #: ignored field -> the lookup field that fills it (what to set instead)
    lookup_copies: dict[str, str] = field(default_factory=dict)

    def lookup_note(self) -> str | None:
        """Why lookup copies were not written and what to set instead; None when none were given."""
        return lookup_note(self.lookup_copies)


def lookup_note(copies: Mapping[str, str]) -> str | None:
    if not copies:
        return None
    by_key: dict[str, list[str]] = {}
    for copy, key in copies.items():
        by_key.setdefault(key, []).append(copy)
    parts = [
        f"{', '.join(sorted(c))} {'is' if len(c) == 1 else 'are'} copied by the lookup {k}" for k, c in by_key.items()
    ]
    keys = ", ".join(sorted(by_key))
    return (
        f"Not written: {'; '.join(parts)}, so Kintone fills {'it' if len(copies) == 1 else 'them'} from the source "
        f"record. To change {'it' if len(copies) == 1 else 'them'}, set {keys} to the source record's key."
    )


def lookup_copy_fields(properties: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Field code -> the lookup field that copies into it (``fieldMappings``), table columns as ``table.column``.

    Kintone fills these from the source record whenever the lookup is set; a value written to one is dropped
    without an error, which would let a write report success for a change that never happened.
    """
    copies: dict[str, str] = {}
    for code, prop, table in walk_fields(properties):
        lookup = prop.get("lookup")
        if not isinstance(lookup, Mapping):
            continue
        for mapping in lookup.get("fieldMappings") or []:
            target = mapping.get("field") if isinstance(mapping, Mapping) else None
            if isinstance(target, str) and target:
                copies[f"{table}.{target}" if table else target] = f"{table}.{code}" if table else code
    return copies


def to_kintone_record(
    plain: Mapping[str, Any],
    properties: Mapping[str, Mapping[str, Any]],
    *,
    mode: Mode,
    copies: Mapping[str, str] | None = None,
) -> ConvertedRecord:
    """Convert and check one record. Raises ``RecordInputError`` listing every problem found. ``copies``:
    ``lookup_copy_fields(properties)``, computed once by a caller converting many records."""
    checker = _Checker(properties, mode, copies)
    out: dict[str, dict[str, Any]] = {}
    for code, value in plain.items():
        converted = checker.top_level(code, value)
        if converted is not _DROP:
            out[code] = {"value": converted}
    if mode == "add":
        checker.check_required_present(plain)
    if checker.problems:
        raise RecordInputError(checker.problems)
    # A table column is reported once, not once per row.
    ignored = list(dict.fromkeys(checker.ignored))
    return ConvertedRecord(
        record=out, ignored=ignored, lookup_copies={c: checker.copies[c] for c in ignored if c in checker.copies}
    )


def nothing_writable(converted: ConvertedRecord) -> str | None:
    """Why a record whose every field was dropped must not be sent (a write of nothing would still answer with a new
    revision, as if the change had been made); None when something is left to write."""
    if converted.record or not converted.ignored:
        return None
    note = converted.lookup_note()
    fields = ", ".join(converted.ignored)
    return (
        f"Nothing to write: every field given ({fields}) is one Kintone sets itself, so the call would change "
        "nothing. " + (note if note else "Give at least one writable field (get_app lists them).")
    )


def field_suggestions(code: str, properties: Mapping[str, Mapping[str, Any]]) -> str:
    """'did you mean' text for an unknown field code, matching codes and labels."""
    by_label = {str(p.get("label", "")).lower(): c for c, p in properties.items() if p.get("label")}
    exact_ci = [c for c in properties if c.lower() == code.lower()]
    if exact_ci:
        return f"did you mean {exact_ci[0]!r}? (field codes are case-sensitive)"
    if code.lower() in by_label:
        return f"{code!r} is the label of field {by_label[code.lower()]!r}; use the field code"
    close = difflib.get_close_matches(code, list(properties), n=3, cutoff=0.6)
    close += [by_label[x] for x in difflib.get_close_matches(code.lower(), list(by_label), n=2, cutoff=0.6)]
    close = list(dict.fromkeys(close))
    if close:
        return "did you mean " + " or ".join(repr(c) for c in close) + "?"
    writable = [c for c, p in properties.items() if _writable_type(str(p.get("type", "")))]
    shown = ", ".join(writable[:30]) + (" …" if len(writable) > 30 else "")
    return f"field codes of this app: {shown}"


def _writable_type(ftype: str) -> bool:
    return ftype not in READ_ONLY_TYPES and ftype not in _NO_VALUE_TYPES and ftype not in _ADMIN_ON_ADD


class _Drop:
    pass


_DROP: Any = _Drop()


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


class _Checker:
    def __init__(
        self, properties: Mapping[str, Mapping[str, Any]], mode: Mode, copies: Mapping[str, str] | None = None
    ) -> None:
        self.properties = properties
        self.mode = mode
        self.problems: list[FieldProblem] = []
        self.ignored: list[str] = []
        self.copies = lookup_copy_fields(properties) if copies is None else copies

    def fail(self, where: str, problem: str, accepted: str) -> Any:
        self.problems.append(FieldProblem(where, problem, accepted))
        return _DROP

    def top_level(self, code: str, value: Any) -> Any:
        prop = self.properties.get(code)
        if prop is None:
            if code in ("$id", "$revision"):
                self.ignored.append(code)
                return _DROP
            return self.fail(code, "no such field in this app;", field_suggestions(code, self.properties))
        ftype = str(prop.get("type", ""))
        if ftype in READ_ONLY_TYPES or (ftype in _ADMIN_ON_ADD and self.mode == "update") or code in self.copies:
            self.ignored.append(code)
            return _DROP
        if ftype in _NO_VALUE_TYPES:
            return self.fail(code, f"a {ftype} holds no value;", "leave it out of the record")
        if ftype == "SUBTABLE":
            return self.subtable(code, value, prop)
        return self.value(code, value, prop)

    def check_required_present(self, plain: Mapping[str, Any]) -> None:
        for code, prop in self.properties.items():
            if not prop.get("required") or code in plain:
                continue
            if not _writable_type(str(prop.get("type", ""))) or str(prop.get("type")) == "SUBTABLE":
                continue
            if not _empty(prop.get("defaultValue")) or prop.get("defaultNowValue"):
                continue  # Kintone fills it in
            self.fail(code, "required field is missing;", f"a value for {code!r} ({_describe(prop)})")

    def subtable(self, code: str, value: Any, prop: Mapping[str, Any]) -> Any:
        if value is None:
            value = []
        if not isinstance(value, list):
            return self.fail(code, f"a SUBTABLE takes a list of row objects, got {_short(value)};", _row_hint(prop))
        inner: Mapping[str, Mapping[str, Any]] = prop.get("fields") or {}
        rows: list[dict[str, Any]] = []
        for i, row in enumerate(value):
            where = f"{code}[{i}]"
            if not isinstance(row, Mapping):
                self.fail(where, f"a row must be an object, got {_short(row)};", _row_hint(prop))
                continue
            out_row: dict[str, Any] = {}
            cells: dict[str, Any] = {}
            for inner_code, inner_value in row.items():
                if inner_code in _ROW_ID_KEYS:
                    if inner_value in (None, ""):
                        continue
                    row_id = str(inner_value).strip()
                    if isinstance(inner_value, bool) or not (row_id.isascii() and row_id.isdigit()):
                        # Kintone takes an unknown row id for a new row, and drops the row it was meant to keep.
                        self.fail(
                            f"{where}.{inner_code}",
                            f"{_short(inner_value)} is not a row id;",
                            'the row\'s "$id" as get_record shows it (a number), or no "$id" for a new row',
                        )
                        continue
                    out_row["id"] = str(inner_value).strip()
                    continue
                inner_prop = inner.get(inner_code)
                if inner_prop is None:
                    self.fail(
                        f"{where}.{inner_code}", "no such field in this table;", field_suggestions(inner_code, inner)
                    )
                    continue
                if str(inner_prop.get("type")) in READ_ONLY_TYPES or f"{code}.{inner_code}" in self.copies:
                    self.ignored.append(f"{code}.{inner_code}")
                    continue
                converted = self.value(f"{where}.{inner_code}", inner_value, inner_prop)
                if converted is not _DROP:
                    cells[inner_code] = {"value": converted}
            out_row["value"] = cells
            rows.append(out_row)
        return rows

    def value(self, where: str, value: Any, prop: Mapping[str, Any]) -> Any:
        ftype = str(prop.get("type", ""))
        if prop.get("required") and _empty(value) and ftype != "FILE":
            return self.fail(where, "is required and cannot be empty;", _describe(prop))
        handler = _HANDLERS.get(ftype)
        if handler is None:
            return value  # a type this server does not know: let Kintone judge it
        return handler(self, where, value, prop)

    # --- per type -------------------------------------------------------------------------------------------

    def text(self, where: str, value: Any, prop: Mapping[str, Any]) -> Any:
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            return self.fail(where, f"expects text, got {_short(value)};", "a string")
        text = str(value)
        lo, hi = _int_or_none(prop.get("minLength")), _int_or_none(prop.get("maxLength"))
        if hi is not None and len(text) > hi:
            return self.fail(where, f"is {len(text)} characters long, the field allows at most {hi};", f"≤ {hi} chars")
        if lo is not None and text and len(text) < lo:
            return self.fail(where, f"is {len(text)} characters long, the field needs at least {lo};", f"≥ {lo} chars")
        return text

    def number(self, where: str, value: Any, prop: Mapping[str, Any]) -> Any:
        if _empty(value):
            return ""
        if isinstance(value, str) and _CANONICAL_NUMBER.match(value):
            # Already what Kintone stores (an import converts many of these): only the range is left to check.
            lo, hi = prop.get("minValue"), prop.get("maxValue")
            if lo in (None, "") and hi in (None, ""):
                return value
            d = Decimal(value)
            low, high = _dec_or_none(lo), _dec_or_none(hi)
            if (low is not None and d < low) or (high is not None and d > high):
                return self.fail(where, f"{value} is out of range;", _describe(prop))
            return value
        if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
            return self.fail(where, f"expects a number, got {_short(value)};", _describe(prop))
        text = repr(value) if isinstance(value, float) else str(value).strip()
        if isinstance(value, str) and "," in text:
            # Kintone refuses a comma in a NUMBER value (CB_VA01). Reading one as a thousands separator would store
            # "1,5" (one and a half in much of Europe) as 15: a wrong value with no error, so it is refused instead.
            return self.fail(
                where,
                f"{_short(value)} has a comma, which a number value cannot hold;",
                "a JSON number or a decimal string with a dot and no thousands separators: 1.5 for one and a half, "
                "12345 for twelve thousand three hundred forty-five",
            )
        if isinstance(value, str) and not _DECIMAL_RE.match(text):
            return self.fail(where, f"{_short(value)} is not a number;", _describe(prop))
        try:
            d = Decimal(text)
        except InvalidOperation:
            return self.fail(where, f"{_short(value)} is not a number;", _describe(prop))
        if not d.is_finite():
            return self.fail(where, f"{_short(value)} is not a finite number;", _describe(prop))
        if d and not -_MAX_EXPONENT <= d.adjusted() <= _MAX_EXPONENT:
            # Written out, 1e999999 is a million digits: far beyond any Kintone number field, and beyond what
            # is worth computing.
            return self.fail(where, f"{_short(value)} has too many digits for a number field;", _describe(prop))
        lo, hi = _dec_or_none(prop.get("minValue")), _dec_or_none(prop.get("maxValue"))
        if (lo is not None and d < lo) or (hi is not None and d > hi):
            return self.fail(where, f"{text} is out of range;", _describe(prop))
        return _canonical_decimal(d)

    def choice(self, where: str, value: Any, prop: Mapping[str, Any]) -> Any:
        if isinstance(value, str) and value and _is_option(prop, value):
            return value
        options = _options(prop)
        ftype = str(prop.get("type"))
        if _empty(value):
            if ftype == "RADIO_BUTTON":
                return self.fail(where, "a radio button always has a value;", _choices(options))
            return None if ftype == "DROP_DOWN" else ""
        if not isinstance(value, str):
            return self.fail(where, f"expects one option label, got {_short(value)};", _choices(options))
        if options and value not in options:
            return self.fail(where, f"{value!r} is not an option;", _choices(options, value))
        return value

    def multi_choice(self, where: str, value: Any, prop: Mapping[str, Any]) -> Any:
        if isinstance(value, list) and all(isinstance(v, str) and _is_option(prop, v) for v in value):
            return list(dict.fromkeys(value))
        options = _options(prop)
        if _empty(value):
            return []
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            return self.fail(where, f"expects a list of option labels, got {_short(value)};", _choices(options))
        bad = [v for v in values if options and v not in options]
        if bad:
            return self.fail(
                where, f"{', '.join(repr(b) for b in bad)} not among the options;", _choices(options, bad[0])
            )
        return list(dict.fromkeys(values))

    def date_value(self, where: str, value: Any, prop: Mapping[str, Any]) -> Any:
        if _empty(value):
            return None
        if not isinstance(value, str) or not _DATE_RE.match(value.strip()):
            return self.fail(where, f"{_short(value)} is not a date;", 'a date "YYYY-MM-DD", e.g. "2024-04-30"')
        try:
            date.fromisoformat(value.strip())
        except ValueError:
            return self.fail(where, f"{value!r} is not a valid calendar date;", 'a date "YYYY-MM-DD"')
        return value.strip()

    def time_value(self, where: str, value: Any, prop: Mapping[str, Any]) -> Any:
        if _empty(value):
            return None
        if not isinstance(value, str) or not _TIME_RE.match(value.strip()):
            return self.fail(where, f"{_short(value)} is not a time of day;", 'a time "HH:MM" (24 h), e.g. "09:30"')
        return value.strip()[:5]

    def datetime_value(self, where: str, value: Any, prop: Mapping[str, Any]) -> Any:
        if _empty(value):
            return None
        accepted = 'an ISO 8601 date-time with a UTC offset, e.g. "2024-04-30T09:00:00+09:00" or "2024-04-30T00:00:00Z"'
        if not isinstance(value, str):
            return self.fail(where, f"expects a date-time string, got {_short(value)};", accepted)
        if _UTC_DATETIME.match(value):
            try:
                datetime.fromisoformat(value)  # a real moment (no 30 February)
            except ValueError:
                pass
            else:
                return value  # already in Kintone's form
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return self.fail(where, f"{value!r} is not an ISO 8601 date-time;", accepted)
        if parsed.tzinfo is None or ("T" not in value and " " not in value):
            return self.fail(where, f"{value!r} has no time zone, so the moment is ambiguous;", accepted)
        return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def entities(self, where: str, value: Any, prop: Mapping[str, Any]) -> Any:
        kind = _ENTITY_TYPES[str(prop.get("type"))]
        accepted = f'a list of {kind} codes, e.g. ["sato"]' + (" (list_users finds codes)" if kind == "user" else "")
        if _empty(value):
            return []
        values = [value] if isinstance(value, str | Mapping) else value
        if not isinstance(values, list):
            return self.fail(where, f"expects {kind} codes, got {_short(value)};", accepted)
        codes: list[dict[str, str]] = []
        for v in values:
            code = v.get("code") if isinstance(v, Mapping) else v
            if not isinstance(code, str) or not code:
                return self.fail(where, f"{_short(v)} is not a {kind} code;", accepted)
            codes.append({"code": code})
        return codes

    def single_entity(self, where: str, value: Any, prop: Mapping[str, Any]) -> Any:
        code = value.get("code") if isinstance(value, Mapping) else value
        if not isinstance(code, str) or not code:
            return self.fail(where, f"expects one user code, got {_short(value)};", 'a user code, e.g. "sato"')
        return {"code": code}

    def files(self, where: str, value: Any, prop: Mapping[str, Any]) -> Any:
        accepted = "a list of file keys: from upload_file, or the fileKey of files already on the record"
        if _empty(value):
            if prop.get("required"):
                return self.fail(where, "is required and cannot be empty;", accepted)
            return []
        values = [value] if isinstance(value, str | Mapping) else value
        if not isinstance(values, list):
            return self.fail(where, f"expects file keys, got {_short(value)};", accepted)
        keys: list[dict[str, str]] = []
        for v in values:
            key = v.get("fileKey") if isinstance(v, Mapping) else v
            if not isinstance(key, str) or not key:
                return self.fail(where, f"{_short(v)} is not a file key;", accepted)
            if _FILE_NAME_RE.search(key):
                # File keys are opaque ids with no dot or path; a name like "report.pdf" is a file still to upload.
                return self.fail(
                    where,
                    f"{key!r} looks like a file name, not a file key;",
                    "upload the file first with the upload_file tool and put the fileKey it answers here",
                )
            keys.append({"fileKey": key})
        return keys


_HANDLERS: dict[str, Any] = {
    **{t: _Checker.text for t in _TEXT_TYPES},
    "NUMBER": _Checker.number,
    "RADIO_BUTTON": _Checker.choice,
    "DROP_DOWN": _Checker.choice,
    "CHECK_BOX": _Checker.multi_choice,
    "MULTI_SELECT": _Checker.multi_choice,
    "DATE": _Checker.date_value,
    "TIME": _Checker.time_value,
    "DATETIME": _Checker.datetime_value,
    "CREATED_TIME": _Checker.datetime_value,
    "UPDATED_TIME": _Checker.datetime_value,
    "USER_SELECT": _Checker.entities,
    "ORGANIZATION_SELECT": _Checker.entities,
    "GROUP_SELECT": _Checker.entities,
    "CREATOR": _Checker.single_entity,
    "MODIFIER": _Checker.single_entity,
    "FILE": _Checker.files,
}


def _is_option(prop: Mapping[str, Any], value: str) -> bool:
    """``value`` is one of the field's option labels, without building the ordered list (the slow path does)."""
    opts = prop.get("options")
    return isinstance(opts, Mapping) and value in opts


def _options(prop: Mapping[str, Any]) -> list[str]:
    return option_labels(prop)


def _choices(options: Sequence[str], wrong: str | None = None) -> str:
    if not options:
        return "an option label of this field"
    if wrong is not None:
        close = [o for o in options if o.lower() == wrong.lower()] or difflib.get_close_matches(wrong, options, n=1)
        if close:
            return f"one of {_list(options)} (did you mean {close[0]!r}?)"
    return f"one of {_list(options)}"


def _list(options: Sequence[str], limit: int = 25) -> str:
    shown = ", ".join(repr(o) for o in options[:limit])
    return f"[{shown}{', …' if len(options) > limit else ''}]"


def _describe(prop: Mapping[str, Any]) -> str:
    ftype = str(prop.get("type", ""))
    if ftype == "NUMBER":
        lo, hi = _dec_or_none(prop.get("minValue")), _dec_or_none(prop.get("maxValue"))
        if lo is not None and hi is not None:
            return f"a number between {lo} and {hi}"
        if lo is not None:
            return f"a number of at least {lo}"
        if hi is not None:
            return f"a number of at most {hi}"
        return 'a number, e.g. 1200 or "1200.5"'
    if ftype in ("RADIO_BUTTON", "DROP_DOWN"):
        return _choices(_options(prop))
    if ftype in ("CHECK_BOX", "MULTI_SELECT"):
        return f"a list of labels from {_list(_options(prop))}"
    if ftype in _ENTITY_TYPES:
        return f"a list of {_ENTITY_TYPES[ftype]} codes"
    if ftype == "DATE":
        return 'a date "YYYY-MM-DD"'
    if ftype == "TIME":
        return 'a time "HH:MM"'
    if ftype == "DATETIME":
        return 'an ISO 8601 date-time with offset, e.g. "2024-04-30T09:00:00Z"'
    if ftype == "FILE":
        return "a list of file keys from upload_file"
    if ftype == "SUBTABLE":
        return "a list of row objects"
    return "text"


def _row_hint(prop: Mapping[str, Any]) -> str:
    inner = list((prop.get("fields") or {}).keys())
    return f'a list of row objects with keys from {inner} (add "$id" to keep an existing row)'


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value)) if value not in (None, "") else None
    except ValueError:
        return None


#: Largest decimal exponent a number value may have, either way (10**100 or 10**-100).
_MAX_EXPONENT = 100


def _dec_or_none(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _canonical_decimal(d: Decimal) -> str:
    """Plain positional notation without exponent or trailing zeros: what Kintone stores."""
    # Enough precision for every digit the number check lets through (the default context stops at 28).
    with localcontext(prec=2 * _MAX_EXPONENT + 2):
        if d == d.to_integral_value():
            return str(d.quantize(Decimal(1)))
        return format(d.normalize(), "f")
