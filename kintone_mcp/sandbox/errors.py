"""The one exception the sandbox raises to answer with a Kintone error body."""

from __future__ import annotations

from typing import Any


class KintoneError(Exception):
    """Becomes ``{code, id, message, errors?}`` with ``status`` as the HTTP status.

    ``errors`` follows Kintone's shape, e.g. ``{"record.Title.value": {"messages": ["Required."]}}``.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        errors: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.headers = headers or {}
