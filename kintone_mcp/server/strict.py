"""Unknown arguments are refused, at the top level and inside nested objects, for every tool.

pydantic ignores keys a model does not declare, so ``get_records {"view": "Pipeline"}`` or ``{"sort": "amount
desc"}`` used to answer as if nothing had been asked: a wrong answer a model cannot tell from a right one. The
check runs on the *advertised* input schema (after ``schema_slim``, which closes every object that has
``properties`` with ``additionalProperties: false``), so what is refused is exactly what the schema says is not
taken, and a tool added later is strict without doing anything. Free-form objects (a record's field code -> value
map) have no ``properties`` and stay open; their keys are checked against the app's fields by the tools.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping
from typing import Any

#: Names models reach for that mean one of our arguments; difflib would not find these (too different).
_SYNONYMS = {
    "sort": "order_by", "order": "order_by", "orderby": "order_by", "sort_by": "order_by",
    "where": "filter", "conditions": "filter", "filters": "filter",
    "size": "limit", "page_size": "limit", "max": "limit", "top": "limit", "count": "limit", "max_results": "limit",
    "app_id": "app", "appid": "app", "columns": "fields", "field": "fields", "select": "fields",
    "cursor": "next", "token": "next", "page_token": "next", "continuation": "next", "offset": "next",
    "record_id": "id", "records_ids": "ids",
}  # fmt: skip


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = (root.get("$defs") or {}).get(ref[len("#/$defs/") :])
        if isinstance(target, Mapping):
            return {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _closed(schema: Mapping[str, Any]) -> bool:
    return isinstance(schema.get("properties"), Mapping) and schema.get("additionalProperties") is False


def _maybe_json(value: Any) -> Any:
    # The SDK parses a JSON string given where an object or list is expected (some hosts send them so); check
    # what it will validate.
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value


def _alternatives(schema: Mapping[str, Any], root: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    schema = _resolve(schema, root)
    alts = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(alts, list):
        return [a for alt in alts if isinstance(alt, Mapping) for a in _alternatives(alt, root)]
    return [schema]


def suggestion(name: str, allowed: list[str]) -> str:
    """`` (did you mean `x`?)`` for a likely intended name among ``allowed``, or ``""``."""
    wanted = _SYNONYMS.get(name.lower())
    if wanted not in allowed:
        close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
        wanted = close[0] if close else None
    return f" (did you mean `{wanted}`?)" if wanted else ""


def unknown_keys(schema: Mapping[str, Any], value: Any, where: str = "") -> Iterator[str]:
    """One line per key ``value`` has that the schema does not take, anywhere inside it."""
    yield from _walk(schema, _maybe_json(value), where, schema)


def _walk(schema: Mapping[str, Any], value: Any, where: str, root: Mapping[str, Any]) -> Iterator[str]:
    if isinstance(value, Mapping):
        objects = [a for a in _alternatives(schema, root) if a.get("type") == "object" or "properties" in a]
        if not objects or any(not _closed(a) and "properties" not in a for a in objects):
            # Not an object here (the type error is pydantic's to report), or a free-form map.
            for alt in objects:
                extra = alt.get("additionalProperties")
                if isinstance(extra, Mapping):
                    for key, item in value.items():
                        yield from _walk(extra, _maybe_json(item), f"{where}.{key}" if where else str(key), root)
            return
        fits = [a for a in objects if not _closed(a) or set(value) <= set(a["properties"])]
        chosen = fits[0] if fits else max(objects, key=lambda a: len(set(value) & set(a["properties"])))
        props: Mapping[str, Any] = chosen.get("properties") or {}
        allowed = list(props)
        if _closed(chosen):
            for key in value:
                if key not in props:
                    hint = suggestion(str(key), allowed)
                    if where:
                        yield f"`{where}` has no key `{key}`{hint}; its keys are: {', '.join(allowed)}"
                    elif allowed:
                        yield f"no argument `{key}`{hint}; the arguments are: {', '.join(allowed)}"
                    else:
                        yield f"no argument `{key}`: it takes no arguments"
        for key, item in value.items():
            if key in props:
                yield from _walk(props[key], _maybe_json(item), f"{where}.{key}" if where else str(key), root)
    elif isinstance(value, list):
        for alt in _alternatives(schema, root):
            items = alt.get("items")
            if isinstance(items, Mapping):
                for i, item in enumerate(value):
                    yield from _walk(items, _maybe_json(item), f"{where}[{i}]", root)
                return


def refusal(tool: str, problems: list[str]) -> str:
    return (
        f"{tool} was not run: it does not understand part of the call, and ignoring it could answer a different "
        "question.\n- " + "\n- ".join(problems) + "\nRemove or rename these and call again."
    )
