"""get_app's shape: operators once per field type, defaults in the plain form records use, an honest outputSchema."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from mcp import Client

from kintone_mcp.query.ast import Op
from kintone_mcp.query.operators import allowed_operators
from kintone_mcp.server.tools.app_info.app_schema import FieldInfo, field_info, schema_fields
from tests.server.helpers import call_ok
from tests.server.props import PROPS


def _ops(ftype: str, in_subtable: bool) -> list[str]:
    allowed = allowed_operators(ftype, in_subtable=in_subtable)
    return [o.value for o in Op if o in allowed]


@pytest.mark.anyio
@pytest.mark.parametrize("app", [1, 2, 3])
async def test_operators_are_listed_once_per_type_and_cover_every_searchable_field(mcp: Client, app: int) -> None:
    schema = await call_ok(mcp, "get_app", app=app)
    ops: dict[str, list[str]] = schema["operators"]
    table_ops: dict[str, list[str]] = schema.get("table_operators") or {}
    assert all("operators" not in f for f in schema["fields"])
    top_types = {f["type"] for f in schema["fields"]}
    column_types = {c["type"] for f in schema["fields"] for c in f.get("fields") or []}
    # Every searchable type the app uses is in the map, with exactly the operators the query checker allows ...
    assert ops == {t: _ops(t, False) for t in top_types if _ops(t, False)}
    assert table_ops == {t: _ops(t, True) for t in column_types if _ops(t, True)}
    # ... and a type that cannot be searched is absent, which is what "not listed" promises.
    assert "SUBTABLE" not in ops and "$id" in {f["code"] for f in schema["fields"]} and "__ID__" in ops


@pytest.mark.anyio
async def test_deals_schema_says_what_a_model_needs_to_query_and_write(mcp: Client) -> None:
    schema = await call_ok(mcp, "get_app", app=2)
    fields = {f["code"]: f for f in schema["fields"]}
    assert schema["operators"]["DROP_DOWN"] == ["in", "not in"]
    assert schema["table_operators"]["NUMBER"] == [">", "<", ">=", "<=", "in", "not in"]
    assert fields["stage"]["default"] == "Lead"
    assert fields["owner"]["default"] == ["LOGINUSER()"]  # Kintone's [{"code": ..., "type": "FUNCTION"}], plain
    tickets = {f["code"]: f for f in (await call_ok(mcp, "get_app", app=3))["fields"]}
    assert tickets["reported_at"]["default"] == "NOW()"  # defaultNowValue


def test_defaults_are_plain_values() -> None:
    props: dict[str, dict[str, Any]] = {
        "n": {"type": "NUMBER", "code": "n", "label": "N", "defaultValue": "12.5"},
        "d": {"type": "DATE", "code": "d", "label": "D", "defaultNowValue": True, "defaultValue": ""},
        "t": {"type": "TIME", "code": "t", "label": "T", "defaultNowValue": False, "defaultValue": "09:30"},
        "c": {"type": "CHECK_BOX", "code": "c", "label": "C", "defaultValue": ["a", "b"]},
        "o": {
            "type": "ORGANIZATION_SELECT",
            "code": "o",
            "label": "O",
            "defaultValue": [{"code": "sales", "type": "ORGANIZATION"}],
        },
        "empty": {"type": "SINGLE_LINE_TEXT", "code": "empty", "label": "E", "defaultValue": ""},
    }
    got = {code: field_info(code, prop).default for code, prop in props.items()}
    assert got == {"n": 12.5, "d": "TODAY()", "t": "09:30", "c": ["a", "b"], "o": ["sales"], "empty": None}


def test_schema_fields_keep_form_order_then_id_then_system_fields() -> None:
    fields = schema_fields(PROPS, ["Stage", "Title"])
    codes = [f.code for f in fields]
    assert codes[:2] == ["Stage", "Title"]
    assert codes.index("$id") < codes.index("Record_number") < codes.index("Status")
    assert "$revision" not in codes


@pytest.mark.anyio
async def test_get_app_output_schema_gives_every_property_a_type(mcp: Client) -> None:
    tool = next(t for t in (await mcp.list_tools()).tools if t.name == "get_app")
    schema = tool.output_schema
    assert schema is not None
    Draft202012Validator.check_schema(schema)
    untyped = list(_untyped_properties(schema, "outputSchema"))
    assert untyped == []  # the inspector's --strict check: no property may accept anything at all
    # Advertised as an outline (server/schema_outline): the fields are objects, their columns are in the answer ...
    assert schema["properties"]["fields"] == {"type": "array", "items": {"type": "object"}} and "$defs" not in schema
    # ... while the model the server checks its own answer with still types a default's every form.
    full = FieldInfo.model_json_schema()  # recursive (a subtable's columns), so a reference to its $defs entry
    kinds = json.dumps(full["$defs"]["FieldInfo"]["properties"]["default"])
    assert '"string"' in kinds and '"number"' in kinds and '"array"' in kinds
    # What the tool sends fits what it advertises, for every demo app (mcp.Client checks it too).
    for app in (1, 2, 3):
        Draft202012Validator(schema).validate(await call_ok(mcp, "get_app", app=app))


def _untyped_properties(node: Any, path: str) -> Any:
    if isinstance(node, dict):
        for name, sub in (node.get("properties") or {}).items():
            if isinstance(sub, dict) and not ({"type", "anyOf", "oneOf", "allOf", "$ref", "enum", "const"} & set(sub)):
                yield f"{path}.properties.{name}"
        for key, sub in node.items():
            yield from _untyped_properties(sub, f"{path}.{key}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            yield from _untyped_properties(sub, f"{path}[{i}]")


@pytest.mark.anyio
async def test_every_output_schema_types_every_property(mcp: Client) -> None:
    for tool in (await mcp.list_tools()).tools:
        assert list(_untyped_properties(tool.output_schema, tool.name)) == [], tool.name
