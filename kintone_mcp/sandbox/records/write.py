"""Writing records: validation against the live field definitions, defaults, subtable merge rules, lookups, CALC
fields, uniqueness, system fields and process-management state, then the SQL.

Validation problems are collected (so one answer lists every bad field) under Kintone's error keys:
``<prefix>.<code>.value`` where ``prefix`` is the JSON path of the record object in the request (``record``,
``records[3]`` for POST records.json, ``records[3].record`` for PUT records.json), and
``<prefix>.<table>.value[<row>].value.<inner>.value`` inside tables. Kintone's quirks in those keys are kept (measured
on a real Kintone): a missing multi-value field is ``.values`` (check box, multi-select, file) or ``.values.value``
(user, organization, group); a bad option of one is ``.values[<i>].value``; a top-level number that is not a number is
``<prefix>[<code>].value`` and then counts as empty, so a required one also gets "Required." under the usual key.
Problems that Kintone reports with their own codes (unknown user codes, lookup misses, missing records, stale
revisions) raise at once.

An update is validated as the merged record: a required field left empty by an earlier version of the form fails the
next update of that record, whichever fields the update names.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from kintone_mcp.sandbox.access.permissions import check_app_permission
from kintone_mcp.sandbox.errors import ErrorReply, invalid_many
from kintone_mcp.sandbox.records import calc
from kintone_mcp.sandbox.records import values as fv
from kintone_mcp.sandbox.records.context import RecordContext
from kintone_mcp.sandbox.store import appdefs, appstore, database, directory, filestore, recordstore
from kintone_mcp.sandbox.store.appstore import AppInfo
from kintone_mcp.sandbox.store.directory import ADMIN_LOGIN, DEFAULT_TIMEZONE
from kintone_mcp.sandbox.store.querysql import value_sql
from kintone_mcp.sandbox.store.recordstore import StoredRecord

REQUIRED = "Required."
NOT_UNIQUE = "This value already exists in another record."
NOT_A_NUMBER = "Only numbers are allowed."
_SYSTEM_INPUT_TYPES = frozenset({"CREATOR", "MODIFIER", "CREATED_TIME", "UPDATED_TIME"})
#: The last part of the error key of a missing value, by type (``value`` for the rest).
_REQUIRED_SUFFIX = {
    "CHECK_BOX": "values",
    "MULTI_SELECT": "values",
    "FILE": "values",
    "USER_SELECT": "values.value",
    "ORGANIZATION_SELECT": "values.value",
    "GROUP_SELECT": "values.value",
}


def required_key(path: str, field_type: str) -> str:
    """The error key of a missing value of a field at ``path`` (``record.Title``, ``records[2].Tags``…)."""
    return f"{path}.{_REQUIRED_SUFFIX.get(field_type, 'value')}"


def record_not_found(app: int, record_id: int) -> ErrorReply:
    return ErrorReply(
        404, "GAIA_RE01", f"The record (ID: {record_id}) is not found in app {app}.", params={"id": record_id}
    )


def find_by_field(conn: sqlite3.Connection, app: AppInfo, code: str, value: str) -> StoredRecord | None:
    """The record whose field ``code`` holds ``value`` (a key field: unique text / number, or the record number)."""
    prop = app.properties.get(code)
    if prop is None:
        return None
    ftype = prop["type"]
    if ftype == "RECORD_NUMBER":
        text = value[len(app.code) + 1 :] if app.code and value.startswith(f"{app.code}-") else value
        if not text.strip().isdigit():
            return None
        return recordstore.load_record(conn, app.id, int(text))
    if ftype in fv.NUMBER_TYPES:
        number = fv.parse_number(value)
        if not number:
            return None
        sql, param = f"{value_sql(ftype, code, None)} = CAST(? AS NUMERIC)", number
    else:
        sql, param = f"{value_sql(ftype, code, None)} = ?", value
    return recordstore.first_where(conn, app.id, sql, (param,))


@dataclass
class _Row:
    """A subtable row being written, with the inner codes the request sent (lookups fire only for those)."""

    id: str
    value: dict[str, Any]
    provided: set[str] = field(default_factory=set)


class RecordWriter:
    """Validates and writes records of one app for one request; collect errors across a bulk write, then call
    ``finish`` before answering (the request's transaction rolls back on any raise)."""

    def __init__(self, ctx: RecordContext, app: AppInfo) -> None:
        self.ctx = ctx
        self.conn = ctx.conn
        self.app = app
        self.props: dict[str, Any] = app.properties
        self.errors: dict[str, list[str]] = {}
        self.now = ctx.now_text
        self._directory: directory.Names | None = None
        self._user: directory.UserInfo | None = None
        # Kintone ignores values written to the fields a lookup copies into: only the lookup fills them.
        self._copy_targets = _copy_targets(self.props)
        self._dropped_files: set[str] = set()

    # -- helpers -------------------------------------------------------------------------------------------------

    def _error(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    def finish(self) -> None:
        """Answer the collected validation errors, or else let go of the files the request's updates dropped (once
        every record is written, so that a file moved to another record of the request is kept)."""
        if self.errors:
            raise invalid_many(self.errors)
        if self._dropped_files:
            filestore.release(self.conn, self.app.id, self._dropped_files, self.ctx.downloads)
            self._dropped_files.clear()

    @property
    def names(self) -> directory.Names:
        if self._directory is None:
            self._directory = directory.load_names(self.conn)
        return self._directory

    @property
    def user(self) -> directory.UserInfo:
        if self._user is None:
            info = directory.user_info(self.conn, self.ctx.login)
            self._user = info or directory.UserInfo(self.ctx.login, self.ctx.login, DEFAULT_TIMEZONE, None)
        return self._user

    def _tz(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.user.timezone)
        except (KeyError, ValueError):
            return ZoneInfo(DEFAULT_TIMEZONE)

    @property
    def _may_set_system_fields(self) -> bool:
        # Kintone lets app administrators set creator / created time on add; tokens need the manage permission.
        if self.ctx.principal.uses_token:
            return "manage" in self.ctx.principal.token_apps.get(self.app.id, frozenset())
        return self.ctx.login == ADMIN_LOGIN

    # -- public operations ---------------------------------------------------------------------------------------

    def add(self, raw: Any, prefix: str, *, forced: Mapping[str, Any] | None = None) -> tuple[int, int] | None:
        """Insert one record; returns (id, revision), or None when validation errors were collected."""
        errors_before = len(self.errors)
        record = self._record_object(raw, prefix)
        if forced:
            record = {**record, **forced}
        data: dict[str, Any] = {}
        creator = modifier = self.ctx.login
        created_at = updated_at = self.now
        provided: set[str] = set()
        for code, prop in self.props.items():
            ftype = prop["type"]
            key = f"{prefix}.{code}"
            if ftype in _SYSTEM_INPUT_TYPES and code in record and self._may_set_system_fields:
                value = self._system_input(ftype, self._unwrap(record[code], key), key)
                if value is not None:
                    if ftype == "CREATOR":
                        creator = value
                    elif ftype == "MODIFIER":
                        modifier = value
                    elif ftype == "CREATED_TIME":
                        created_at = value
                    else:
                        updated_at = value
                continue
            if ftype not in fv.DATA_TYPES:
                continue
            if code in record and ftype != "CALC" and code not in self._copy_targets:
                provided.add(code)
                value = self._unwrap(record[code], key)
                if ftype == "SUBTABLE":
                    data[code] = self._table(prop, value, key, existing=None)
                else:
                    data[code] = self._value(prop, value, f"{key}.value", in_table=False)
            else:
                data[code] = self._default(prop)
                if ftype not in ("CALC", "SUBTABLE") and appdefs.lookup_of(prop) and not fv.is_empty(data[code]):
                    provided.add(code)
        self._lookups(self.props, data, provided, prefix)
        self._compute(data, {"CREATED_TIME": created_at, "UPDATED_TIME": updated_at})
        self._check_required(data, prefix, codes=None)
        self._check_unique(data, prefix, record_id=None, codes=None)
        if len(self.errors) > errors_before:
            return None
        status: str | None = None
        assignees: list[str] = []
        if self.app.process_enabled:
            first = appdefs.first_state(self.app.process)
            if first is not None:
                status = first["name"]
                assignees = self._assignees(first, creator, data)
        record_id = self._next_id()
        recordstore.insert(
            self.conn, self.app.id, record_id, creator=creator, created_at=created_at, modifier=modifier,
            updated_at=updated_at, status=status, assignees=assignees, data=data,
        )
        return record_id, 1

    def update(self, existing: StoredRecord, raw: Any, prefix: str) -> int | None:
        """Update one record in place; returns the new revision, or None when validation errors were collected."""
        errors_before = len(self.errors)
        record = self._record_object(raw, prefix)
        data = dict(existing.data)
        provided: set[str] = set()
        for code, raw_entry in record.items():
            prop = self.props.get(code)
            # Unknown codes are ignored as Kintone does; system fields, CALC and the fields a lookup copies into
            # cannot be written by update.
            if prop is None or prop["type"] not in fv.DATA_TYPES or prop["type"] == "CALC":
                continue
            if code in self._copy_targets:
                continue
            key = f"{prefix}.{code}"
            provided.add(code)
            value = self._unwrap(raw_entry, key)
            if prop["type"] == "SUBTABLE":
                data[code] = self._table(prop, value, key, existing=data.get(code) or [])
            else:
                data[code] = self._value(prop, value, f"{key}.value", in_table=False)
        self._lookups(self.props, data, provided, prefix)
        self._compute(data, {"CREATED_TIME": existing.created_at, "UPDATED_TIME": self.now})
        self._check_required(data, prefix, codes=None)
        self._check_unique(data, prefix, record_id=existing.id, codes=provided)
        if len(self.errors) > errors_before:
            return None
        revision = existing.revision + 1
        recordstore.update_data(
            self.conn, self.app.id, existing.id, revision=revision, modifier=self.ctx.login, updated_at=self.now,
            data=data,
        )
        self._dropped_files |= filestore.file_keys(existing.data) - filestore.file_keys(data)
        return revision

    # -- request shape -------------------------------------------------------------------------------------------

    def _record_object(self, raw: Any, prefix: str) -> dict[str, Any]:
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            self._error(prefix, "Specify the record as an object keyed by field code.")
            return {}
        return dict(raw)

    def _unwrap(self, entry: Any, key: str) -> Any:
        """``{"value": x}`` -> x. A bare value is an error in Kintone (docs/kintone-api.md §8.4)."""
        if not isinstance(entry, Mapping):
            self._error(f"{key}.value", 'Specify each field as an object such as {"value": ...}.')
            return _INVALID
        return entry.get("value")

    # -- values --------------------------------------------------------------------------------------------------

    def _value(self, prop: Mapping[str, Any], raw: Any, key: str, *, in_table: bool) -> Any:
        """Validate one written value and return its stored form (the empty value when it is invalid)."""
        ftype = prop["type"]
        empty = fv.empty_value(ftype)
        if raw is _INVALID:
            return empty
        if ftype in fv.TEXT_TYPES:
            if raw is None:
                return ""
            if isinstance(raw, bool) or not isinstance(raw, str | int | float):
                self._error(key, "Enter text.")
                return ""
            text = str(raw)
            if ftype in ("SINGLE_LINE_TEXT", "LINK") and text:
                self._check_length(prop, text, key)
            if ftype == "SINGLE_LINE_TEXT" and prop.get("expression"):
                # Auto-calculated text is not emulated; Kintone ignores input to such fields.
                return ""
            return text
        if ftype == "NUMBER":
            number = fv.parse_number(raw)
            if number is None:
                if in_table:
                    # Observed quirk: a non-number inside a table is stored as empty rather than refused.
                    return ""
                # Observed quirk: this one error is keyed with brackets, record[code].value.
                code = str(prop["code"])
                path = key[: -len(f".{code}.value")] if key.endswith(f".{code}.value") else key
                self._error(f"{path}[{code}].value", NOT_A_NUMBER)
                return ""
            if number:
                self._check_range(prop, Decimal(number), key)
            return number
        if ftype in fv.LIST_OPTION_TYPES:
            if raw is None:
                return []
            if not isinstance(raw, list):
                self._error(key, "Specify a list of option labels.")
                return []
            result: list[str] = []
            for i, item in enumerate(raw):
                label = str(item) if isinstance(item, str | int | float) else None
                if label is None or label not in prop.get("options", {}):
                    values_key = f"{key[: -len('.value')]}.values[{i}].value"
                    self._error(values_key, f'The value, "{item}", is not in options.')
                elif label not in result:
                    result.append(label)
            options = prop.get("options", {})
            return sorted(result, key=lambda lbl: int(options[lbl]["index"]))
        if ftype in ("RADIO_BUTTON", "DROP_DOWN"):
            if raw is None or raw == "":
                return empty
            label = str(raw) if isinstance(raw, str | int | float) else None
            if label is None or label not in prop.get("options", {}):
                self._error(key, f'The value, "{raw}", is not in options.')
                return empty
            return label
        if ftype in ("DATE", "TIME", "DATETIME"):
            if raw is None or raw == "":
                return None
            parser = {"DATE": fv.parse_date, "TIME": fv.parse_time, "DATETIME": fv.parse_datetime}[ftype]
            parsed = parser(raw)
            if parsed is None:
                fmt = {"DATE": "YYYY-MM-DD", "TIME": "HH:MM", "DATETIME": "YYYY-MM-DDTHH:MM:SSZ (or with an offset "
                       "such as +09:00)"}[ftype]
                self._error(key, f"Invalid value {raw!r}: enter it in the format {fmt}.")
            return parsed
        if ftype in fv.ENTITY_TYPES:
            return self._entities(ftype, raw, key)
        if ftype == "FILE":
            return self._files(raw, key)
        return empty

    def _check_length(self, prop: Mapping[str, Any], text: str, key: str) -> None:
        max_len, min_len = str(prop.get("maxLength") or ""), str(prop.get("minLength") or "")
        if max_len.isdigit() and len(text) > int(max_len):
            self._error(key, f"Enter less than {int(max_len) + 1} characters.")
        if min_len.isdigit() and len(text) < int(min_len):
            self._error(key, f"Enter more than {int(min_len) - 1} characters.")

    def _check_range(self, prop: Mapping[str, Any], number: Decimal, key: str) -> None:
        low, high = fv.parse_number(prop.get("minValue") or ""), fv.parse_number(prop.get("maxValue") or "")
        if low and number < Decimal(low):
            self._error(key, f"The value must be {low} or more.")
        if high and number > Decimal(high):
            self._error(key, f"The value must be {high} or less.")

    def _entities(self, ftype: str, raw: Any, key: str) -> list[str]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            self._error(key, 'Specify a list of objects such as [{"code": "sato"}].')
            return []
        known, code, noun = {
            "USER_SELECT": (self.names.users, "GAIA_IL26", "user"),
            "ORGANIZATION_SELECT": (self.names.organizations, "GAIA_IL28", "organization"),
            "GROUP_SELECT": (self.names.groups, "GAIA_IL27", "group"),
        }[ftype]
        result: list[str] = []
        for i, item in enumerate(raw):
            value = item.get("code") if isinstance(item, Mapping) else None
            if not isinstance(value, str) or not value:
                self._error(f"{key}[{i}].code", 'Specify each entry as {"code": "..."}.')
                continue
            if value not in known:
                raise ErrorReply(
                    400, code, f"The {noun} (code: {value}) is not found: check the code in {key}.",
                    errors={key: {"messages": [f"The {noun} code {value!r} does not exist."]}},
                    params={noun: value},
                )
            if value not in result:
                result.append(value)
        return result

    def _files(self, raw: Any, key: str) -> list[dict[str, Any]]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            self._error(key, 'Specify a list of objects such as [{"fileKey": "..."}].')
            return []
        result: list[dict[str, Any]] = []
        for i, item in enumerate(raw):
            file_key = item.get("fileKey") if isinstance(item, Mapping) else None
            # An upload key is single use: attaching it gives the file its download key, as in Kintone.
            stored = (
                filestore.attach(self.conn, file_key, app=self.app.id, now=self.ctx.now,
                                 retention=self.ctx.upload_retention)
                if isinstance(file_key, str)
                else None
            )
            if stored is None:
                self._error(
                    key,
                    f"File {i + 1}: unknown file key {file_key!r}. Upload the file with POST file.json and use the "
                    "fileKey it returns (once, within the retention period), or keep a fileKey read from this app's "
                    "record.",
                )
                continue
            result.append(stored)
        return result

    def _system_input(self, ftype: str, raw: Any, key: str) -> str | None:
        if raw is _INVALID or raw is None:
            return None
        if ftype in ("CREATOR", "MODIFIER"):
            code = raw.get("code") if isinstance(raw, Mapping) else None
            if not isinstance(code, str) or code not in self.names.users:
                raise ErrorReply(
                    400, "GAIA_IL26", f"The user (code: {code}) is not found: check {key}.value.", params={"user": code}
                )
            return code
        parsed = fv.parse_datetime(raw)
        if parsed is None:
            self._error(f"{key}.value", f"Invalid value {raw!r}: enter it in the format YYYY-MM-DDTHH:MM:SSZ.")
        return parsed

    # -- defaults ------------------------------------------------------------------------------------------------

    def _default(self, prop: Mapping[str, Any]) -> Any:
        ftype = prop["type"]
        default = prop.get("defaultValue")
        if ftype == "SUBTABLE":
            if not self.ctx.subtable_default_row:
                return []
            return [{"id": self._row_id(), "value": {c: self._default(p) for c, p in prop["fields"].items()}}]
        if ftype == "CALC":
            return ""
        if ftype in ("DATE", "TIME", "DATETIME") and prop.get("defaultNowValue"):
            local = self.ctx.now.astimezone(self._tz())
            if ftype == "DATE":
                return local.date().isoformat()
            if ftype == "TIME":
                return local.strftime("%H:%M")
            return self.now
        if ftype in fv.ENTITY_TYPES:
            codes: list[str] = []
            for entry in default or []:
                if not isinstance(entry, Mapping):
                    continue
                code = entry.get("code")
                if entry.get("type") == "FUNCTION":
                    functions = {"LOGINUSER()": self.ctx.login,
                                 "PRIMARY_ORGANIZATION()": self.user.primary_organization}
                    code = functions.get(str(code))
                if isinstance(code, str) and code and code not in codes:
                    codes.append(code)
            return codes
        if ftype == "FILE":
            return []
        if ftype == "NUMBER":
            return fv.parse_number(default) or ""
        if ftype in fv.LIST_OPTION_TYPES:
            return [str(v) for v in default or []]
        if ftype in ("DATE", "TIME", "DATETIME"):
            parser = {"DATE": fv.parse_date, "TIME": fv.parse_time, "DATETIME": fv.parse_datetime}[ftype]
            return parser(default) if default else None
        if ftype == "DROP_DOWN":
            return default or None
        return default if isinstance(default, str) else fv.empty_value(ftype)

    # -- tables --------------------------------------------------------------------------------------------------

    def _row_id(self) -> str:
        return str(database.next_counter(self.conn, "subtable_row"))

    def _table(self, prop: Mapping[str, Any], raw: Any, key: str, *, existing: list[dict[str, Any]] | None) -> list[
            dict[str, Any]]:
        """Kintone's merge rules: a sent row with a known id is updated (omitted inner fields keep their values),
        any other sent row is new (ids sent on add are ignored), rows not sent are deleted, [] clears the table."""
        if raw is _INVALID:
            return existing or []
        if raw is None:
            raw = []
        if not isinstance(raw, list):
            self._error(f"{key}.value", "Specify the table as a list of rows.")
            return existing or []
        inner_props: dict[str, Any] = prop["fields"]
        old_rows = {str(r["id"]): r for r in existing or []}
        rows: list[_Row] = []
        for i, raw_row in enumerate(raw):
            row_key = f"{key}.value[{i}]"
            if not isinstance(raw_row, Mapping):
                self._error(row_key, 'Specify each row as an object such as {"value": {...}}.')
                continue
            row_id = str(raw_row.get("id", "")) if raw_row.get("id") is not None else ""
            old = old_rows.pop(row_id, None) if existing is not None and row_id else None
            if old is not None:
                row = _Row(row_id, dict(old["value"]))
            else:
                row = _Row(self._row_id(), {c: self._default(p) for c, p in inner_props.items()})
            values = raw_row.get("value") or {}
            if not isinstance(values, Mapping):
                self._error(f"{row_key}.value", "Specify the row's fields as an object keyed by field code.")
                values = {}
            copy_targets = _copy_targets(inner_props)
            for code, entry in values.items():
                inner = inner_props.get(code)
                if inner is None or inner["type"] == "CALC" or code in copy_targets:
                    continue
                inner_key = f"{row_key}.value.{code}"
                row.value[code] = self._value(inner, self._unwrap(entry, inner_key), f"{inner_key}.value",
                                              in_table=True)
                row.provided.add(code)
            self._lookups(inner_props, row.value, row.provided, f"{row_key}.value")
            rows.append(row)
        return [{"id": r.id, "value": r.value} for r in rows]

    # -- lookups -------------------------------------------------------------------------------------------------

    def _lookups(self, props: Mapping[str, Any], values: dict[str, Any], provided: set[str], prefix: str) -> None:
        """Copy the mapped fields of the related record for every lookup whose key was written."""
        for code in provided:
            prop = props.get(code)
            lookup = appdefs.lookup_of(prop) if prop is not None else None
            if lookup is None:
                continue
            key_value = values.get(code)
            mappings = lookup.get("fieldMappings", [])
            if fv.is_empty(key_value):
                for mapping in mappings:
                    target = props.get(mapping["field"])
                    if target is not None:
                        values[mapping["field"]] = fv.empty_value(target["type"])
                continue
            related = self._related_app(int(lookup["relatedApp"]["app"]))
            match = find_by_field(self.conn, related, lookup["relatedKeyField"], str(key_value))
            if match is None:
                # Kintone answers a miss with no ``errors`` object, and in a bulk write names only the first miss.
                raise ErrorReply(
                    400,
                    "GAIA_LO04",
                    f'The lookup field "{code}" has no match: no record of app {related.id} has '
                    f'{lookup["relatedKeyField"]} = "{key_value}". Use an existing key, or clear the field.',
                    params={"field": code, "value": key_value},
                )
            for mapping in mappings:
                target = props.get(mapping["field"])
                source = related.properties.get(mapping["relatedField"])
                if target is None or source is None:
                    continue
                values[mapping["field"]] = _convert(_source_value(related, match, source), source["type"],
                                                    target["type"])

    def _related_app(self, app_id: int) -> AppInfo:
        # A lookup may point outside the guest space the request came through; check permission, not the path.
        info = appstore.load_app(self.conn, app_id)
        if info is None:
            raise ErrorReply(404, "GAIA_AP01", f"The related app (ID: {app_id}) of a lookup does not exist.")
        check_app_permission(self.ctx.principal, info, "view")
        return info

    # -- calculated fields ---------------------------------------------------------------------------------------

    def _compute(self, data: dict[str, Any], times: Mapping[str, str]) -> None:
        """Fill every CALC field, in tables first (a row sees its own fields and the record's), then at the top.
        ``times`` holds the record's CREATED_TIME / UPDATED_TIME, which formulas may read."""
        tables = {c: p for c, p in self.props.items() if p["type"] == "SUBTABLE"}
        system = {c: times[p["type"]] for c, p in self.props.items() if p["type"] in times}

        def top_value(code: str) -> Decimal | None:
            prop = self.props.get(code)
            if prop is None:
                return None
            return calc.formula_value(prop, system[code] if code in system else data.get(code))

        for table_code, table in tables.items():
            inner_props: dict[str, Any] = table["fields"]
            calcs = [(c, p) for c, p in inner_props.items() if p["type"] == "CALC"]
            if not calcs:
                continue
            for row in data.get(table_code) or []:
                row_values = row["value"]

                def lookup(
                    code: str, row_values: dict[str, Any] = row_values, inner_props: dict[str, Any] = inner_props
                ) -> Decimal | None:
                    inner = inner_props.get(code)
                    return calc.formula_value(inner, row_values.get(code)) if inner is not None else top_value(code)

                for _ in range(len(calcs)):
                    for code, p in calcs:
                        row_values[code] = calc.evaluate(p.get("expression", ""), lookup, lambda c: None,
                                                         fmt=str(p.get("format") or "NUMBER"))

        def column(code: str) -> list[Decimal] | None:
            for table_code, table in tables.items():
                inner = table["fields"].get(code)
                if inner is not None:
                    if inner["type"] not in fv.NUMBER_TYPES:
                        return None
                    values = [calc.formula_value(inner, r["value"].get(code)) for r in data.get(table_code) or []]
                    return [v if v is not None else Decimal(0) for v in values]
            value = top_value(code)
            return None if value is None else [value]

        calcs = [(c, p) for c, p in self.props.items() if p["type"] == "CALC"]
        for _ in range(len(calcs)):
            for code, p in calcs:
                data[code] = calc.evaluate(p.get("expression", ""), top_value, column,
                                           fmt=str(p.get("format") or "NUMBER"))

    # -- constraints ---------------------------------------------------------------------------------------------

    def _check_required(self, data: dict[str, Any], prefix: str, *, codes: set[str] | None) -> None:
        for code, prop in self.props.items():
            if codes is not None and code not in codes:
                continue
            ftype = prop["type"]
            if ftype == "SUBTABLE":
                for i, row in enumerate(data.get(code) or []):
                    for inner_code, inner in prop["fields"].items():
                        if inner.get("required") and inner["type"] != "CALC" and fv.is_empty(
                                row["value"].get(inner_code)):
                            inner_key = required_key(f"{prefix}.{code}.value[{i}].value.{inner_code}", inner["type"])
                            if inner_key not in self.errors:
                                self._error(inner_key, REQUIRED)
            elif ftype in fv.DATA_TYPES and ftype != "CALC" and prop.get("required") and fv.is_empty(data.get(code)):
                key = required_key(f"{prefix}.{code}", ftype)
                if key not in self.errors:
                    self._error(key, REQUIRED)

    def _check_unique(
        self, data: dict[str, Any], prefix: str, *, record_id: int | None, codes: set[str] | None
    ) -> None:
        for code, prop in self.props.items():
            if not prop.get("unique") or prop["type"] not in fv.UNIQUE_TYPES:
                continue
            if codes is not None and code not in codes:
                continue
            value = data.get(code)
            if fv.is_empty(value):
                continue
            ftype = prop["type"]
            expr = value_sql(ftype, code, None)
            comparison = f"{expr} = CAST(? AS NUMERIC)" if ftype == "NUMBER" else f"{expr} = ?"
            if recordstore.another_matches(self.conn, self.app.id, record_id, comparison, value):
                self._error(f"{prefix}.{code}.value", NOT_UNIQUE)

    # -- ids and process -----------------------------------------------------------------------------------------

    def _next_id(self) -> int:
        return appstore.take_record_id(self.conn, self.app.id)

    def _assignees(self, state: Mapping[str, Any], creator: str, data: Mapping[str, Any]) -> list[str]:
        """The users an initial state's assignee entities name (groups and organisations expand to members)."""
        result: list[str] = []
        for item in state.get("assignee", {}).get("entities", []):
            entity = item.get("entity", {})
            etype, code = entity.get("type"), entity.get("code")
            users: list[str] = []
            if etype == "USER" and code:
                users = [code]
            elif etype == "CREATOR":
                users = [creator]
            elif etype == "FIELD_ENTITY" and code:
                value = data.get(code)
                users = list(value) if isinstance(value, list) else []
            elif etype == "GROUP" and code:
                users = directory.group_members(self.conn, code)
            elif etype == "ORGANIZATION" and code:
                users = directory.org_members(self.conn, code)
            for user in users:
                if user in self.names.users and user not in result:
                    result.append(user)
        return result


def _copy_targets(props: Mapping[str, Any]) -> frozenset[str]:
    """The codes that the lookups among ``props`` copy values into (``fieldMappings[].field``)."""
    return frozenset(
        str(mapping["field"])
        for prop in props.values()
        for mapping in (appdefs.lookup_of(prop) or {}).get("fieldMappings", [])
    )


class _Invalid:
    """Marks a value already reported as malformed, so it is not reported twice."""


_INVALID: Any = _Invalid()


def _source_value(app: AppInfo, record: StoredRecord, prop: Mapping[str, Any]) -> Any:
    ftype = prop["type"]
    if ftype == "RECORD_NUMBER":
        return f"{app.code}-{record.id}" if app.code else str(record.id)
    if ftype in ("CREATOR", "MODIFIER"):
        return [record.creator if ftype == "CREATOR" else record.modifier]
    if ftype == "CREATED_TIME":
        return record.created_at
    if ftype == "UPDATED_TIME":
        return record.updated_at
    value = record.data.get(prop["code"])
    return fv.empty_value(ftype) if value is None and ftype not in fv.NULLABLE_TYPES else value


def _convert(value: Any, source_type: str, target_type: str) -> Any:
    """A looked-up value in the target field's stored form (Kintone maps compatible types only)."""
    if target_type == source_type:
        return value
    if target_type in fv.TEXT_TYPES:
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return "" if value is None else str(value)
    if target_type == "NUMBER":
        return fv.parse_number(value if isinstance(value, str) else "") or ""
    if target_type == "USER_SELECT" and source_type in ("CREATOR", "MODIFIER"):
        return value
    return value if value is not None else fv.empty_value(target_type)
