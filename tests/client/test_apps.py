"""App reads through the client against the demo sandbox."""

from __future__ import annotations

import pytest

from kintone_mcp.client import KintoneClient, NotFoundError
from kintone_mcp.client.models.fields import (
    CalcField,
    DropDownField,
    NumberField,
    SingleLineTextField,
    SubtableField,
    UserSelectField,
)
from kintone_mcp.sandbox import Sandbox

from .conftest import client_for, token_credentials

pytestmark = pytest.mark.anyio


async def test_list_apps_with_password(shared_admin: KintoneClient) -> None:
    apps = await shared_admin.list_apps()
    assert [(a.app_id, a.code) for a in apps] == [(1, "CUSTOMERS"), (2, "DEALS"), (3, "TICKETS"), (5, "CONTRACTS")]
    assert all(a.created_at is not None and a.creator is not None for a in apps)


async def test_list_apps_filters_and_pages(shared_admin: KintoneClient) -> None:
    assert [a.app_id for a in await shared_admin.list_apps(codes=["DEALS"])] == [2]
    assert [a.app_id for a in await shared_admin.list_apps(ids=[1, 3])] == [1, 3]
    assert [a.app_id for a in await shared_admin.list_apps(limit=1, offset=1)] == [2]
    assert [a.app_id for a in await shared_admin.list_all_apps()] == [1, 2, 3, 5]


async def test_list_apps_with_mapped_tokens_reads_each_app(shared_sandbox: Sandbox) -> None:
    # apps.json refuses tokens; with tokens mapped to apps the client reads those apps one by one instead.
    async with client_for(shared_sandbox, token_credentials(shared_sandbox, 3, 1)) as client:
        apps = await client.list_apps()
        assert [a.app_id for a in apps] == [1, 3]
        assert [a.app_id for a in await client.list_apps(name="support")] == [3]


async def test_get_app_and_unknown_app(shared_admin: KintoneClient) -> None:
    app = await shared_admin.get_app(2)
    assert (app.app_id, app.name, app.code) == (2, "Deals", "DEALS")
    with pytest.raises(NotFoundError) as info:
        await shared_admin.get_app(999)
    assert info.value.code == "GAIA_AP01"
    assert info.value.status == 404


async def test_fields_are_typed_with_options_lookups_and_subtables(shared_admin: KintoneClient) -> None:
    fields = await shared_admin.get_fields(2)
    props = fields.properties
    stage = props["stage"]
    assert isinstance(stage, DropDownField)
    assert stage.option_labels and len(stage.option_labels) == len(stage.options)
    assert isinstance(props["amount"], NumberField)
    assert isinstance(props["total"], CalcField)
    assert isinstance(props["owner"], UserSelectField)
    lookup_key = props["customer_code"]
    assert isinstance(lookup_key, SingleLineTextField)
    assert lookup_key.lookup is not None and lookup_key.lookup.related_app.app == 1
    table = props["line_items"]
    assert isinstance(table, SubtableField)
    assert {"product", "quantity", "unit_price", "subtotal"} <= set(table.fields)
    assert fields.field_types()["quantity"] == "NUMBER"
    assert fields.subtable_of()["quantity"] == "line_items"
    assert fields.related_apps() == frozenset({1})
    assert fields.raw()["stage"]["type"] == "DROP_DOWN"
    assert fields.revision is not None and fields.revision >= 1


async def test_layout_views_and_process_settings(shared_admin: KintoneClient) -> None:
    layout = await shared_admin.get_layout(2)
    codes = layout.field_codes()
    assert codes.index("line_items") < codes.index("product")
    views = await shared_admin.get_views(2)
    assert [v.name for v in views.ordered()] == sorted(views.views, key=lambda n: views.views[n].index or 0)
    assert all(v.type for v in views.views.values())
    process = await shared_admin.get_process_settings(3)
    assert process.enable
    states = [s.name for s in process.ordered_states()]
    assert states[0] == "Open"
    assert [a.to for a in process.actions_from("Open")] == ["In progress"]
    assert not (await shared_admin.get_process_settings(1)).enable
