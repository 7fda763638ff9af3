"""Field properties (``app/form/fields.json``) as a discriminated union on ``type``.

Every field type of docs/kintone-api.md §4.1 has its model; a type this client does not know yet becomes
:class:`UnknownField` (with every attribute kept) instead of failing the whole app. Lookups are reported by Kintone
with the key field's type (SINGLE_LINE_TEXT or NUMBER) plus a ``lookup`` object, so they are those models with
``lookup`` set.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, PrivateAttr, Tag

from kintone_mcp.client.models.base import EntityRef, KintoneModel, OptionalDecimal, OptionalInt


class RelatedApp(KintoneModel):
    app: OptionalInt = None
    code: str = ""


class FieldMapping(KintoneModel):
    field: str
    related_field: str


class Lookup(KintoneModel):
    related_app: RelatedApp
    related_key_field: str
    field_mappings: list[FieldMapping] = Field(default_factory=list)
    lookup_picker_fields: list[str] = Field(default_factory=list)
    filter_cond: str = ""
    sort: str = ""


class Option(KintoneModel):
    label: str
    index: int = 0


class DefaultEntity(KintoneModel):
    """A default value of a user/organization/group field: an entity or a FUNCTION such as ``LOGINUSER()``."""

    code: str
    type: str = "USER"


class ReferenceCondition(KintoneModel):
    field: str
    related_field: str


class ReferenceTable(KintoneModel):
    related_app: RelatedApp
    condition: ReferenceCondition
    filter_cond: str = ""
    display_fields: list[str] = Field(default_factory=list)
    sort: str = ""
    size: OptionalInt = None


class _Field(KintoneModel):
    type: str
    code: str
    label: str = ""
    no_label: bool = False


class _Requirable(_Field):
    required: bool = False


class _WithOptions(_Requirable):
    options: dict[str, Option] = Field(default_factory=dict)

    @property
    def option_labels(self) -> list[str]:
        """Option labels in the order the form shows them."""
        return [o.label for o in sorted(self.options.values(), key=lambda o: o.index)]


# --- system fields -------------------------------------------------------------------------------------------


class RecordNumberField(_Field):
    type: Literal["RECORD_NUMBER"] = "RECORD_NUMBER"


class IdField(_Field):
    type: Literal["__ID__"] = "__ID__"


class RevisionField(_Field):
    type: Literal["__REVISION__"] = "__REVISION__"


class CreatorField(_Field):
    type: Literal["CREATOR"] = "CREATOR"


class CreatedTimeField(_Field):
    type: Literal["CREATED_TIME"] = "CREATED_TIME"


class ModifierField(_Field):
    type: Literal["MODIFIER"] = "MODIFIER"


class UpdatedTimeField(_Field):
    type: Literal["UPDATED_TIME"] = "UPDATED_TIME"


class CategoryField(_Field):
    type: Literal["CATEGORY"] = "CATEGORY"
    enabled: bool = False


class StatusField(_Field):
    type: Literal["STATUS"] = "STATUS"
    enabled: bool = False


class StatusAssigneeField(_Field):
    type: Literal["STATUS_ASSIGNEE"] = "STATUS_ASSIGNEE"
    enabled: bool = False


# --- text and numbers ---------------------------------------------------------------------------------------


class SingleLineTextField(_Requirable):
    type: Literal["SINGLE_LINE_TEXT"] = "SINGLE_LINE_TEXT"
    default_value: str = ""
    unique: bool = False
    min_length: OptionalInt = None
    max_length: OptionalInt = None
    expression: str = ""
    hide_expression: bool = False
    lookup: Lookup | None = None


class NumberField(_Requirable):
    type: Literal["NUMBER"] = "NUMBER"
    default_value: str = ""
    unique: bool = False
    min_value: OptionalDecimal = None
    max_value: OptionalDecimal = None
    digit: bool = False
    display_scale: OptionalInt = None
    unit: str = ""
    unit_position: str = "BEFORE"
    lookup: Lookup | None = None


class CalcField(_Requirable):
    type: Literal["CALC"] = "CALC"
    expression: str = ""
    hide_expression: bool = False
    format: str = "NUMBER"
    display_scale: OptionalInt = None
    unit: str = ""
    unit_position: str = "BEFORE"


class MultiLineTextField(_Requirable):
    type: Literal["MULTI_LINE_TEXT"] = "MULTI_LINE_TEXT"
    default_value: str = ""


class RichTextField(_Requirable):
    type: Literal["RICH_TEXT"] = "RICH_TEXT"
    default_value: str = ""


class LinkField(_Requirable):
    type: Literal["LINK"] = "LINK"
    default_value: str = ""
    unique: bool = False
    min_length: OptionalInt = None
    max_length: OptionalInt = None
    protocol: str = "WEB"


# --- choices ------------------------------------------------------------------------------------------------


class CheckBoxField(_WithOptions):
    type: Literal["CHECK_BOX"] = "CHECK_BOX"
    default_value: list[str] = Field(default_factory=list)
    align: str = "HORIZONTAL"


class MultiSelectField(_WithOptions):
    type: Literal["MULTI_SELECT"] = "MULTI_SELECT"
    default_value: list[str] = Field(default_factory=list)


class RadioButtonField(_WithOptions):
    type: Literal["RADIO_BUTTON"] = "RADIO_BUTTON"
    default_value: str = ""
    align: str = "HORIZONTAL"


class DropDownField(_WithOptions):
    type: Literal["DROP_DOWN"] = "DROP_DOWN"
    default_value: str = ""


# --- files, dates, entities ----------------------------------------------------------------------------------


class FileField(_Requirable):
    type: Literal["FILE"] = "FILE"
    thumbnail_size: OptionalInt = None


class DateField(_Requirable):
    type: Literal["DATE"] = "DATE"
    default_value: str = ""
    unique: bool = False
    default_now_value: bool = False


class TimeField(_Requirable):
    type: Literal["TIME"] = "TIME"
    default_value: str = ""
    default_now_value: bool = False


class DateTimeField(_Requirable):
    type: Literal["DATETIME"] = "DATETIME"
    default_value: str = ""
    unique: bool = False
    default_now_value: bool = False


class _EntitySelect(_Requirable):
    default_value: list[DefaultEntity] = Field(default_factory=list)
    entities: list[EntityRef] = Field(default_factory=list)


class UserSelectField(_EntitySelect):
    type: Literal["USER_SELECT"] = "USER_SELECT"


class OrganizationSelectField(_EntitySelect):
    type: Literal["ORGANIZATION_SELECT"] = "ORGANIZATION_SELECT"


class GroupSelectField(_EntitySelect):
    type: Literal["GROUP_SELECT"] = "GROUP_SELECT"


# --- layout-ish fields ---------------------------------------------------------------------------------------


class GroupField(_Field):
    """A field group (a collapsible section of the form), not a user group."""

    type: Literal["GROUP"] = "GROUP"
    open_group: bool = False


class ReferenceTableField(_Field):
    """Related records: a live view of another app's records; has no value in record JSON."""

    type: Literal["REFERENCE_TABLE"] = "REFERENCE_TABLE"
    reference_table: ReferenceTable


