"""Make the advertised tool schemas lean without changing what they accept.

pydantic's JSON schemas carry keywords that cost bytes in every ``tools/list`` answer and tell a model nothing:
``title`` on every property (the property name again, title-cased) and on the root (a Python class name),
``additionalProperties: true`` (the default), and single-use ``$defs`` reached through a ``$ref``. On input
schemas, ``anyOf: [X, {"type": "null"}]`` with ``default: null`` says "optional" a second time: ``required``
already says it. Measured on a 20-tool server this cut tools/list by about a fifth (docs/mcp-sdk.md §6.3).

Argument validation uses the pydantic model, never the advertised dict, so rewriting the dict is safe. Output
schemas lose the null alternative of optional properties only: the SDK would dump ``None`` as ``null`` and clients
validate against the schema, but every result goes through ``results.dump``, which leaves ``None`` out instead.

Input objects that declare ``properties`` are closed with ``additionalProperties: false``: the server refuses
any other key (``strict``), and a client validating against the schema can refuse it first.

Output schemas are then advertised as their outline (``schema_outline``): the one change here that loosens a
schema, and only an output one, so every result still validates.

Only schema positions are walked, so a *property named* ``title`` survives while the ``title`` keyword goes.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from kintone_mcp.server.schema_outline import outline

Kind = Literal["input", "output"]

_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_SINGLE = ("items", "not", "additionalProperties", "contains", "if", "then", "else", "propertyNames")
_NULL = {"type": "null"}


def slim(schema: dict[str, Any] | None, kind: Kind) -> dict[str, Any] | None:
    if schema is None:
        return None
    out = copy.deepcopy(schema)
    _inline_single_use_defs(out)
    walked = _walk(out, kind)
    assert isinstance(walked, dict)
    result: dict[str, Any] = outline(walked) if kind == "output" else walked
    return result


def _walk(node: Any, kind: Kind) -> Any:
    if not isinstance(node, dict):
        return node
    node.pop("title", None)
    if node.get("additionalProperties") is True:
        del node["additionalProperties"]
    if kind == "output":
        node.pop("default", None)
    for key in _SCHEMA_MAPS:
        sub = node.get(key)
        if isinstance(sub, dict):
            node[key] = {name: _walk(s, kind) for name, s in sub.items()}
    for key in _SCHEMA_LISTS:
        sub = node.get(key)
        if isinstance(sub, list):
            node[key] = [_walk(s, kind) for s in sub]
    for key in _SCHEMA_SINGLE:
        if isinstance(node.get(key), dict):
            node[key] = _walk(node[key], kind)
    if kind == "input":
        _collapse_optional(node)
        if isinstance(node.get("properties"), dict):
            # A declared object takes nothing else: the server refuses unknown keys (server/strict.py), and says so.
            node.setdefault("additionalProperties", False)
    else:
        _drop_null_of_optional_properties(node)
    _drop_integer_beside_number(node)
    return node


_INTEGER, _NUMBER = {"type": "integer"}, {"type": "number"}


def _drop_integer_beside_number(node: dict[str, Any]) -> None:
    """``anyOf [string, integer, number]`` (pydantic's ``str | int | float``) -> ``anyOf [string, number]``: every
    integer is a number, so the same values pass. The alternatives stay an ``anyOf`` of single types rather than
    becoming a type list (``"type": ["string", "number"]``), which is shorter but which Gemini's function
    declarations refuse, and with them every tool of the server, in the hosts that pass schemas on to Gemini."""
    any_of = node.get("anyOf")
    if isinstance(any_of, list) and _INTEGER in any_of and _NUMBER in any_of:
        any_of.remove(_INTEGER)


def _drop_null_of_optional_properties(node: dict[str, Any]) -> None:
    """Output: an optional property's ``{"type": "null"}`` alternative goes, as results never carry it (``results``
    dumps with ``exclude_none``: no value is written as an absent property). A required one keeps it."""
    props = node.get("properties")
    if not isinstance(props, dict):
        return
    required = set(node.get("required") or ())
    for name, sub in props.items():
        if name in required or not isinstance(sub, dict):
            continue
        any_of = sub.get("anyOf")
        if not isinstance(any_of, list) or _NULL not in any_of:
            continue
        rest = [s for s in any_of if s != _NULL]
        del sub["anyOf"]
        if len(rest) == 1 and not (set(rest[0]) & set(sub)):
            sub.update(rest[0])
        else:
            sub["anyOf"] = rest


def _collapse_optional(node: dict[str, Any]) -> None:
    """``{"anyOf": [X, null], "default": null, ...}`` -> ``{...X, ...}``: optionality already lives in ``required``."""
    any_of = node.get("anyOf")
    if not isinstance(any_of, list) or _NULL not in any_of or node.get("default") is not None:
        return
    rest = [s for s in any_of if s != _NULL]
    node.pop("default", None)
    del node["anyOf"]
    if len(rest) == 1:
        for k, v in rest[0].items():
            node.setdefault(k, v)
    else:
        node["anyOf"] = rest


def _refs(node: Any, found: list[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            found.append(ref[len("#/$defs/") :])
        for v in node.values():
            _refs(v, found)
    elif isinstance(node, list):
        for v in node:
            _refs(v, found)


def _reaches(defs: dict[str, Any], start: str, target: str) -> bool:
    seen: set[str] = set()
    stack = [start]
    while stack:
        name = stack.pop()
        if name in seen or name not in defs:
            continue
        seen.add(name)
        refs: list[str] = []
        _refs(defs[name], refs)
        if target in refs:
            return True
        stack.extend(refs)
    return False


def _inline_single_use_defs(schema: dict[str, Any]) -> None:
    defs = schema.get("$defs")
    if not isinstance(defs, dict):
        return
    while True:
        refs: list[str] = []
        _refs(schema, refs)
        single = [n for n in defs if refs.count(n) == 1 and not _reaches(defs, n, n)]
        if not single:
            break
        name = single[0]
        body = defs.pop(name)
        _replace_ref(schema, f"#/$defs/{name}", body)
    if not defs:
        del schema["$defs"]


def _replace_ref(node: Any, ref: str, body: dict[str, Any]) -> bool:
    if isinstance(node, dict):
        if node.get("$ref") == ref:
            del node["$ref"]
            for k, v in copy.deepcopy(body).items():
                node.setdefault(k, v)
            return True
        return any(_replace_ref(v, ref, body) for v in node.values())
    if isinstance(node, list):
        return any(_replace_ref(v, ref, body) for v in node)
    return False
