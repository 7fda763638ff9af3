"""Advertise an output schema as its outline: the top-level properties with their types, not the whole tree.

An ``outputSchema`` is there for clients to check ``structuredContent`` against (MCP: the content must validate when
a schema is given) and for a model to know what an answer holds before it calls. Both are served by the top level:
each property, its type, what it means where the name does not say, and which are always there. The structure
beneath (the columns of get_app's fields, a group's keys, a comment's author) is in every answer itself, where the
model reads it anyway; spelled out in the schema it cost 2.9 KB of the default ``tools/list`` (a quarter of the output
schemas) and taught nothing the answer does not.

An outline accepts everything the full schema accepts (it only drops constraints), so every result still
validates, and it still types every property (the Inspector's strict check): an array keeps its item type, a map
its value type, an object inside them is ``{"type": "object"}``.
"""

from __future__ import annotations

from typing import Any

#: what a property keeps besides its type (the annotations that tell a model what it holds)
_KEEP = ("type", "enum", "const", "description")


def outline(schema: dict[str, Any]) -> dict[str, Any]:
    """The root object with its properties outlined; ``$defs`` go with the structure that used them."""
    defs = schema.get("$defs") or {}
    props = {name: _property(sub, defs) for name, sub in (schema.get("properties") or {}).items()}
    out: dict[str, Any] = {"type": "object", "properties": props}
    if schema.get("required"):
        out["required"] = schema["required"]
    return out


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/") and ref[len("#/$defs/") :] in defs:
        return {**defs[ref[len("#/$defs/") :]], **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _property(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    node = _resolve(node, defs)
    out = {k: node[k] for k in _KEEP if k in node}
    out.update(_shape(node, defs))
    return out


def _shape(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """A type with its item or value type one level down, and nothing deeper."""
    out: dict[str, Any] = {}
    if isinstance(node.get("anyOf"), list):
        out["anyOf"] = [_type_only(_resolve(alt, defs), defs) for alt in node["anyOf"]]
    for key in ("items", "additionalProperties"):
        sub = node.get(key)
        if isinstance(sub, dict):
            inner = _type_only(_resolve(sub, defs), defs)
            # An array keeps its `items` even when they say nothing (Gemini refuses an array without them).
            if inner or key == "items":
                out[key] = inner
    return out


def _type_only(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """The type alone; an array's items too (an array of arrays is as deep as this goes: objects stop it)."""
    if "type" in node or "enum" in node:
        out: dict[str, Any] = {k: node[k] for k in ("type", "enum") if k in node}
        if node.get("type") == "array" and isinstance(node.get("items"), dict):
            out["items"] = _type_only(_resolve(node["items"], defs), defs)
        return out
    if isinstance(node.get("anyOf"), list):
        return {"anyOf": [_type_only(_resolve(alt, defs), defs) for alt in node["anyOf"]]}
    return {}
