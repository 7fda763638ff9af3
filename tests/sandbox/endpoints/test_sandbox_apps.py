"""Apps and their settings: listing, reading, creating in preview, deploying, guest-space paths."""

from __future__ import annotations

import pytest
from sandbox_api import Api, assert_error, create_app, error_keys

pytestmark = pytest.mark.anyio


async def test_apps_json_lists_demo_apps_in_id_order(demo_api: Api) -> None:
    apps = (await demo_api.ok("GET", "apps.json"))["apps"]
    assert [(a["appId"], a["code"], a["name"]) for a in apps] == [
        ("1", "CUSTOMERS", "Customers"),
        ("2", "DEALS", "Deals"),
        ("3", "TICKETS", "Support tickets"),
        ("5", "CONTRACTS", "Contracts"),  # 4 is in the guest space: the normal path does not list it
    ]
    first = apps[0]
    assert first["spaceId"] is None and first["threadId"] is None
    assert first["creator"] == {"code": "Administrator", "name": "Administrator"}
    assert first["createdAt"].endswith(".000Z")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"ids[0]": "3", "ids[1]": "1"}, ["1", "3"]),
        ({"codes[0]": "DEALS"}, ["2"]),
        ({"codes[0]": "deals"}, []),  # codes match exactly, case included
        ({"name": "TICKET"}, ["3"]),  # name is a case-insensitive partial match
        ({"limit": "2"}, ["1", "2"]),
        ({"limit": "2", "offset": "2"}, ["3", "5"]),
        ({"spaceIds[0]": "1"}, ["2"]),  # Deals is attached to the demo Sales space
    ],
)
async def test_apps_json_filters(demo_api: Api, params: dict[str, str], expected: list[str]) -> None:
    apps = (await demo_api.ok("GET", "apps.json", params=params))["apps"]
    assert [a["appId"] for a in apps] == expected


async def test_apps_json_takes_a_json_body_too(demo_api: Api) -> None:
    resp = await demo_api.call("GET", "apps.json", {"ids": [2]})
    assert [a["appId"] for a in resp.json()["apps"]] == ["2"]


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "101"}, {"offset": "-1"}, {"ids[0]": "x"}])
async def test_apps_json_rejects_bad_paging(demo_api: Api, params: dict[str, str]) -> None:
    keys = error_keys(await demo_api.get("apps.json", params))
    assert set(keys) == set(params)


async def test_app_json_and_unknown_app(demo_api: Api) -> None:
    app = await demo_api.ok("GET", "app.json", params={"id": 2})
    assert app["appId"] == "2" and app["code"] == "DEALS"
    assert_error(await demo_api.get("app.json", {"id": 999}), 404, "GAIA_AP01")
    assert set(error_keys(await demo_api.get("app.json"))) == {"id"}


async def test_form_fields_of_deals(demo_api: Api) -> None:
    got = await demo_api.ok("GET", "app/form/fields.json", params={"app": 2})
    props = got["properties"]
    assert got["revision"] == "2"
    assert props["Record_number"]["type"] == "RECORD_NUMBER"
    assert props["customer_code"]["lookup"]["relatedApp"]["app"] == "1"
    assert props["line_items"]["type"] == "SUBTABLE"
    assert props["line_items"]["fields"]["subtotal"] == {
        **props["line_items"]["fields"]["subtotal"],
        "type": "CALC",
        "expression": "quantity * unit_price",
    }
    assert props["stage"]["options"]["Won"] == {"label": "Won", "index": "4"}
    assert props["owner"]["type"] == "USER_SELECT"
    assert props["Status"]["enabled"] is False
    assert props["probability"]["maxValue"] == "100"


async def test_layout_views_and_process_settings(demo_api: Api) -> None:
    layout = (await demo_api.ok("GET", "app/form/layout.json", params={"app": 2}))["layout"]
    table = next(item for item in layout if item["type"] == "SUBTABLE")
    assert table["code"] == "line_items"
    assert [f["code"] for f in table["fields"]] == ["product", "quantity", "unit_price", "subtotal"]
    assert layout[0] == {
        "type": "ROW",
        "fields": [{"type": "SINGLE_LINE_TEXT", "code": "title", "size": {"width": "193"}}],
    }
    views = (await demo_api.ok("GET", "app/views.json", params={"app": 2}))["views"]
    assert set(views) == {"Pipeline", "Won deals"}
    process = await demo_api.ok("GET", "app/status.json", params={"app": 3})
    assert process["enable"] is True
    assert [s["name"] for s in sorted(process["states"].values(), key=lambda s: int(s["index"]))] == [
        "Open",
        "In progress",
        "Resolved",
        "Closed",
    ]
    assert [a["name"] for a in process["actions"]] == ["Start work", "Resolve", "Reopen", "Close"]
    off = await demo_api.ok("GET", "app/status.json", params={"app": 1})
    assert off["enable"] is False


