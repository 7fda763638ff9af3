"""Request parameters, from the query string and/or a JSON body, with Kintone's validation errors.

Kintone accepts GET parameters in the query string (arrays as ``ids[0]=1&ids[1]=2``) or in a JSON body, and
DELETE parameters either way too, so every endpoint reads one merged mapping.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from kintone_mcp.sandbox.errors import invalid

_INDEXED = re.compile(r"^(?P<name>[^\[\]]+)\[(?P<index>\d*)\]$")
_INT = re.compile(r"^-?\d+$")


def parse_query_items(items: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """``a=1&ids[0]=5&ids[1]=6&fields=x&fields=y`` -> ``{"a": "1", "ids": ["5", "6"], "fields": ["x", "y"]}``."""
    scalars: dict[str, list[str]] = {}
    indexed: dict[str, list[tuple[int, str]]] = {}
    for key, value in items:
        m = _INDEXED.match(key)
        if m:
            slot = indexed.setdefault(m["name"], [])
            slot.append((int(m["index"]) if m["index"] else len(slot), value))
        else:
            scalars.setdefault(key, []).append(value)
    result: dict[str, Any] = {k: v[0] if len(v) == 1 else v for k, v in scalars.items()}
    for name, pairs in indexed.items():
        result[name] = [v for _, v in sorted(pairs, key=lambda p: p[0])]
    return result


class Params:
    """Typed access to one request's parameters; every problem becomes a CB_VA01 naming the parameter."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = dict(data)

    def __contains__(self, name: str) -> bool:
        return name in self.data and self.data[name] is not None

    def raw(self, name: str) -> Any:
        return self.data.get(name)

    def require(self, name: str) -> Any:
        value = self.data.get(name)
        if value is None or value == "":
            raise invalid(name, "Required field.")
        return value

    def get_int(self, name: str, *, required: bool = True, minimum: int | None = None, maximum: int | None = None,
            default: int | None = None) -> int | None:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise invalid(name, "Required field.")
            return default
        return to_int(value, name, minimum=minimum, maximum=maximum)

    def require_int(self, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
        value = self.get_int(name, required=True, minimum=minimum, maximum=maximum)
        assert value is not None
        return value

    def get_str(self, name: str, *, required: bool = False) -> str | None:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise invalid(name, "Required field.")
            return None if value is None else ""
        if not isinstance(value, str | int | float):
            raise invalid(name, "Must be a string.")
        return str(value)

    def get_bool(self, name: str, *, default: bool = False) -> bool:
        value = self.data.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise invalid(name, "Must be true or false.")

    def get_list(self, name: str, *, required: bool = False, max_items: int | None = None) -> list[Any]:
        value = self.data.get(name)
        if value is None:
            if required:
                raise invalid(name, "Required field.")
            return []
        items = value if isinstance(value, list) else [value]
        if required and not items:
            raise invalid(name, "Required field.")
        if max_items is not None and len(items) > max_items:
            raise invalid(name, f"Specify at most {max_items} items.")
        return items


def to_int(value: Any, key: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    if isinstance(value, bool):
        raise invalid(key, "Enter an integer value.")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _INT.match(value.strip()):
        number = int(value.strip())
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        raise invalid(key, "Enter an integer value.")
    if minimum is not None and number < minimum:
        raise invalid(key, f"Enter a value greater than or equal to {minimum}.")
    if maximum is not None and number > maximum:
        raise invalid(key, f"Enter a value less than or equal to {maximum}.")
    return number
