"""Shared pieces of the pydantic models: camelCase aliases, tolerant number parsing, entities."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic.alias_generators import to_camel


class KintoneModel(BaseModel):
    """Base of every model: Kintone's camelCase keys, snake_case attributes, unknown keys kept.

    Kintone adds attributes over time; ``extra="allow"`` keeps them (``model_dump(by_alias=True)`` gives the
    original JSON back) instead of failing or silently dropping them.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
        frozen=True,
    )


def _empty_to_none(value: Any) -> Any:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    return value


def _to_decimal(value: Any) -> Decimal | None:
    value = _empty_to_none(value)
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {value!r}") from exc


#: an id, revision or count: Kintone sends them as strings ("12"), some endpoints as numbers; "" means unset
OptionalInt = Annotated[int | None, BeforeValidator(_empty_to_none)]
#: a decimal setting or value sent as a string ("12.5"); "" means unset
OptionalDecimal = Annotated[Decimal | None, BeforeValidator(_to_decimal)]
#: ids that Kintone may send as strings or numbers; "" or null become None
OptionalStr = Annotated[str | None, BeforeValidator(lambda v: None if v is None or v == "" else str(v))]


class Entity(KintoneModel):
    """A user, organization or group as Kintone shows it in records and settings: ``{code, name}``."""

    code: str
    name: str = ""


class EntityRef(KintoneModel):
    """``{type, code}``: USER, GROUP, ORGANIZATION, FUNCTION, FIELD_ENTITY, CREATOR, CUSTOM_FIELD (code may be null)."""

    type: str
    code: str | None = None
