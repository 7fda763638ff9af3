"""Turning Kintone's JSON into models, with a client error (not a pydantic one) when the shape is unexpected."""

from __future__ import annotations

from typing import Any, TypeVar

import pydantic

from kintone_mcp.client.errors import ServerError

M = TypeVar("M", bound=pydantic.BaseModel)


def _unexpected(what: str, detail: str) -> ServerError:
    return ServerError(
        status=200,
        message=f"the answer for {what} has an unexpected shape ({detail})",
        hint="Kintone may have changed this API, or KINTONE_BASE_URL points at something else; please report it.",
    )


def decode(model: type[M], data: Any, what: str) -> M:
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "top level"
        raise _unexpected(what, f"{where}: {first['msg']}") from None


def decode_list(model: type[M], data: Any, key: str, what: str) -> list[M]:
    """``data[key]`` as a list of models."""
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise _unexpected(what, f"no {key!r} list")
    return [decode(model, item, what) for item in items]
