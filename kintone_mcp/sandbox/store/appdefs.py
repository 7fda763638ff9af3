"""App settings as Kintone's own JSON: field properties, layout, views, process management.

Every component reads field definitions in one format, the ``properties`` object of ``app/form/fields.json``
(system fields and SUBTABLE ``fields`` included). This module fills in the attributes Kintone would report for a
property that was created with only some of them, checks definitions sent to the preview APIs, and builds the
settings of a new app.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from kintone_mcp.query.operators import SUBTABLE_INNER_TYPES
from kintone_mcp.sandbox.errors import invalid

JsonDict = dict[str, Any]

#: System fields every app has, with the codes an English-language Kintone gives them.
SYSTEM_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("Record_number", "RECORD_NUMBER", "Record number"),
    ("Created_by", "CREATOR", "Created by"),
    ("Created_datetime", "CREATED_TIME", "Created datetime"),
    ("Updated_by", "MODIFIER", "Updated by"),
    ("Updated_datetime", "UPDATED_TIME", "Updated datetime"),
    ("Status", "STATUS", "Status"),
    ("Assignee", "STATUS_ASSIGNEE", "Assignee"),
    ("Categories", "CATEGORY", "Categories"),
)
SYSTEM_TYPES = frozenset(t for _, t, _ in SYSTEM_FIELDS)

#: Attribute defaults per type, as GET fields.json reports them (numbers as strings, "" when unset).
_DEFAULTS: Mapping[str, JsonDict] = {
    "SINGLE_LINE_TEXT": {
        "noLabel": False, "required": False, "defaultValue": "", "unique": False, "minLength": "",
        "maxLength": "", "expression": "", "hideExpression": False,
    },
    "NUMBER": {
        "noLabel": False, "required": False, "defaultValue": "", "unique": False, "minValue": "",
        "maxValue": "", "digit": False, "displayScale": "", "unit": "", "unitPosition": "BEFORE",
    },
    "CALC": {
        "noLabel": False, "required": False, "expression": "", "hideExpression": False, "format": "NUMBER",
        "displayScale": "", "unit": "", "unitPosition": "BEFORE",
    },
    "MULTI_LINE_TEXT": {"noLabel": False, "required": False, "defaultValue": ""},
    "RICH_TEXT": {"noLabel": False, "required": False, "defaultValue": ""},
    "LINK": {
        "noLabel": False, "required": False, "defaultValue": "", "unique": False, "minLength": "",
        "maxLength": "", "protocol": "WEB",
    },
    "CHECK_BOX": {"noLabel": False, "required": False, "defaultValue": [], "options": {}, "align": "HORIZONTAL"},
    "MULTI_SELECT": {"noLabel": False, "required": False, "defaultValue": [], "options": {}},
    "RADIO_BUTTON": {"noLabel": False, "required": True, "defaultValue": "", "options": {}, "align": "HORIZONTAL"},
    "DROP_DOWN": {"noLabel": False, "required": False, "defaultValue": "", "options": {}},
    "FILE": {"noLabel": False, "required": False, "thumbnailSize": "150"},
    "DATE": {"noLabel": False, "required": False, "defaultValue": "", "unique": False, "defaultNowValue": False},
    "TIME": {"noLabel": False, "required": False, "defaultValue": "", "defaultNowValue": False},
    "DATETIME": {"noLabel": False, "required": False, "defaultValue": "", "unique": False, "defaultNowValue": False},
    "USER_SELECT": {"noLabel": False, "required": False, "defaultValue": [], "entities": []},
    "ORGANIZATION_SELECT": {"noLabel": False, "required": False, "defaultValue": [], "entities": []},
    "GROUP_SELECT": {"noLabel": False, "required": False, "defaultValue": [], "entities": []},
    "GROUP": {"noLabel": False, "openGroup": False},
    "REFERENCE_TABLE": {"noLabel": False},
    "SUBTABLE": {"noLabel": False},
}
USER_TYPES = frozenset(_DEFAULTS)
_STRING_ATTRS = ("minLength", "maxLength", "minValue", "maxValue", "displayScale")
#: Boolean attributes: Kintone takes a boolean or the string "true" / "false" when fields are added or updated and
#: answers booleans (docs/kintone-api.md §3, fields.json). Stored as booleans, so "false" never acts as true.
_BOOLEAN_ATTRS = ("noLabel", "required", "unique", "defaultNowValue", "hideExpression", "openGroup", "digit")
_BOOLEAN_TEXT = {"true": True, "false": False}
_OPTION_TYPES = frozenset({"CHECK_BOX", "MULTI_SELECT", "RADIO_BUTTON", "DROP_DOWN"})
_CODE_RE = re.compile(r"^(?!\d)\w{1,128}$")


def system_properties(*, process_enabled: bool) -> JsonDict:
    props: JsonDict = {}
    for code, ftype, label in SYSTEM_FIELDS:
        prop: JsonDict = {"type": ftype, "code": code, "label": label}
        if ftype in ("STATUS", "STATUS_ASSIGNEE"):
            prop["enabled"] = process_enabled
        elif ftype == "CATEGORY":
            prop["enabled"] = False
        else:
            prop["noLabel"] = False
        props[code] = prop
    return props


def default_process() -> JsonDict:
    """A new app's process management: off, and never set up, which Kintone reports as null states and actions."""
    return {"enable": False, "states": None, "actions": None}


