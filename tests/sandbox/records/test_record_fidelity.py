"""Record-write details measured on a real Kintone that a client notices: error keys per field type, the merged
record being validated on update, empty bulk writes, app ids below 1, and lookup copy targets."""

from __future__ import annotations

from typing import Any

import pytest
from sandbox_api import Api, assert_error, create_app, error_keys

pytestmark = pytest.mark.anyio

OPTION = {"A": {"label": "A", "index": "0"}}

REQUIRED_EVERYWHERE: dict[str, Any] = {
    "text": {"type": "SINGLE_LINE_TEXT", "required": True},
    "num": {"type": "NUMBER", "required": True},
    "checks": {"type": "CHECK_BOX", "required": True, "options": OPTION},
    "multi": {"type": "MULTI_SELECT", "required": True, "options": OPTION},
    "files": {"type": "FILE", "required": True},
    "people": {"type": "USER_SELECT", "required": True},
    "orgs": {"type": "ORGANIZATION_SELECT", "required": True},
    "teams": {"type": "GROUP_SELECT", "required": True},
    "drop": {"type": "DROP_DOWN", "required": True, "options": OPTION},
    "day": {"type": "DATE", "required": True},
    "rows": {
        "type": "SUBTABLE",
        "fields": {
            "row_text": {"type": "SINGLE_LINE_TEXT", "required": True},
            "row_checks": {"type": "CHECK_BOX", "required": True, "options": OPTION},
            "row_people": {"type": "USER_SELECT", "required": True},
        },
    },
}


async def test_missing_values_are_keyed_by_type(demo_api: Api) -> None:
    app = await create_app(demo_api, "Required", REQUIRED_EVERYWHERE)
    resp = await demo_api.post("record.json", {"app": app, "record": {"rows": {"value": [{"value": {}}]}}})
    assert error_keys(resp) == {
        "record.text.value": ["Required."],
        "record.num.value": ["Required."],
        "record.checks.values": ["Required."],
        "record.multi.values": ["Required."],
        "record.files.values": ["Required."],
        "record.people.values.value": ["Required."],
        "record.orgs.values.value": ["Required."],
        "record.teams.values.value": ["Required."],
        "record.drop.value": ["Required."],
        "record.day.value": ["Required."],
        "record.rows.value[0].value.row_text.value": ["Required."],
        "record.rows.value[0].value.row_checks.values": ["Required."],
        "record.rows.value[0].value.row_people.values.value": ["Required."],
    }
    bulk = await demo_api.post("records.json", {"app": app, "records": [{"rows": {"value": []}}]})
    assert {"records[0].checks.values", "records[0].people.values.value"} <= set(error_keys(bulk))


async def test_a_number_that_is_not_one_is_keyed_with_brackets_and_counts_as_empty(demo_api: Api) -> None:
    app = await create_app(
        demo_api, "Numbers", {"must": {"type": "NUMBER", "required": True}, "may": {"type": "NUMBER"}}
    )
    resp = await demo_api.post(
        "record.json", {"app": app, "record": {"must": {"value": "abc"}, "may": {"value": "1,0"}}}
    )
    assert error_keys(resp) == {
        "record[must].value": ["Only numbers are allowed."],
        "record.must.value": ["Required."],
        "record[may].value": ["Only numbers are allowed."],
    }
    ja = await demo_api.post(
        "record.json", {"app": app, "record": {"must": {"value": "x"}}}, headers={"Accept-Language": "ja"}
    )
    assert error_keys(ja) == {"record[must].value": ["数字でなければなりません。"], "record.must.value": ["必須です。"]}


async def test_an_update_validates_the_whole_merged_record(demo_api: Api) -> None:
    app = await create_app(
        demo_api, "Later required", {"title": {"type": "SINGLE_LINE_TEXT"}, "later": {"type": "SINGLE_LINE_TEXT"}}
    )
    record = await demo_api.ok("POST", "record.json", {"app": app, "record": {"title": {"value": "old"}}})
    # The form changes afterwards: "later" becomes required. The deploy keeps the record as it is ...
    await demo_api.ok("PUT", "preview/app/form/fields.json", {"app": app, "properties": {"later": {"required": True}}})
    await demo_api.ok("POST", "preview/app/deploy.json", {"apps": [{"app": app}]})
    read = await demo_api.ok("GET", "record.json", params={"app": app, "id": record["id"]})
    assert read["record"]["later"]["value"] == ""
    # ... but its next update must fill the field, even one that only changes another field.
    other_field_only = {"app": app, "id": record["id"], "record": {"title": {"value": "new"}}}
    assert error_keys(await demo_api.put("record.json", other_field_only)) == {"record.later.value": ["Required."]}
    bulk = await demo_api.put("records.json", {"app": app, "records": [{"id": record["id"], "record": {}}]})
    assert error_keys(bulk) == {"records[0].record.later.value": ["Required."]}
    filled = {"app": app, "id": record["id"], "record": {"later": {"value": "now"}}}
    assert (await demo_api.ok("PUT", "record.json", filled))["revision"] == "2"


