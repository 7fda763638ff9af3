"""A record as Kintone sent it, with typed access on demand.

:class:`Record` is a thin read-only mapping over the raw ``{code: {"type": ..., "value": ...}}`` dict: building
one costs a single small object, so iterating 20,000 records stays as fast as the JSON decoding itself. Typed
values (:mod:`kintone_mcp.client.models.values`) are built only when asked for.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kintone_mcp.client.models.values import FIELD_VALUE, TYPED_RECORD, FieldValue


class Record(Mapping[str, dict[str, Any]]):
    """``record["Title"]`` is Kintone's raw ``{"type": ..., "value": ...}`` dict; ``record.raw`` is the whole dict.

    ``id`` and ``revision`` come from ``$id`` / ``$revision`` (absent when the request named ``fields`` without
    them). ``record.value("Title")`` is the raw value; ``record.field("Amount")`` the typed model
    (``NumberValue(value=Decimal("12.5"))``); ``record.typed()`` every field typed.
    """

    __slots__ = ("raw",)

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    def __getitem__(self, code: str) -> dict[str, Any]:
        item: dict[str, Any] = self.raw[code]
        return item

    def __iter__(self) -> Iterator[str]:
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)

    def __repr__(self) -> str:
        return f"Record(id={self.id}, revision={self.revision}, fields={len(self.raw)})"

    def _system(self, code: str) -> int | None:
        item = self.raw.get(code)
        if not isinstance(item, dict):
            return None
        try:
            return int(item.get("value"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None

    @property
    def id(self) -> int | None:
        return self._system("$id")

    @property
    def revision(self) -> int | None:
        return self._system("$revision")

    def value(self, code: str, default: Any = None) -> Any:
        """The raw value of a field (a string for NUMBER, a list of ``{code, name}`` for users, ...)."""
        item = self.raw.get(code)
        return item.get("value", default) if isinstance(item, dict) else default

    def field(self, code: str) -> FieldValue:
        """The field's typed value model; raises ``KeyError`` for a code the record does not hold."""
        return FIELD_VALUE.validate_python(self.raw[code])

    def typed(self) -> dict[str, FieldValue]:
        return TYPED_RECORD.validate_python(self.raw)
