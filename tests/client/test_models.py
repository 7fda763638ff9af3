"""Models read what Kintone sends, including where it is loose: ids as strings or numbers, "" for unset numbers,
field types this client does not know yet."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kintone_mcp.client import App, ServerError, User
from kintone_mcp.client.decode import decode
from kintone_mcp.client.models.apps import ProcessSettings
from kintone_mcp.client.models.fields import FIELD_TYPES, FormFields, NumberField, UnknownField
from kintone_mcp.client.models.record import Record
from kintone_mcp.client.models.values import VALUE_TYPES, NumberValue, UnknownValue

#: every field type of docs/kintone-api.md §4.1 (properties) and §5 (record values)
DOCUMENTED_PROPERTY_TYPES = {
    "RECORD_NUMBER", "CREATOR", "CREATED_TIME", "MODIFIER", "UPDATED_TIME", "CATEGORY", "STATUS", "STATUS_ASSIGNEE",
    "SINGLE_LINE_TEXT", "NUMBER", "CALC", "MULTI_LINE_TEXT", "RICH_TEXT", "LINK", "CHECK_BOX", "MULTI_SELECT",
    "RADIO_BUTTON", "DROP_DOWN", "FILE", "DATE", "TIME", "DATETIME", "USER_SELECT", "ORGANIZATION_SELECT",
    "GROUP_SELECT", "GROUP", "REFERENCE_TABLE", "SUBTABLE",
}  # fmt: skip
DOCUMENTED_VALUE_TYPES = (DOCUMENTED_PROPERTY_TYPES - {"GROUP", "REFERENCE_TABLE"}) | {"__ID__", "__REVISION__"}


def test_every_documented_type_is_modelled() -> None:
    assert DOCUMENTED_PROPERTY_TYPES <= FIELD_TYPES
    assert DOCUMENTED_VALUE_TYPES <= VALUE_TYPES


@pytest.mark.parametrize("app_id", ["12", 12])
def test_ids_as_strings_or_numbers(app_id: str | int) -> None:
    app = App.model_validate({"appId": app_id, "name": "x", "spaceId": None, "threadId": "", "code": ""})
    assert (app.app_id, app.space_id, app.thread_id) == (12, None, None)
    user = User.model_validate({"id": app_id, "code": "sato", "primaryOrganization": app_id, "birthDate": ""})
    assert (user.id, user.primary_organization, user.birth_date) == (12, 12, None)


def test_unknown_field_type_keeps_everything() -> None:
    fields = FormFields.from_json(
        {
            "properties": {
                "n": {"type": "NUMBER", "code": "n", "label": "N", "minValue": "", "maxValue": "1.5", "digit": True},
                "x": {"type": "FUTURE_WIDGET", "code": "x", "label": "X", "setting": {"a": 1}},
            },
            "revision": 7,
        }
    )
    number = fields.properties["n"]
    assert isinstance(number, NumberField) and (number.min_value, number.max_value) == (None, Decimal("1.5"))
    future = fields.properties["x"]
    assert isinstance(future, UnknownField) and future.model_extra == {"setting": {"a": 1}}
    assert fields.raw()["x"]["setting"] == {"a": 1}
    assert fields.revision == 7


def test_values_unknown_and_empty() -> None:
    record = Record({"n": {"type": "NUMBER", "value": ""}, "w": {"type": "WIDGET", "value": {"k": 1}}})
    assert record.field("n") == NumberValue(type="NUMBER", value=None)
    widget = record.field("w")
    assert isinstance(widget, UnknownValue) and widget.value == {"k": 1}
    assert record.id is None and record.value("missing", "default") == "default"
    with pytest.raises(KeyError):
        record.field("missing")


def test_process_settings_action_from_is_readable() -> None:
    settings = ProcessSettings.model_validate(
        {"enable": True, "states": None, "actions": [{"name": "Go", "from": "A", "to": "B"}], "revision": "3"}
    )
    assert settings.actions_from("A")[0].to == "B" and settings.ordered_states() == []


def test_an_unexpected_shape_is_a_client_error_not_a_pydantic_one() -> None:
    with pytest.raises(ServerError, match=r"unexpected shape \(appId"):
        decode(App, {"name": "no id"}, "app 3")