async def test_preview_changes_are_invisible_until_deploy(demo_api: Api) -> None:
    created = await demo_api.ok("POST", "preview/app.json", {"name": "Inventory"})
    app = int(created["app"])
    assert app == 6  # the demo apps are 1-5 (4: PARTNER, in guest space 2; 5: CONTRACTS)
    rev = await demo_api.ok(
        "POST",
        "preview/app/form/fields.json",
        {
            "app": app,
            "properties": {
                "sku": {"type": "SINGLE_LINE_TEXT", "code": "sku", "label": "SKU", "required": True, "unique": True},
                "qty": {"type": "NUMBER", "label": "Quantity", "minValue": 0},
            },
        },
    )
    assert rev == {"revision": "2"}
    live = await demo_api.ok("GET", "app/form/fields.json", params={"app": app})
    assert "sku" not in live["properties"] and live["revision"] == "1"
    preview = await demo_api.ok("GET", "preview/app/form/fields.json", params={"app": app})
    assert preview["properties"]["qty"]["minValue"] == "0" and preview["revision"] == "2"
    # Records validate against the live form: the required field does not exist yet.
    assert (await demo_api.post("record.json", {"app": app, "record": {}})).status_code == 200
    await demo_api.ok("POST", "preview/app/deploy.json", {"apps": [{"app": app, "revision": 2}]})
    status = await demo_api.ok("GET", "preview/app/deploy.json", params={"apps[0]": app})
    assert status == {"apps": [{"app": str(app), "status": "SUCCESS"}]}
    live = await demo_api.ok("GET", "app/form/fields.json", params={"app": app})
    assert live["properties"]["sku"]["required"] is True and live["revision"] == "2"
    keys = error_keys(await demo_api.post("record.json", {"app": app, "record": {}}))
    assert keys == {"record.sku.value": ["Required."]}


async def test_update_rename_and_delete_fields(demo_api: Api) -> None:
    app = await create_app(demo_api, "Tasks", {"title": {"type": "SINGLE_LINE_TEXT"}, "size": {"type": "NUMBER"}})
    rec = await demo_api.ok(
        "POST", "record.json", {"app": app, "record": {"title": {"value": "a"}, "size": {"value": "3"}}}
    )
    await demo_api.ok(
        "PUT",
        "preview/app/form/fields.json",
        {"app": app, "properties": {"title": {"label": "Task title", "maxLength": 5}, "size": {"code": "points"}}},
    )
    await demo_api.ok("DELETE", "preview/app/form/fields.json", {"app": app, "fields": ["points"]})
    await demo_api.ok("POST", "preview/app/deploy.json", {"apps": [{"app": app}]})
    props = (await demo_api.ok("GET", "app/form/fields.json", params={"app": app}))["properties"]
    assert props["title"]["label"] == "Task title" and props["title"]["maxLength"] == "5"
    assert "size" not in props and "points" not in props
    record = (await demo_api.ok("GET", "record.json", params={"app": app, "id": rec["id"]}))["record"]
    assert "size" not in record and record["title"]["value"] == "a"
    # Re-creating a deleted code does not resurrect old data.
    await demo_api.ok("POST", "preview/app/form/fields.json", {"app": app, "properties": {"size": {"type": "NUMBER"}}})
    await demo_api.ok("POST", "preview/app/deploy.json", {"apps": [{"app": app}]})
    record = (await demo_api.ok("GET", "record.json", params={"app": app, "id": rec["id"]}))["record"]
    assert record["size"] == {"type": "NUMBER", "value": ""}


