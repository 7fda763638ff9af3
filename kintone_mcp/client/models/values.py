"""Typed record field values (docs/kintone-api.md §5) as a discriminated union on ``type``.

These models are built on demand (:meth:`Record.field`), never in the export loop: a record stays the raw
``{code: {type, value}}`` dict Kintone sent, which is what the server layer compacts, and a caller who wants Python
types asks for them field by field.

Conversions: NUMBER → ``Decimal`` (``None`` when empty); DATE → ``date``; TIME → ``time``; DATETIME and the
created/updated times → aware ``datetime`` (UTC); users, organizations and groups → ``Entity`` lists; FILE →
``FileInfo`` list; SUBTABLE → rows whose values are again typed. CALC stays a string because its representation
depends on the field's format (a number, a date, a duration).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal, get_args

from pydantic import BeforeValidator, Discriminator, Field, Tag, TypeAdapter

from kintone_mcp.client.models.base import Entity, KintoneModel, OptionalDecimal, OptionalInt


def _blank_to_none(value: Any) -> Any:
    return None if value == "" else value


_OptDate = Annotated[date | None, BeforeValidator(_blank_to_none)]
_OptTime = Annotated[time | None, BeforeValidator(_blank_to_none)]
_OptDateTime = Annotated[datetime | None, BeforeValidator(_blank_to_none)]


class FileInfo(KintoneModel):
    """A file attached to a record. ``file_key`` is the *download* key (not the upload key)."""

    file_key: str
    name: str = ""
    content_type: str = ""
    size: OptionalInt = None


class _Value(KintoneModel):
    type: str


class IdValue(_Value):
    type: Literal["__ID__"]
    value: int


class RevisionValue(_Value):
    type: Literal["__REVISION__"]
    value: int


class RecordNumberValue(_Value):
    """A record number: ``"12"``, or ``"APPCODE-12"`` when the app has an app code."""

    type: Literal["RECORD_NUMBER"]
    value: str


class SingleLineTextValue(_Value):
    type: Literal["SINGLE_LINE_TEXT"]
    value: str = ""


class MultiLineTextValue(_Value):
    type: Literal["MULTI_LINE_TEXT"]
    value: str = ""


class RichTextValue(_Value):
    type: Literal["RICH_TEXT"]
    value: str = ""


class LinkValue(_Value):
    type: Literal["LINK"]
    value: str = ""


class NumberValue(_Value):
    type: Literal["NUMBER"]
    value: OptionalDecimal = None


class CalcValue(_Value):
    type: Literal["CALC"]
    value: str = ""


class CheckBoxValue(_Value):
    type: Literal["CHECK_BOX"]
    value: list[str] = Field(default_factory=list)


class MultiSelectValue(_Value):
    type: Literal["MULTI_SELECT"]
    value: list[str] = Field(default_factory=list)


class CategoryValue(_Value):
    type: Literal["CATEGORY"]
    value: list[str] = Field(default_factory=list)


class RadioButtonValue(_Value):
    type: Literal["RADIO_BUTTON"]
    value: str | None = None


class DropDownValue(_Value):
    type: Literal["DROP_DOWN"]
    value: Annotated[str | None, BeforeValidator(_blank_to_none)] = None


class StatusValue(_Value):
    type: Literal["STATUS"]
    value: str = ""


class DateValue(_Value):
    type: Literal["DATE"]
    value: _OptDate = None


class TimeValue(_Value):
    type: Literal["TIME"]
    value: _OptTime = None


class DateTimeValue(_Value):
    type: Literal["DATETIME"]
    value: _OptDateTime = None


class CreatedTimeValue(_Value):
    type: Literal["CREATED_TIME"]
    value: datetime


class UpdatedTimeValue(_Value):
    type: Literal["UPDATED_TIME"]
    value: datetime


class CreatorValue(_Value):
    type: Literal["CREATOR"]
    value: Entity


class ModifierValue(_Value):
    type: Literal["MODIFIER"]
    value: Entity


class UserSelectValue(_Value):
    type: Literal["USER_SELECT"]
    value: list[Entity] = Field(default_factory=list)


class OrganizationSelectValue(_Value):
    type: Literal["ORGANIZATION_SELECT"]
    value: list[Entity] = Field(default_factory=list)


class GroupSelectValue(_Value):
    type: Literal["GROUP_SELECT"]
    value: list[Entity] = Field(default_factory=list)


class StatusAssigneeValue(_Value):
    type: Literal["STATUS_ASSIGNEE"]
    value: list[Entity] = Field(default_factory=list)


class FileValue(_Value):
    type: Literal["FILE"]
    value: list[FileInfo] = Field(default_factory=list)


class SubtableRow(KintoneModel):
    id: OptionalInt = None
    value: dict[str, FieldValue] = Field(default_factory=dict)


class SubtableValue(_Value):
    type: Literal["SUBTABLE"]
    value: list[SubtableRow] = Field(default_factory=list)


class UnknownValue(_Value):
    """A field type this client does not model: the value is kept as sent."""

    value: Any = None


_VALUE_MODELS: dict[str, type[_Value]] = {
    get_args(m.model_fields["type"].annotation)[0]: m
    for m in (
        IdValue,
        RevisionValue,
        RecordNumberValue,
        SingleLineTextValue,
        MultiLineTextValue,
        RichTextValue,
        LinkValue,
        NumberValue,
        CalcValue,
        CheckBoxValue,
        MultiSelectValue,
        CategoryValue,
        RadioButtonValue,
        DropDownValue,
        StatusValue,
        DateValue,
        TimeValue,
        DateTimeValue,
        CreatedTimeValue,
        UpdatedTimeValue,
        CreatorValue,
        ModifierValue,
        UserSelectValue,
        OrganizationSelectValue,
        GroupSelectValue,
        StatusAssigneeValue,
        FileValue,
        SubtableValue,
    )
}


def _value_tag(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if isinstance(kind, str) and kind in _VALUE_MODELS else "UNKNOWN"


FieldValue = Annotated[
    Annotated[IdValue, Tag("__ID__")]
    | Annotated[RevisionValue, Tag("__REVISION__")]
    | Annotated[RecordNumberValue, Tag("RECORD_NUMBER")]
    | Annotated[SingleLineTextValue, Tag("SINGLE_LINE_TEXT")]
    | Annotated[MultiLineTextValue, Tag("MULTI_LINE_TEXT")]
    | Annotated[RichTextValue, Tag("RICH_TEXT")]
    | Annotated[LinkValue, Tag("LINK")]
    | Annotated[NumberValue, Tag("NUMBER")]
    | Annotated[CalcValue, Tag("CALC")]
    | Annotated[CheckBoxValue, Tag("CHECK_BOX")]
    | Annotated[MultiSelectValue, Tag("MULTI_SELECT")]
    | Annotated[CategoryValue, Tag("CATEGORY")]
    | Annotated[RadioButtonValue, Tag("RADIO_BUTTON")]
    | Annotated[DropDownValue, Tag("DROP_DOWN")]
    | Annotated[StatusValue, Tag("STATUS")]
    | Annotated[DateValue, Tag("DATE")]
    | Annotated[TimeValue, Tag("TIME")]
    | Annotated[DateTimeValue, Tag("DATETIME")]
    | Annotated[CreatedTimeValue, Tag("CREATED_TIME")]
    | Annotated[UpdatedTimeValue, Tag("UPDATED_TIME")]
    | Annotated[CreatorValue, Tag("CREATOR")]
    | Annotated[ModifierValue, Tag("MODIFIER")]
    | Annotated[UserSelectValue, Tag("USER_SELECT")]
    | Annotated[OrganizationSelectValue, Tag("ORGANIZATION_SELECT")]
    | Annotated[GroupSelectValue, Tag("GROUP_SELECT")]
    | Annotated[StatusAssigneeValue, Tag("STATUS_ASSIGNEE")]
    | Annotated[FileValue, Tag("FILE")]
    | Annotated[SubtableValue, Tag("SUBTABLE")]
    | Annotated[UnknownValue, Tag("UNKNOWN")],
    Discriminator(_value_tag),
]

SubtableRow.model_rebuild()

#: validates one raw ``{type, value}`` dict into its typed model
FIELD_VALUE: TypeAdapter[FieldValue] = TypeAdapter(FieldValue)
#: validates a whole raw record ``{code: {type, value}}``
TYPED_RECORD: TypeAdapter[dict[str, FieldValue]] = TypeAdapter(dict[str, FieldValue])

#: value types the client converts, in Kintone's spelling
VALUE_TYPES: frozenset[str] = frozenset(_VALUE_MODELS)
