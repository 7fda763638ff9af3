"""The one exception the sandbox raises to answer with a Kintone error body, and the CB_VA01 validation errors built
from it (here, beside it, so that modules without HTTP dependencies can raise them too)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ErrorReply(Exception):
    """Raised to answer the request with a Kintone error: becomes ``{code, id, message, errors?}`` with ``status`` as
    the HTTP status. (Not ``KintoneError``: that is the client's root error, which the sandbox never sees.)

    ``errors`` follows Kintone's shape, e.g. ``{"record.Title.value": {"messages": ["Required."]}}``.
    ``params`` are the values the message names (``{"id": 5}``, ``{"field": "Title"}``): the English ``message``
    already holds them, and ``messages.localize`` needs them to say the same in another language.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        errors: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.headers = headers or {}
        self.params: Mapping[str, object] = params or {}


def invalid(key: str, message: str) -> ErrorReply:
    """A CB_VA01 validation error about one request parameter or record field."""
    return ErrorReply(400, "CB_VA01", "Missing or invalid input.", {key: {"messages": [message]}})


def invalid_many(errors: dict[str, list[str]]) -> ErrorReply:
    return ErrorReply(
        400, "CB_VA01", "Missing or invalid input.", {k: {"messages": v} for k, v in errors.items()}
    )