@pytest.mark.parametrize(
    ("properties", "key"),
    [
        ({"1abc": {"type": "NUMBER"}}, "properties.1abc.code"),
        ({"a-b": {"type": "NUMBER"}}, "properties.a-b.code"),
        ({"x": {"type": "NOPE"}}, "properties.x.type"),
        ({"x": {"type": "NUMBER", "code": "y"}}, "properties.x.code"),
        ({"t": {"type": "SUBTABLE", "fields": {"r": {"type": "REFERENCE_TABLE"}}}}, "properties.t.fields.r.type"),
        ({"title": {"type": "NUMBER"}}, "properties.title.code"),  # already used in Deals
        ({"product": {"type": "NUMBER"}}, "properties.product.code"),  # used inside the Deals table
    ],
)
async def test_bad_field_definitions_are_cb_va01(demo_api: Api, properties: dict[str, object], key: str) -> None:
    assert key in error_keys(await demo_api.post("preview/app/form/fields.json", {"app": 2, "properties": properties}))


async def test_settings_revision_conflicts_are_gaia_co02(demo_api: Api) -> None:
    body = {"app": 2, "properties": {"extra": {"type": "NUMBER"}}, "revision": 1}
    assert_error(await demo_api.post("preview/app/form/fields.json", body), 409, "GAIA_CO02")
    await demo_api.ok("POST", "preview/app/form/fields.json", {**body, "revision": 2})
    assert_error(
        await demo_api.post("preview/app/deploy.json", {"apps": [{"app": 2, "revision": 2}]}), 409, "GAIA_CO02"
    )
    await demo_api.ok("POST", "preview/app/deploy.json", {"apps": [{"app": 2, "revision": -1}]})


async def test_deploy_revert_discards_preview(demo_api: Api) -> None:
    await demo_api.ok("POST", "preview/app/form/fields.json", {"app": 1, "properties": {"x": {"type": "NUMBER"}}})
    await demo_api.ok("POST", "preview/app/deploy.json", {"apps": [{"app": 1}], "revert": True})
    preview = await demo_api.ok("GET", "preview/app/form/fields.json", params={"app": 1})
    live = await demo_api.ok("GET", "app/form/fields.json", params={"app": 1})
    assert "x" not in preview["properties"] and "x" not in live["properties"]
    assert preview["revision"] == live["revision"]


async def test_enabling_process_management_on_deploy(demo_api: Api) -> None:
    app = await create_app(demo_api, "Requests", {"title": {"type": "SINGLE_LINE_TEXT"}})
    before = await demo_api.ok("POST", "record.json", {"app": app, "record": {}})
    record = (await demo_api.ok("GET", "record.json", params={"app": app, "id": before["id"]}))["record"]
    assert "Status" not in record and "Assignee" not in record
    await demo_api.ok(
        "PUT",
        "preview/app/status.json",
        {
            "app": app,
            "enable": True,
            "states": {
                "Draft": {
                    "index": "0",
                    "assignee": {"type": "ONE", "entities": [{"entity": {"type": "USER", "code": "sato"}}]},
                },
                "Done": {"index": "1"},
            },
            "actions": [{"name": "Finish", "from": "Draft", "to": "Done"}],
        },
    )
    assert (await demo_api.ok("GET", "app/status.json", params={"app": app}))["enable"] is False
    await demo_api.ok("POST", "preview/app/deploy.json", {"apps": [{"app": app}]})
    record = (await demo_api.ok("GET", "record.json", params={"app": app, "id": before["id"]}))["record"]
    assert record["Status"] == {"type": "STATUS", "value": "Draft"}
    new = await demo_api.ok("POST", "record.json", {"app": app, "record": {}})
    record = (await demo_api.ok("GET", "record.json", params={"app": app, "id": new["id"]}))["record"]
    assert record["Assignee"]["value"] == [{"code": "sato", "name": "Sato Haruto"}]
    props = (await demo_api.ok("GET", "app/form/fields.json", params={"app": app}))["properties"]
    assert props["Status"]["enabled"] is True
    bad = await demo_api.put(
        "preview/app/status.json", {"app": app, "actions": [{"name": "Jump", "from": "Draft", "to": "Nowhere"}]}
    )
    assert "actions[0].to" in error_keys(bad)


async def test_general_settings_and_views_deploy(demo_api: Api) -> None:
    await demo_api.ok("PUT", "preview/app/settings.json", {"app": 1, "name": "Clients"})
    assert (await demo_api.ok("GET", "app.json", params={"id": 1}))["name"] == "Customers"
    saved = await demo_api.ok(
        "PUT",
        "preview/app/views.json",
        {"app": 1, "views": {"Recent": {"type": "LIST", "fields": ["company_name"], "sort": "Record_number desc"}}},
    )
    assert set(saved["views"]) == {"Recent"}
    await demo_api.ok("POST", "preview/app/deploy.json", {"apps": [{"app": 1}]})
    assert (await demo_api.ok("GET", "app.json", params={"id": 1}))["name"] == "Clients"
    assert (await demo_api.ok("GET", "app/settings.json", params={"app": 1}))["name"] == "Clients"
    assert set((await demo_api.ok("GET", "app/views.json", params={"app": 1}))["views"]) == {"Recent"}