#: The longest app name Kintone takes (in apps.json's ``name`` filter too).
MAX_APP_NAME = 64


def check_app_name(name: str, key: str = "name") -> None:
    if len(name) > MAX_APP_NAME:
        raise invalid(key, f"Enter less than {MAX_APP_NAME + 1} characters.")


def new_app_settings(name: str, description: str = "") -> JsonDict:
    return {
        "name": name,
        "description": description,
        "properties": system_properties(process_enabled=False),
        "layout": [],
        "views": {},
        "status": default_process(),
    }


def normalize_options(raw: Any, key: str) -> JsonDict:
    if not isinstance(raw, Mapping):
        raise invalid(key, "Options must be an object keyed by option label.")
    options: JsonDict = {}
    for i, (label, spec) in enumerate(raw.items()):
        index = spec.get("index", i) if isinstance(spec, Mapping) else i
        options[str(label)] = {"label": str(label), "index": str(index)}
    return options


def normalize_property(code: str, raw: Mapping[str, Any], *, key: str, inner: bool = False) -> JsonDict:
    """Validate one field definition sent to the preview APIs and fill in the attributes Kintone reports."""
    if not isinstance(raw, Mapping):
        raise invalid(key, "A field definition must be an object.")
    ftype = raw.get("type")
    if ftype not in USER_TYPES:
        raise invalid(f"{key}.type", f"Unknown or unsupported field type: {ftype!r}.")
    if inner and ftype not in SUBTABLE_INNER_TYPES:
        raise invalid(f"{key}.type", f"A {ftype} field cannot be placed inside a table.")
    if "code" in raw and raw["code"] != code:
        raise invalid(f"{key}.code", "The field code must equal the key it is sent under.")
    if not _CODE_RE.match(code):
        raise invalid(
            f"{key}.code",
            "Field codes are 1-128 characters of letters, digits and '_', and cannot start with a digit.",
        )
    prop: JsonDict = {"type": ftype, "code": code, "label": str(raw.get("label", code))}
    prop.update(copy.deepcopy(_DEFAULTS[ftype]))
    for attr, value in raw.items():
        if attr in ("type", "code", "label", "fields"):
            continue
        prop[attr] = copy.deepcopy(value)
    for attr in _STRING_ATTRS:
        if attr in prop and prop[attr] is not None and not isinstance(prop[attr], str):
            prop[attr] = str(prop[attr])
    for attr in _BOOLEAN_ATTRS:
        if attr in prop and not isinstance(prop[attr], bool):
            value = _BOOLEAN_TEXT.get(prop[attr]) if isinstance(prop[attr], str) else None
            if value is None:
                # What Kintone answers to other values (1, "yes") is unconfirmed; refusing never stores a guess.
                raise invalid(f"{key}.{attr}", 'Enter true or false (a boolean, or the string "true" or "false").')
            prop[attr] = value
    if ftype in _OPTION_TYPES:
        prop["options"] = normalize_options(prop.get("options", {}), f"{key}.options")
        if ftype == "RADIO_BUTTON" and not prop.get("defaultValue") and prop["options"]:
            # A radio button always has a value: Kintone defaults it to the first option.
            prop["defaultValue"] = min(prop["options"].values(), key=lambda o: int(o["index"]))["label"]
    if ftype == "SUBTABLE":
        fields = raw.get("fields")
        if not isinstance(fields, Mapping) or not fields:
            raise invalid(f"{key}.fields", "A table needs at least one field in 'fields'.")
        prop["fields"] = {
            str(c): normalize_property(str(c), p, key=f"{key}.fields.{c}", inner=True) for c, p in fields.items()
        }
    if "lookup" in prop and prop["lookup"] is not None:
        prop["lookup"] = _normalize_lookup(prop["lookup"], f"{key}.lookup")
    return prop