class SubtableField(_Field):
    type: Literal["SUBTABLE"] = "SUBTABLE"
    fields: dict[str, FieldProperty] = Field(default_factory=dict)


class UnknownField(_Field):
    """A field type this client does not model; every attribute Kintone sent is kept as an extra."""


_MODELS: dict[str, type[_Field]] = {
    m.model_fields["type"].default: m
    for m in (
        RecordNumberField,
        IdField,
        RevisionField,
        CreatorField,
        CreatedTimeField,
        ModifierField,
        UpdatedTimeField,
        CategoryField,
        StatusField,
        StatusAssigneeField,
        SingleLineTextField,
        NumberField,
        CalcField,
        MultiLineTextField,
        RichTextField,
        LinkField,
        CheckBoxField,
        MultiSelectField,
        RadioButtonField,
        DropDownField,
        FileField,
        DateField,
        TimeField,
        DateTimeField,
        UserSelectField,
        OrganizationSelectField,
        GroupSelectField,
        GroupField,
        ReferenceTableField,
        SubtableField,
    )
}

#: every field type this client models, in Kintone's spelling
FIELD_TYPES: frozenset[str] = frozenset(_MODELS)


def _field_tag(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if isinstance(kind, str) and kind in _MODELS else "UNKNOWN"


FieldProperty = Annotated[
    Annotated[RecordNumberField, Tag("RECORD_NUMBER")]
    | Annotated[IdField, Tag("__ID__")]
    | Annotated[RevisionField, Tag("__REVISION__")]
    | Annotated[CreatorField, Tag("CREATOR")]
    | Annotated[CreatedTimeField, Tag("CREATED_TIME")]
    | Annotated[ModifierField, Tag("MODIFIER")]
    | Annotated[UpdatedTimeField, Tag("UPDATED_TIME")]
    | Annotated[CategoryField, Tag("CATEGORY")]
    | Annotated[StatusField, Tag("STATUS")]
    | Annotated[StatusAssigneeField, Tag("STATUS_ASSIGNEE")]
    | Annotated[SingleLineTextField, Tag("SINGLE_LINE_TEXT")]
    | Annotated[NumberField, Tag("NUMBER")]
    | Annotated[CalcField, Tag("CALC")]
    | Annotated[MultiLineTextField, Tag("MULTI_LINE_TEXT")]
    | Annotated[RichTextField, Tag("RICH_TEXT")]
    | Annotated[LinkField, Tag("LINK")]
    | Annotated[CheckBoxField, Tag("CHECK_BOX")]
    | Annotated[MultiSelectField, Tag("MULTI_SELECT")]
    | Annotated[RadioButtonField, Tag("RADIO_BUTTON")]
    | Annotated[DropDownField, Tag("DROP_DOWN")]
    | Annotated[FileField, Tag("FILE")]
    | Annotated[DateField, Tag("DATE")]
    | Annotated[TimeField, Tag("TIME")]
    | Annotated[DateTimeField, Tag("DATETIME")]
    | Annotated[UserSelectField, Tag("USER_SELECT")]
    | Annotated[OrganizationSelectField, Tag("ORGANIZATION_SELECT")]
    | Annotated[GroupSelectField, Tag("GROUP_SELECT")]
    | Annotated[GroupField, Tag("GROUP")]
    | Annotated[ReferenceTableField, Tag("REFERENCE_TABLE")]
    | Annotated[SubtableField, Tag("SUBTABLE")]
    | Annotated[UnknownField, Tag("UNKNOWN")],
    Discriminator(_field_tag),
]

SubtableField.model_rebuild()


class FormFields(KintoneModel):
    """``app/form/fields.json``: every field of an app by code, with the settings revision."""

    properties: dict[str, FieldProperty]
    revision: OptionalInt = None
    _raw: dict[str, Any] = PrivateAttr(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FormFields:
        return cls.model_validate(data).with_raw(data)

    def with_raw(self, data: dict[str, Any]) -> FormFields:
        """Keeps the JSON this was read from, so that :meth:`raw` gives it back unchanged."""
        self._raw = data.get("properties", {})
        return self

    def field_types(self) -> dict[str, str]:
        """``{code: type}`` for top-level fields and, under their own codes, fields inside subtables."""
        out: dict[str, str] = {}
        for code, prop in self.properties.items():
            out[code] = prop.type
            if isinstance(prop, SubtableField):
                for inner_code, inner in prop.fields.items():
                    out[inner_code] = inner.type
        return out

    def subtable_of(self) -> dict[str, str]:
        """``{inner field code: subtable code}``."""
        return {
            inner: code
            for code, prop in self.properties.items()
            if isinstance(prop, SubtableField)
            for inner in prop.fields
        }

    def related_apps(self) -> frozenset[int]:
        """Apps this app's lookups and related-records fields read from (their API tokens are needed on writes)."""
        apps: set[int] = set()
        props: list[Any] = list(self.properties.values())
        for prop in list(props):
            if isinstance(prop, SubtableField):
                props.extend(prop.fields.values())
        for prop in props:
            lookup = getattr(prop, "lookup", None)
            if isinstance(lookup, Lookup) and lookup.related_app.app is not None:
                apps.add(lookup.related_app.app)
            if isinstance(prop, ReferenceTableField) and prop.reference_table.related_app.app is not None:
                apps.add(prop.reference_table.related_app.app)
        return frozenset(apps)

    def raw(self) -> dict[str, Any]:
        """The properties exactly as Kintone sent them (the format the query checker and the sandbox read)."""
        if self._raw:
            return self._raw
        return {code: prop.model_dump(by_alias=True, exclude_none=True) for code, prop in self.properties.items()}


__all__ = [
    "FIELD_TYPES",
    "CalcField",
    "CategoryField",
    "CheckBoxField",
    "CreatedTimeField",
    "CreatorField",
    "DateField",
    "DateTimeField",
    "DefaultEntity",
    "DropDownField",
    "FieldMapping",
    "FieldProperty",
    "FileField",
    "FormFields",
    "GroupField",
    "GroupSelectField",
    "IdField",
    "LinkField",
    "Lookup",
    "ModifierField",
    "MultiLineTextField",
    "MultiSelectField",
    "NumberField",
    "Option",
    "OrganizationSelectField",
    "RadioButtonField",
    "RecordNumberField",
    "ReferenceCondition",
    "ReferenceTable",
    "ReferenceTableField",
    "RelatedApp",
    "RevisionField",
    "RichTextField",
    "SingleLineTextField",
    "StatusAssigneeField",
    "StatusField",
    "SubtableField",
    "TimeField",
    "UnknownField",
    "UpdatedTimeField",
    "UserSelectField",
]
