from __future__ import annotations

from typing import Annotated, Any

from jsonschema import Draft202012Validator
from pydantic import BaseModel, Field, TypeAdapter

from kintone_mcp.server.filters import Filter
from kintone_mcp.server.schema_slim import compact_size, slim


class Inner(BaseModel):
    title: str  # a property named "title" must survive
    extra: dict[str, Any] = {}


class Args(BaseModel):
    app: Annotated[int | str | None, Field(description="App")] = None
    inner: Inner | None = None
    flt: Filter | None = None
    limit: int = 20


def test_slim_keeps_meaning_and_drops_noise() -> None:
    full = Args.model_json_schema()
    lean = slim(full, "input")
    assert lean is not None
    Draft202012Validator.check_schema(lean)
    assert compact_size(lean) < compact_size(full) * 0.8
    text = str(lean)
    assert "'title': {'type': 'string'}" in text  # the property named title
    assert "'Title'" not in text and "additionalProperties': True" not in text
    assert lean["properties"]["app"] == {"anyOf": [{"type": "integer"}, {"type": "string"}], "description": "App"}
    assert "Inner" not in lean.get("$defs", {})  # used once: inlined
    assert "Filter" in lean["$defs"]  # recursive: kept as a reference
    good = {"app": 1, "inner": {"title": "x"}, "flt": {"conditions": [{"field": "a", "value": 1}]}, "limit": 3}
    for validator_schema in (full, lean):
        assert not list(Draft202012Validator(validator_schema).iter_errors(good))
    assert list(Draft202012Validator(lean).iter_errors({"inner": {"no_title": 1}}))


def test_output_schema_keeps_null_alternatives() -> None:
    class Out(BaseModel):
        total: int | None = None

    lean = slim(TypeAdapter(Out).json_schema(), "output")
    assert lean == {"type": "object", "properties": {"total": {"anyOf": [{"type": "integer"}, {"type": "null"}]}}}
