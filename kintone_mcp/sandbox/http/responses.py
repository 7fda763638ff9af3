"""Turning results and ErrorReply into HTTP responses shaped like Kintone's."""

from __future__ import annotations

import json
import secrets
import string
from typing import Any

from starlette.responses import Response

from kintone_mcp.sandbox import messages
from kintone_mcp.sandbox.errors import ErrorReply

_ID_ALPHABET = string.ascii_letters + string.digits


def new_error_id() -> str:
    """A fresh random id per error, as Kintone gives (clients quote it to support; tests must not compare it)."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(20))


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    # Compact separators and raw UTF-8: record pages are large and mostly text.
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(payload, status_code=status, headers=headers, media_type="application/json; charset=utf-8")


def error_body(exc: ErrorReply, accept_language: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": exc.code,
        "id": new_error_id(),
        "message": messages.localize(exc.code, exc.message, accept_language, exc.params),
    }
    if exc.errors:
        body["errors"] = {
            key: {**detail, "messages": [messages.localize_text(m, accept_language) for m in detail["messages"]]}
            if isinstance(detail, dict) and isinstance(detail.get("messages"), list)
            else detail
            for key, detail in exc.errors.items()
        }
    return body


class PreparedError(ErrorReply):
    """An error whose whole body the raiser built: bulkRequest answers ``{"results": [{}, {code, ...}, {}]}``
    rather than a bare error object. Raising it still rolls the request's transaction back."""

    def __init__(self, status: int, code: str, message: str, body: dict[str, Any]) -> None:
        super().__init__(status, code, message)
        self.body = body


def error_response(exc: ErrorReply, accept_language: str | None) -> Response:
    headers = {"X-Cybozu-Error": exc.code, **exc.headers}
    body = exc.body if isinstance(exc, PreparedError) else error_body(exc, accept_language)
    return json_response(body, exc.status, headers)