async def test_guest_space_paths(demo_api: Api) -> None:
    guest = demo_api.guest(2)  # demo space 2 is the guest space "Partner portal"
    created = await guest.ok("POST", "preview/app.json", {"name": "Partner orders"})
    app = int(created["app"])
    await guest.ok("POST", "preview/app/form/fields.json", {"app": app, "properties": {"n": {"type": "NUMBER"}}})
    await guest.ok("POST", "preview/app/deploy.json", {"apps": [{"app": app}]})
    info = await guest.ok("GET", "app.json", params={"id": app})
    assert info["spaceId"] == "2"
    assert (await guest.ok("POST", "record.json", {"app": app, "record": {"n": {"value": 1}}}))["id"] == "1"
    # The normal path for a guest-space app, and a guest path for anything not in that guest space.
    assert_error(await demo_api.get("records.json", {"app": app}), 400, "GAIA_IL23")
    assert_error(await demo_api.guest(5).get("records.json", {"app": app}), 403, "CB_NO02")
    assert_error(await guest.get("records.json", {"app": 1}), 403, "CB_NO02")
    assert_error(await demo_api.post("preview/app.json", {"name": "x", "space": 2}), 400, "GAIA_IL23")
    # apps.json lists per path.
    assert [a["appId"] for a in (await guest.ok("GET", "apps.json"))["apps"]] == ["4", str(app)]  # 4: PARTNER
    assert str(app) not in [a["appId"] for a in (await demo_api.ok("GET", "apps.json"))["apps"]]
    # A regular space's app stays on the normal path.
    regular = await demo_api.ok("POST", "preview/app.json", {"name": "Team app", "space": 1})
    assert (await demo_api.ok("GET", "app.json", params={"id": regular["app"]}))["spaceId"] == "1"
    assert_error(await guest.get("app.json", {"id": regular["app"]}), 403, "CB_NO02")


async def test_unknown_endpoint_and_bad_json(demo_api: Api) -> None:
    assert_error(await demo_api.get("nothing/here.json"), 404, "CB_NF01")
    resp = await demo_api.client.post("/k/v1/record.json", content=b"{not json", headers=demo_api.headers)
    assert_error(resp, 400, "CB_IJ01")


async def test_boolean_attributes_take_the_strings_true_and_false(demo_api: Api) -> None:
    """docs/kintone-api.md §3: required, unique, noLabel, defaultNowValue… take a boolean or "true"/"false" when fields
    are added or updated, and fields.json answers booleans. A stored "false" once acted as true."""
    app = await create_app(demo_api, "Strings", {
        "code": {"type": "SINGLE_LINE_TEXT", "required": "false", "unique": "true", "noLabel": "false"},
        "when": {"type": "DATETIME", "defaultNowValue": "false", "required": "true"},
        "count": {"type": "NUMBER", "digit": "true", "required": False},
    })
    props = (await demo_api.ok("GET", "app/form/fields.json", params={"app": app}))["properties"]
    assert (props["code"]["required"], props["code"]["unique"], props["code"]["noLabel"]) == (False, True, False)
    assert (props["when"]["defaultNowValue"], props["when"]["required"]) == (False, True)
    assert (props["count"]["digit"], props["count"]["required"]) == (True, False)
    # "false" means false: a record without `code` is accepted, one without `when` is not (it is "true").
    keys = error_keys(await demo_api.post("record.json", {"app": app, "record": {}}))
    assert keys == {"record.when.value": ["Required."]}
    # Updating takes the strings too.
    await demo_api.ok("PUT", "preview/app/form/fields.json",
                      {"app": app, "properties": {"when": {"type": "DATETIME", "required": "false"}}})
    preview = (await demo_api.ok("GET", "preview/app/form/fields.json", params={"app": app}))["properties"]
    assert preview["when"]["required"] is False
    # Anything else is refused rather than guessed.
    bad = await demo_api.post("preview/app/form/fields.json",
                              {"app": app, "properties": {"other": {"type": "SINGLE_LINE_TEXT", "required": "yes"}}})
    assert "properties.other.required" in error_keys(bad)
