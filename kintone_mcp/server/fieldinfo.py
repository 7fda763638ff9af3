"""Small readers over Kintone field property dicts (the ``properties`` of ``app/form/fields.json``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

Properties = Mapping[str, Mapping[str, Any]]


def option_labels(prop: Mapping[str, Any]) -> list[str]:
    """Option labels of a choice field, in the order the form shows them (by ``index``)."""
    opts = prop.get("options") or {}
    if not isinstance(opts, Mapping):
        return [str(o) for o in opts]

    def index(item: tuple[str, Any]) -> int:
        meta = item[1]
        try:
            return int(str(meta.get("index", 0))) if isinstance(meta, Mapping) else 0
        except ValueError:
            return 0

    return [str(label) for label, _ in sorted(opts.items(), key=index)]


def walk_fields(properties: Properties) -> Iterator[tuple[str, Mapping[str, Any], str | None]]:
    """Every field as ``(code, property, table code or None)``, subtable inner fields included."""
    for code, prop in properties.items():
        yield code, prop, None
        if prop.get("type") == "SUBTABLE":
            for inner_code, inner in (prop.get("fields") or {}).items():
                yield inner_code, inner, code


def field_type(properties: Properties, code: str) -> tuple[str, str | None] | None:
    """(type, table code or None) of a field anywhere in the form, or None when unknown."""
    for c, prop, table in walk_fields(properties):
        if c == code:
            return str(prop.get("type", "")), table
    return None
