"""The compact field description the app-design tools take, checked and turned into Kintone's property JSON.

Kintone's form JSON differs per type (options as an object of {label, index}, defaults as strings or lists, lookups
nested three levels deep); advertising it whole costs ~40 KB of schema per tool. The model instead writes one small
flat shape, and this module says precisely what is wrong before anything is sent (docs/kintone-api.md §4.1).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kintone_mcp.server.errors import ToolInputError

#: type -> the compact keys it accepts beyond code, type, label, required (every type takes those)
TYPES: dict[str, frozenset[str]] = {
    "SINGLE_LINE_TEXT": frozenset({"unique", "default", "min", "max", "lookup", "expression"}),
    "MULTI_LINE_TEXT": frozenset({"default"}),
    "RICH_TEXT": frozenset({"default"}),
    "NUMBER": frozenset({"unique", "default", "min", "max", "decimals", "unit", "lookup"}),
    "CALC": frozenset({"expression", "decimals", "unit", "format"}),
    "DATE": frozenset({"unique", "default"}),
    "TIME": frozenset({"default"}),
    "DATETIME": frozenset({"unique", "default"}),
    "DROP_DOWN": frozenset({"options", "default"}),
    "RADIO_BUTTON": frozenset({"options", "default"}),
    "CHECK_BOX": frozenset({"options", "default"}),
    "MULTI_SELECT": frozenset({"options", "default"}),
    "USER_SELECT": frozenset({"default"}),
    "ORGANIZATION_SELECT": frozenset({"default"}),
    "GROUP_SELECT": frozenset({"default"}),
    "LINK": frozenset({"unique", "default", "protocol"}),
    "FILE": frozenset(),
    "SUBTABLE": frozenset({"fields"}),
}
_CHOICE = {"DROP_DOWN", "RADIO_BUTTON", "CHECK_BOX", "MULTI_SELECT"}
_MANY = {"CHECK_BOX", "MULTI_SELECT", "USER_SELECT", "ORGANIZATION_SELECT", "GROUP_SELECT"}
_ENTITY = {"USER_SELECT": "USER", "ORGANIZATION_SELECT": "ORGANIZATION", "GROUP_SELECT": "GROUP"}
#: Kintone's field codes: letters, digits, _ and a few more, never starting with a digit (docs/kintone-api.md §4.1)
CODE_PATTERN = _CODE = re.compile(r"[^\W\d][\w・$￥]{0,127}\Z")
#: names a CALC expression may use that are not field codes (Kintone's function names)
_FUNCTIONS = {"SUM", "ROUND", "ROUNDUP", "ROUNDDOWN", "IF", "AND", "OR", "NOT", "DATE_FORMAT", "YEN", "CONTAINS"}
_FORMATS = {"NUMBER", "NUMBER_DIGIT", "DATETIME", "DATE", "TIME", "HOUR_MINUTE", "DAY_HOUR_MINUTE"}


class Lookup(BaseModel):
    model_config = ConfigDict(extra="forbid")
    app: int = Field(description="source app id")
    key: str = Field(description="source field matched by this field's value")
    copy_fields: dict[str, str] = Field(
        default_factory=dict, alias="copy", description="this app's field -> source field copied into it"
    )
    picker: list[str] = Field(default_factory=list, description="source fields shown when choosing")


class FieldDef(BaseModel):
    """One field, compact. Keys a type does not take are refused (TYPES)."""

    model_config = ConfigDict(extra="forbid")
    code: str
    type: str
    label: str | None = None
    required: bool | None = None
    unique: bool | None = None
    default: str | float | list[str] | None = None
    options: list[str] | None = None
    min: float | None = None
    max: float | None = None
    decimals: int | None = Field(None, ge=0, le=10)
    unit: str | None = None
    expression: str | None = None
    format: str | None = None
    protocol: str | None = None
    lookup: Lookup | None = None
    fields: list[FieldDef] | None = None


FIELD_KEYS = ", ".join(FieldDef.model_fields)


def _refuse(problems: list[str]) -> ToolInputError:
    return ToolInputError(
        "Nothing was sent; fix these and call again:\n- " + "\n- ".join(problems) + "\nThe field types: read the "
        "resource kintone://docs/field-types."
    )


def check_fields(
    defs: list[FieldDef],
    existing: Mapping[str, Mapping[str, Any]],
    *,
    sources: Mapping[int, Mapping[str, Any]] | None = None,
) -> None:
    """Everything that can be known wrong before sending: raises ToolInputError listing every problem.

    ``existing``: the app's preview fields (Kintone's form); ``sources``: the live fields of each lookup's source app.
    """
    problems: list[str] = []
    taken = {code for code, prop in existing.items()} | {
        inner for prop in existing.values() for inner in (prop.get("fields") or {})
    }
    new_codes: list[str] = []
    for d in defs:
        new_codes.append(d.code)
        new_codes += [c.code for c in d.fields or ()]
    for d in defs:
        _check_one(d, problems, inner=False)
    seen: set[str] = set()
    for code in new_codes:
        if code in seen:
            problems.append(f"{code}: the code is given twice; every field code must be unique in the app.")
        elif code in taken:
            problems.append(f"{code}: the app already has a field with this code; use update_fields to change it.")
        seen.add(code)
    known = taken | seen
    for d in _flat(defs):
        if d.expression is not None:
            for name in _expression_names(d.expression):
                if name not in known and name.upper() not in _FUNCTIONS:
                    problems.append(
                        f"{d.code}: the expression names {name!r}, which is no field code of the app or of this "
                        f"call (codes: {', '.join(sorted(known)) or 'none'})."
                    )
        if d.lookup is not None:
            _check_lookup(d, known, (sources or {}).get(d.lookup.app), problems)
    if problems:
        raise _refuse(problems)


def _flat(defs: Iterable[FieldDef]) -> Iterable[FieldDef]:
    for d in defs:
        yield d
        yield from d.fields or ()


def _check_one(d: FieldDef, problems: list[str], *, inner: bool) -> None:
    kind = d.type.strip().upper()
    if kind not in TYPES:
        problems.append(f"{d.code}: unknown type {d.type!r}; known types: {', '.join(TYPES)}.")
        return
    d.type = kind
    if not _CODE.match(d.code):
        problems.append(
            f"{d.code!r}: a field code is 1-128 letters, digits or _ and does not start with a digit."
        )
    given = {k for k in d.model_fields_set if k not in {"code", "type", "label", "required"}}
    if "lookup" in given and "lookup" not in TYPES[kind]:
        problems.append(f"{d.code}: a lookup must be SINGLE_LINE_TEXT or NUMBER, not {kind}.")
        given.discard("lookup")
    extra = sorted(given - TYPES[kind])
    if extra:
        takes = ", ".join(sorted(TYPES[kind])) or "only code, type, label, required"
        problems.append(f"{d.code}: a {kind} field takes no {', '.join(extra)}; it takes {takes}.")
    if kind == "SUBTABLE":
        if inner:
            problems.append(f"{d.code}: a table cannot hold another table.")
        if not d.fields:
            problems.append(f"{d.code}: a SUBTABLE needs its columns in fields: [{{code, type, label}}, ...].")
        for col in d.fields or ():
            if col.type.strip().upper() == "SUBTABLE":
                problems.append(f"{col.code}: a table cannot hold another table.")
                continue
            _check_one(col, problems, inner=True)
        return
    if kind in _CHOICE:
        opts = d.options or []
        if not opts:
            problems.append(f"{d.code}: a {kind} field needs options: a list of labels, e.g. [\"Low\", \"High\"].")
        dupes = sorted({o for o in opts if opts.count(o) > 1})
        if dupes:
            problems.append(f"{d.code}: options repeat {', '.join(dupes)}; each label once.")
        blank = [o for o in opts if not o.strip()]
        if blank:
            problems.append(f"{d.code}: an option label cannot be empty.")
        defaults = d.default if isinstance(d.default, list) else [] if d.default is None else [str(d.default)]
        wrong = [v for v in defaults if v not in opts]
        if wrong:
            problems.append(f"{d.code}: the default {wrong} is not among the options {opts}.")
    if isinstance(d.default, list) and kind not in _MANY:
        problems.append(f"{d.code}: a {kind} field has one default value, not a list.")
    if d.min is not None and d.max is not None and d.min > d.max:
        problems.append(f"{d.code}: min ({d.min:g}) is greater than max ({d.max:g}).")
    if kind == "CALC" and not (d.expression or "").strip():
        problems.append(f"{d.code}: a CALC field needs an expression, e.g. \"price * quantity\".")
    if d.format is not None and d.format.upper() not in _FORMATS:
        problems.append(f"{d.code}: format must be one of {', '.join(sorted(_FORMATS))}.")


def _check_lookup(
    d: FieldDef, known: set[str], source: Mapping[str, Any] | None, problems: list[str]
) -> None:
    assert d.lookup is not None
    lk = d.lookup
    for mine in lk.copy_fields:
        if mine not in known:
            problems.append(f"{d.code}: the lookup copies into {mine!r}, which is no field of this app or call.")
    if source is None:
        return
    names = sorted(source)
    for what, code in [("key", lk.key), *(("copy source", c) for c in lk.copy_fields.values()),
                       *(("picker field", c) for c in lk.picker)]:
        if code not in source:
            problems.append(
                f"{d.code}: the lookup's {what} {code!r} is no field of app {lk.app} (its fields: {', '.join(names)})."
            )
    key_prop = source.get(lk.key)
    if key_prop is not None and key_prop.get("type") not in {
        "SINGLE_LINE_TEXT", "NUMBER", "RECORD_NUMBER", "CALC", "LINK"
    }:
        problems.append(
            f"{d.code}: the lookup key {lk.key!r} of app {lk.app} is a {key_prop.get('type')} field; a key must be "
            "text, number, record number, calculated or link."
        )


#: identifiers in a CALC expression: not inside quotes, not numbers
_NAME = re.compile(r'"(?:[^"\\]|\\.)*"|([^\W\d][\w・$￥]*)')


def _expression_names(expression: str) -> list[str]:
    return [m.group(1) for m in _NAME.finditer(expression) if m.group(1)]


def to_kintone(d: FieldDef) -> dict[str, Any]:
    """The property JSON Kintone's preview/app/form/fields.json takes for one checked field."""
    kind = d.type
    prop: dict[str, Any] = {"type": kind, "code": d.code, "label": d.label or d.code}
    if d.required is not None:
        prop["required"] = d.required
    if d.unique is not None:
        prop["unique"] = d.unique
    if d.options is not None:
        prop["options"] = {label: {"label": label, "index": str(i)} for i, label in enumerate(d.options)}
    if kind in _CHOICE and kind == "RADIO_BUTTON" and d.default is None and d.options:
        # Kintone requires a radio button to have a selected option (docs/kintone-api.md §4.1).
        prop["defaultValue"] = d.options[0]
    if d.default is not None:
        if kind in _ENTITY:
            values = d.default if isinstance(d.default, list) else [str(d.default)]
            prop["defaultValue"] = [{"code": v, "type": _ENTITY[kind]} for v in values]
        elif kind in _MANY:
            prop["defaultValue"] = d.default if isinstance(d.default, list) else [str(d.default)]
        else:
            prop["defaultValue"] = d.default if isinstance(d.default, str) else f"{d.default:g}"
    bounds = ("minValue", "maxValue") if kind == "NUMBER" else ("minLength", "maxLength")
    for value, key in ((d.min, bounds[0]), (d.max, bounds[1])):
        if value is not None:
            prop[key] = f"{value:g}"
    if d.decimals is not None:
        prop["displayScale"] = str(d.decimals)
    if d.unit is not None:
        prop["unit"] = d.unit
    if d.expression is not None:
        prop["expression"] = d.expression
    if d.format is not None:
        prop["format"] = d.format.upper()
    if d.protocol is not None:
        prop["protocol"] = d.protocol.upper()
    if d.lookup is not None:
        prop["lookup"] = {
            "relatedApp": {"app": str(d.lookup.app)},
            "relatedKeyField": d.lookup.key,
            "fieldMappings": [{"field": f, "relatedField": r} for f, r in d.lookup.copy_fields.items()],
            "lookupPickerFields": list(d.lookup.picker),
            "filterCond": "",
            "sort": "",
        }
    if kind == "SUBTABLE":
        prop["fields"] = {c.code: to_kintone(c) for c in d.fields or ()}
    return prop