async def test_empty_bulk_writes_write_nothing(demo_api: Api) -> None:
    assert await demo_api.ok("POST", "records.json", {"app": 2, "records": []}) == {"ids": [], "revisions": []}
    assert await demo_api.ok("PUT", "records.json", {"app": 2, "records": []}) == {"records": []}
    assert await demo_api.ok("PUT", "records.json", {"app": 2, "records": [], "upsert": True}) == {"records": []}
    page = await demo_api.ok("GET", "records.json", params={"app": 2, "totalCount": "true"})
    assert page["totalCount"] == "300"


async def test_delete_without_ids_gives_both_of_kintones_messages(demo_api: Api) -> None:
    expected = ["Required field.", "Between 1 and 100 records can be deleted at one time."]
    assert error_keys(await demo_api.delete("records.json", {"app": 2})) == {"ids": expected}
    assert error_keys(await demo_api.delete("records.json", {"app": 2, "ids": []})) == {"ids": expected}
    ja = await demo_api.delete("records.json", {"app": 2, "ids": []}, headers={"Accept-Language": "ja"})
    assert error_keys(ja) == {"ids": ["必須です。", "一度に1件から100件までのレコードを削除できます。"]}


@pytest.mark.parametrize(
    ("method", "path", "params", "key"),
    [
        ("GET", "records.json", {"app": 0}, "app"),
        ("GET", "record.json", {"app": -1, "id": 1}, "app"),
        ("GET", "app.json", {"id": 0}, "id"),
        ("GET", "app/form/fields.json", {"app": -5}, "app"),
        ("GET", "app/status.json", {"app": -1}, "app"),
        ("GET", "record/comments.json", {"app": 0, "record": 1}, "app"),
    ],
)
async def test_app_ids_below_one_are_invalid_input(
    demo_api: Api, method: str, path: str, params: dict[str, Any], key: str
) -> None:
    resp = await demo_api.call(method, path, params=params)
    assert error_keys(resp) == {key: ["must be greater than or equal to 1"]}
    ja = await demo_api.call(method, path, params=params, headers={"Accept-Language": "ja"})
    assert error_keys(ja) == {key: ["最小でも1以上です。"]}
    # Above zero, an app that does not exist is still "not found".
    assert_error(await demo_api.get("app.json", {"id": 999}), 404, "GAIA_AP01")


async def _deal(api: Api, record_id: str) -> dict[str, Any]:
    return dict((await api.ok("GET", "record.json", params={"app": 2, "id": record_id}))["record"])


async def test_values_written_to_lookup_copy_targets_are_ignored(demo_api: Api) -> None:
    customer = (await demo_api.ok("GET", "record.json", params={"app": 1, "id": 7}))["record"]
    # No key: the copy target stays empty whatever was sent for it.
    without_key = await demo_api.ok(
        "POST", "record.json", {"app": 2, "record": {"title": {"value": "x"}, "customer_name": {"value": "Typed"}}}
    )
    assert (await _deal(demo_api, without_key["id"]))["customer_name"]["value"] == ""
    # With a key: the lookup's value wins.
    with_key = await demo_api.ok(
        "POST",
        "record.json",
        {
            "app": 2,
            "record": {
                "title": {"value": "y"},
                "customer_code": {"value": "C-0007"},
                "customer_name": {"value": "Typed"},
            },
        },
    )
    copied = customer["company_name"]["value"]
    assert (await _deal(demo_api, with_key["id"]))["customer_name"]["value"] == copied
    # An update of the copy target alone changes nothing in it (the revision still moves on).
    updated = await demo_api.ok(
        "PUT", "record.json", {"app": 2, "id": with_key["id"], "record": {"customer_name": {"value": "Typed"}}}
    )
    assert updated["revision"] == "2"
    assert (await _deal(demo_api, with_key["id"]))["customer_name"]["value"] == copied
    # Bulk writes and upserts follow the same rule.
    bulk = await demo_api.ok(
        "POST", "records.json", {"app": 2, "records": [{"title": {"value": "z"}, "customer_name": {"value": "T"}}]}
    )
    assert (await _deal(demo_api, bulk["ids"][0]))["customer_name"]["value"] == ""


async def test_a_lookup_miss_has_no_errors_object(demo_api: Api) -> None:
    resp = await demo_api.post(
        "records.json",
        {
            "app": 2,
            "records": [
                {"title": {"value": "a"}, "customer_code": {"value": "C-9998"}},
                {"title": {"value": "b"}, "customer_code": {"value": "C-9999"}},
            ],
        },
    )
    body = assert_error(resp, 400, "GAIA_LO04")
    assert "errors" not in body
    # Only the first miss is named.
    assert "C-9998" in body["message"] and "C-9999" not in body["message"]
