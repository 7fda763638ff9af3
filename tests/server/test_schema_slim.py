from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from jsonschema import Draft202012Validator
from pydantic import BaseModel, Field, TypeAdapter

from kintone_mcp.server.filters import Filter
from kintone_mcp.server.results import Out as Out_
from kintone_mcp.server.results import compact_size, dump
from kintone_mcp.server.schema_slim import slim


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
    # Noise goes; the one thing added is the closing of each declared object (refused keys, server/strict.py).
    closings = str(lean).count("'additionalProperties': False")
    assert closings == 4  # the arguments, Inner, Filter and its conditions
    assert compact_size(lean) - closings * len(',"additionalProperties":false') < compact_size(full) * 0.8
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
    # An unknown key is refused by the advertised schema at the top and inside nested objects; a free map stays open.
    assert list(Draft202012Validator(lean).iter_errors({"sort": 1}))
    nested = {"flt": {"conditions": [{"field": "a", "sort": 1}]}}
    assert list(Draft202012Validator(lean).iter_errors(nested))
    assert not list(Draft202012Validator(lean).iter_errors({"inner": {"title": "x", "extra": {"anything": 1}}}))


def test_output_schema_drops_null_only_where_results_never_send_it() -> None:
    class Out(BaseModel):
        total: int | None = None
        names: dict[str, str] | None = Field(None, description="d")
        either: int | str | None = None
        must: int | None

    lean = slim(TypeAdapter(Out).json_schema(), "output")
    assert lean is not None
    props = lean["properties"]
    assert props["total"] == {"type": "integer"}
    assert props["names"] == {"type": "object", "additionalProperties": {"type": "string"}, "description": "d"}
    assert props["either"] == {"anyOf": [{"type": "integer"}, {"type": "string"}]}
    assert props["must"] == {"anyOf": [{"type": "integer"}, {"type": "null"}]}  # required: left as it is
    # What results send (None left out) validates; an explicit null on an optional property would not.
    validator = Draft202012Validator(lean)
    assert not list(validator.iter_errors(dump(_Wrapped(total=None, must=1))))
    assert list(validator.iter_errors({"total": None, "must": 1}))
    # Which is why no output model may have a required nullable field: its None would be left out (see below).
    assert list(validator.iter_errors(dump(_Wrapped(must=None))))


class _Wrapped(Out_):
    total: int | None = None
    names: dict[str, str] | None = None
    either: int | str | None = None
    must: int | None


def _output_models(cls: type[Out_]) -> Iterator[type[Out_]]:
    for sub in cls.__subclasses__():
        if sub.__module__.startswith("kintone_mcp."):  # not the models of these tests
            yield sub
        yield from _output_models(sub)


def test_no_output_model_has_a_required_nullable_field() -> None:
    from kintone_mcp.server.tools.registry import ALL_TOOLS  # imports every tool module, so every output model exists

    assert ALL_TOOLS
    models = list(_output_models(Out_))
    assert len(models) >= 26  # every output model of the tools, not only those loaded so far
    offenders = [
        f"{cls.__qualname__}.{field}"
        for cls in models
        for field, info in cls.model_fields.items()
        if info.is_required() and "None" in str(info.annotation)
    ]
    assert offenders == []


def test_an_integer_beside_a_number_goes_and_every_type_stays_a_single_name() -> None:
    class M(BaseModel):
        value: str | int | float | list[str | int | float]
        count: int | str
        choice: Literal["a", "b"]

    full = M.model_json_schema()
    lean = slim(full, "input")
    assert lean is not None
    props = lean["properties"]
    # Every integer is a number: the same values pass with one alternative fewer ...
    assert props["value"]["anyOf"][:2] == [{"type": "string"}, {"type": "number"}]
    assert props["value"]["anyOf"][2]["items"] == {"anyOf": [{"type": "string"}, {"type": "number"}]}
    # ... and without a number, an integer stays.
    assert props["count"] == {"anyOf": [{"type": "integer"}, {"type": "string"}]}
    # Gemini's function declarations refuse a type list and an enum without its type (docs/mcp-sdk.md §6.3).
    assert props["choice"] == {"enum": ["a", "b"], "type": "string"}
    for good in ({"value": 1, "count": 1, "choice": "a"}, {"value": [2.5, "x", 3], "count": "c", "choice": "b"}):
        assert not list(Draft202012Validator(full).iter_errors(good))
        assert not list(Draft202012Validator(lean).iter_errors(good))
    for bad in ({"value": {"a": 1}}, {"value": [[1]]}, {"count": 1.5}, {"choice": "c"}):
        base = {"value": 1, "count": 1, "choice": "a", **bad}
        assert list(Draft202012Validator(full).iter_errors(base)), bad
        assert list(Draft202012Validator(lean).iter_errors(base)), bad


class _Row(Out_):
    code: str
    tags: list[str] | None = None


class _Answer(Out_):
    rows: list[_Row]
    first: _Row | None = None
    names: dict[str, str] | None = Field(None, description="code -> name")
    count: int


def test_output_schemas_are_advertised_as_their_typed_outline() -> None:
    lean = slim(_Answer.model_json_schema(), "output")
    assert lean == {
        "type": "object",
        "properties": {
            "rows": {"type": "array", "items": {"type": "object"}},
            "first": {"type": "object"},
            "names": {"type": "object", "description": "code -> name", "additionalProperties": {"type": "string"}},
            "count": {"type": "integer"},
        },
        "required": ["rows", "count"],
    }
    # Looser than the model, never stricter: whatever the tool sends still validates.
    answer = dump(_Answer(rows=[_Row(code="a", tags=["x"])], first=_Row(code="b"), names={"a": "A"}, count=1))
    assert not list(Draft202012Validator(lean).iter_errors(answer))
    assert list(Draft202012Validator(lean).iter_errors({"rows": [1], "count": 1}))  # the types still hold