def _normalize_lookup(raw: Any, key: str) -> JsonDict:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("relatedApp"), Mapping):
        raise invalid(f"{key}.relatedApp", "A lookup needs relatedApp {app}.")
    related = raw["relatedApp"]
    if not str(related.get("app", "")).isdigit():
        raise invalid(f"{key}.relatedApp.app", "relatedApp.app must be an app id.")
    if not raw.get("relatedKeyField"):
        raise invalid(f"{key}.relatedKeyField", "Required field.")
    return {
        "relatedApp": {"app": str(related["app"]), "code": str(related.get("code", ""))},
        "relatedKeyField": str(raw["relatedKeyField"]),
        "fieldMappings": [
            {"field": str(m["field"]), "relatedField": str(m["relatedField"])}
            for m in raw.get("fieldMappings", [])
            if isinstance(m, Mapping)
        ],
        "lookupPickerFields": [str(f) for f in raw.get("lookupPickerFields", [])],
        "filterCond": str(raw.get("filterCond", "")),
        "sort": str(raw.get("sort", "")),
    }


def all_codes(properties: Mapping[str, Any]) -> set[str]:
    """Every field code of the form, table-inner codes included (codes are unique across the whole form)."""
    codes = set(properties)
    for prop in properties.values():
        if prop.get("type") == "SUBTABLE":
            codes.update(prop.get("fields", {}))
    return codes


def build_layout(properties: Mapping[str, Any]) -> list[JsonDict]:
    """One row per field in definition order, as a freshly built Kintone form looks."""
    layout: list[JsonDict] = []

    def item(prop: Mapping[str, Any]) -> JsonDict:
        entry: JsonDict = {"type": prop["type"], "code": prop["code"], "size": {"width": "193"}}
        if prop["type"] in ("MULTI_LINE_TEXT", "RICH_TEXT"):
            entry["size"]["innerHeight"] = "125"
        return entry

    for prop in properties.values():
        ftype = prop["type"]
        if ftype in SYSTEM_TYPES:
            continue
        if ftype == "SUBTABLE":
            inner = [item(p) for p in prop["fields"].values()]
            layout.append({"type": "SUBTABLE", "code": prop["code"], "fields": inner})
        elif ftype == "GROUP":
            layout.append({"type": "GROUP", "code": prop["code"], "layout": []})
        elif ftype == "REFERENCE_TABLE":
            layout.append({"type": "ROW", "fields": [{"type": "REFERENCE_TABLE", "code": prop["code"]}]})
        else:
            layout.append({"type": "ROW", "fields": [item(prop)]})
    return layout


_ASSIGNEE_TYPES = frozenset({"ONE", "ALL", "ANY"})


def normalize_process(raw: Mapping[str, Any]) -> JsonDict:
    """Validate and complete process management settings ({enable, states, actions})."""
    enable = bool(raw.get("enable", False))
    states_raw = raw.get("states")
    states: JsonDict | None = None
    if states_raw is not None:
        if not isinstance(states_raw, Mapping):
            raise invalid("states", "states must be an object keyed by state name.")
        states = {}
        for i, (name, spec) in enumerate(states_raw.items()):
            spec = spec if isinstance(spec, Mapping) else {}
            assignee = spec.get("assignee") or {"type": "ONE", "entities": []}
            if assignee.get("type", "ONE") not in _ASSIGNEE_TYPES:
                raise invalid(f"states.{name}.assignee.type", "Assignee type must be ONE, ALL or ANY.")
            states[str(name)] = {
                "name": str(name),
                "index": str(spec.get("index", i)),
                "assignee": {
                    "type": assignee.get("type", "ONE"),
                    "entities": [
                        {
                            "entity": {"type": e["entity"]["type"], "code": e["entity"].get("code")},
                            "includeSubs": bool(e.get("includeSubs", False)),
                        }
                        for e in assignee.get("entities", [])
                        if isinstance(e, Mapping) and isinstance(e.get("entity"), Mapping)
                    ],
                },
            }
    actions_raw = raw.get("actions")
    actions: list[JsonDict] | None = None
    if actions_raw is not None:
        if not isinstance(actions_raw, list):
            raise invalid("actions", "actions must be a list.")
        actions = []
        for i, spec in enumerate(actions_raw):
            if not isinstance(spec, Mapping) or not spec.get("name"):
                raise invalid(f"actions[{i}].name", "Required field.")
            for end in ("from", "to"):
                if states is not None and spec.get(end) not in states:
                    raise invalid(f"actions[{i}].{end}", f"The state {spec.get(end)!r} does not exist.")
            action: JsonDict = {
                "name": str(spec["name"]),
                "from": str(spec.get("from")),
                "to": str(spec.get("to")),
                "filterCond": str(spec.get("filterCond", "")),
                "type": str(spec.get("type", "PRIMARY")),
            }
            if "executableUser" in spec:
                action["executableUser"] = copy.deepcopy(spec["executableUser"])
            actions.append(action)
    if enable and not states:
        raise invalid("states", "Process management needs at least one state to be enabled.")
    return {"enable": enable, "states": states, "actions": actions}


def first_state(process: Mapping[str, Any]) -> JsonDict | None:
    states = process.get("states") or {}
    if not states:
        return None
    first: JsonDict = min(states.values(), key=lambda s: int(s["index"]))
    return first


def lookup_of(prop: Mapping[str, Any]) -> Mapping[str, Any] | None:
    lookup = prop.get("lookup")
    return lookup if isinstance(lookup, Mapping) else None


#: app/settings.json's general settings a person sets, with Kintone's defaults for a new app (§4.1)
GENERAL_DEFAULTS: JsonDict = {
    "icon": {"type": "PRESET", "key": "APP72"},
    "theme": "WHITE",
    "titleField": {"selectionMode": "AUTO"},
    "enableThumbnails": True,
    "enableBulkDeletion": False,
    "enableComments": True,
    "enableDuplicateRecord": True,
    "enableInlineRecordEditing": True,
    "numberPrecision": {"digits": "16", "decimalPlaces": "4", "roundingMode": "HALF_EVEN"},
    "firstMonthOfFiscalYear": "4",
}
THEMES = ("WHITE", "RED", "GREEN", "BLUE", "YELLOW", "BLACK", "CLIPBOARD", "BINDER", "PENCIL", "CLIPS")
_TITLE_TYPES = {"SINGLE_LINE_TEXT", "NUMBER", "CALC", "RECORD_NUMBER", "LINK", "DATE", "DATETIME", "TIME",
                "DROP_DOWN", "RADIO_BUTTON"}
_BOOLEANS = ("enableThumbnails", "enableBulkDeletion", "enableComments", "enableDuplicateRecord",
             "enableInlineRecordEditing")


def _int_in(value: Any, key: str, low: int, high: int) -> str:
    try:
        number = int(str(value))
    except ValueError:
        raise invalid(key, f"Enter an integer from {low} to {high}.") from None
    if not low <= number <= high:
        raise invalid(key, f"Enter an integer from {low} to {high}.")
    return str(number)


def normalize_general(raw: Mapping[str, Any], properties: Mapping[str, Any]) -> JsonDict:
    """The general settings a PUT preview/app/settings.json sends, checked as Kintone checks them."""
    out: JsonDict = {}
    if raw.get("theme") is not None:
        if raw["theme"] not in THEMES:
            raise invalid("theme", f"Enter one of {', '.join(THEMES)}.")
        out["theme"] = raw["theme"]
    if raw.get("icon") is not None:
        icon = raw["icon"]
        if not isinstance(icon, Mapping) or icon.get("type") != "PRESET" or not re.fullmatch(
            r"APP\d{2}", str(icon.get("key", ""))
        ):
            raise invalid("icon", 'Send {"type": "PRESET", "key": "APP01"…"APP77"} (file icons are not served).')
        out["icon"] = {"type": "PRESET", "key": str(icon["key"])}
    if raw.get("titleField") is not None:
        title = raw["titleField"]
        mode = title.get("selectionMode") if isinstance(title, Mapping) else None
        if mode == "AUTO":
            out["titleField"] = {"selectionMode": "AUTO"}
        elif mode == "MANUAL":
            code = str(title.get("code", ""))
            prop = properties.get(code)
            if prop is None or prop.get("type") not in _TITLE_TYPES:
                raise invalid("titleField.code", f"The field {code!r} does not exist or cannot be the title.")
            out["titleField"] = {"selectionMode": "MANUAL", "code": code}
        else:
            raise invalid("titleField.selectionMode", "Enter AUTO or MANUAL.")
    for key in _BOOLEANS:
        if raw.get(key) is not None:
            if not isinstance(raw[key], bool):
                raise invalid(key, "Enter true or false.")
            out[key] = raw[key]
    if raw.get("numberPrecision") is not None:
        np = raw["numberPrecision"]
        if not isinstance(np, Mapping):
            raise invalid("numberPrecision", "Send {digits, decimalPlaces, roundingMode}.")
        current = dict(GENERAL_DEFAULTS["numberPrecision"])
        if np.get("digits") is not None:
            current["digits"] = _int_in(np["digits"], "numberPrecision.digits", 1, 30)
        if np.get("decimalPlaces") is not None:
            current["decimalPlaces"] = _int_in(np["decimalPlaces"], "numberPrecision.decimalPlaces", 0, 10)
        if np.get("roundingMode") is not None:
            if np["roundingMode"] not in ("HALF_EVEN", "UP", "DOWN"):
                raise invalid("numberPrecision.roundingMode", "Enter HALF_EVEN, UP or DOWN.")
            current["roundingMode"] = np["roundingMode"]
        out["numberPrecision"] = current
    if raw.get("firstMonthOfFiscalYear") is not None:
        out["firstMonthOfFiscalYear"] = _int_in(raw["firstMonthOfFiscalYear"], "firstMonthOfFiscalYear", 1, 12)
    return out
