"""Writing records: add, update (id / updateKey / upsert), delete, limits, atomicity, subtables, lookups, CALC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sandbox_api import Api, assert_error, client_for, create_app, error_keys, password_headers

from kintone_mcp.sandbox import Sandbox, SandboxConfig

pytestmark = pytest.mark.anyio

CLOCK = datetime(2025, 5, 1, 3, 4, 59, tzinfo=UTC)


async def _get(api: Api, app: int, record_id: str | int) -> dict[str, Any]:
    record: dict[str, Any] = (await api.ok("GET", "record.json", params={"app": app, "id": record_id}))["record"]
    return record


async def _count(api: Api, app: int, query: str = "") -> int:
    page = await api.ok("GET", "records.json", params={"app": app, "query": query, "totalCount": True})
    return int(page["totalCount"])


@pytest.fixture
async def pinned_api() -> Any:
    sb = Sandbox(SandboxConfig(demo=True, clock=lambda: CLOCK))
    async with client_for(sb) as client:
        yield Api(client)


async def test_add_applies_defaults_and_system_fields(pinned_api: Api) -> None:
    sato = pinned_api.as_(password_headers("sato"))
    created = await sato.ok("POST", "record.json", {"app": 2, "record": {"title": {"value": "Fresh"}}})
    assert created == {"id": "301", "revision": "1"}
    record = await _get(pinned_api, 2, 301)
    assert record["stage"]["value"] == "Lead"  # defaultValue
    assert record["owner"]["value"] == [{"code": "sato", "name": "Sato Haruto"}]  # LOGINUSER() default
    assert record["Created_by"]["value"]["code"] == "sato" and record["Updated_by"]["value"]["code"] == "sato"
    assert record["Created_datetime"]["value"] == "2025-05-01T03:04:00Z"  # minute precision, UTC
    assert record["Record_number"]["value"] == "DEALS-301"
    assert record["$revision"]["value"] == "1"
    # An omitted table gets one row of defaults, as the Kintone form does (configurable).
    rows = record["line_items"]["value"]
    assert len(rows) == 1 and rows[0]["value"]["product"]["value"] == ""
    assert record["close_date"]["value"] is None and record["notes"]["value"] == ""
    ticket = await sato.ok("POST", "record.json", {"app": 3, "record": {"subject": {"value": "Help"}}})
    t = await _get(pinned_api, 3, ticket["id"])
    assert t["priority"]["value"] == "Medium"
    assert t["reported_at"]["value"] == "2025-05-01T03:04:00Z"  # defaultNowValue
    assert t["Status"]["value"] == "Open"
    assert [a["code"] for a in t["Assignee"]["value"]] == ["suzuki", "tanaka"]


async def test_subtable_default_row_can_be_turned_off() -> None:
    sb = Sandbox(SandboxConfig(demo=True, subtable_default_row=False))
    async with client_for(sb) as client:
        api = Api(client)
        created = await api.ok("POST", "record.json", {"app": 2, "record": {"title": {"value": "x"}}})
        assert (await _get(api, 2, created["id"]))["line_items"]["value"] == []


async def test_admin_may_set_creator_and_created_time_on_add(demo_api: Api) -> None:
    record = {
        "title": {"value": "Imported"},
        "Created_by": {"value": {"code": "tanaka"}},
        "Created_datetime": {"value": "2020-01-02T03:04:05+09:00"},
    }
    created = await demo_api.ok("POST", "record.json", {"app": 2, "record": record})
    got = await _get(demo_api, 2, created["id"])
    assert got["Created_by"]["value"]["code"] == "tanaka"
    assert got["Created_datetime"]["value"] == "2020-01-01T18:04:00Z"
    by_user = await demo_api.as_(password_headers("sato")).ok("POST", "record.json", {"app": 2, "record": record})
    assert (await _get(demo_api, 2, by_user["id"]))["Created_by"]["value"]["code"] == "sato"


async def test_unknown_codes_are_ignored_and_bare_values_refused(demo_api: Api) -> None:
    created = await demo_api.ok(
        "POST",
        "record.json",
        {
            "app": 2,
            "record": {"title": {"value": "x"}, "no_such_field": {"value": "ignored"}, "Record_number": {"value": "9"}},
        },
    )
    assert created["id"] == "301"
    keys = error_keys(await demo_api.post("record.json", {"app": 2, "record": {"title": "bare"}}))
    assert list(keys) == ["record.title.value"]


async def test_update_bumps_revision_and_modifier(pinned_api: Api) -> None:
    before = await _get(pinned_api, 2, 5)
    rev = int(before["$revision"]["value"])
    out = await pinned_api.as_(password_headers("tanaka")).ok(
        "PUT", "record.json", {"app": 2, "id": 5, "revision": rev, "record": {"notes": {"value": "called"}}}
    )
    assert out == {"revision": str(rev + 1)}
    after = await _get(pinned_api, 2, 5)
    assert after["notes"]["value"] == "called"
    assert after["Updated_by"]["value"]["code"] == "tanaka"
    assert after["Updated_datetime"]["value"] == "2025-05-01T03:04:00Z"
    assert after["Created_by"] == before["Created_by"] and after["title"] == before["title"]


async def test_stale_revision_is_409_and_minus_one_skips_the_check(demo_api: Api) -> None:
    rev = int((await _get(demo_api, 2, 5))["$revision"]["value"])
    body = {"app": 2, "id": 5, "record": {"notes": {"value": "x"}}}
    assert_error(await demo_api.put("record.json", {**body, "revision": rev + 5}), 409, "GAIA_CO02")
    assert (await demo_api.ok("PUT", "record.json", {**body, "revision": -1}))["revision"] == str(rev + 1)
    assert (await demo_api.ok("PUT", "record.json", body))["revision"] == str(rev + 2)


async def test_update_of_missing_record_is_gaia_re01(demo_api: Api) -> None:
    assert_error(await demo_api.put("record.json", {"app": 2, "id": 9999, "record": {}}), 404, "GAIA_RE01")


async def test_update_by_update_key(demo_api: Api) -> None:
    out = await demo_api.ok(
        "PUT",
        "record.json",
        {
            "app": 1,
            "updateKey": {"field": "customer_code", "value": "C-0003"},
            "record": {"contact_name": {"value": "New contact"}},
        },
    )
    assert out == {"revision": "2"}
    assert (await _get(demo_api, 1, 3))["contact_name"]["value"] == "New contact"
    assert_error(
        await demo_api.put(
            "record.json", {"app": 1, "updateKey": {"field": "customer_code", "value": "C-9999"}, "record": {}}
        ),
        400,
        "GAIA_RE20",
    )
    not_unique = await demo_api.put(
        "record.json", {"app": 1, "updateKey": {"field": "company_name", "value": "x"}, "record": {}}
    )
    assert "updateKey.field" in error_keys(not_unique)
    both = await demo_api.put(
        "record.json", {"app": 1, "id": 3, "updateKey": {"field": "customer_code", "value": "C-0003"}, "record": {}}
    )
    assert "id" in error_keys(both)


async def test_upsert(demo_api: Api) -> None:
    out = await demo_api.ok(
        "PUT",
        "records.json",
        {
            "app": 1,
            "upsert": True,
            "records": [
                {"updateKey": {"field": "customer_code", "value": "C-0002"}, "record": {"notes": {"value": "kept"}}},
                {
                    "updateKey": {"field": "customer_code", "value": "C-9000"},
                    "record": {"company_name": {"value": "Brand new"}},
                },
            ],
        },
    )
    assert [r["operation"] for r in out["records"]] == ["UPDATE", "INSERT"]
    assert out["records"][0] == {"id": "2", "revision": "2", "operation": "UPDATE"}
    new = await _get(demo_api, 1, out["records"][1]["id"])
    assert new["customer_code"]["value"] == "C-9000" and new["company_name"]["value"] == "Brand new"
    missing_key = await demo_api.put("records.json", {"app": 1, "upsert": True, "records": [{"record": {}}]})
    assert "records[0].id" in error_keys(missing_key)


async def test_upsert_by_id_updates_an_existing_record_and_adds_a_missing_one(demo_api: Api) -> None:
    """docs/kintone-api.md §4 (PUT records.json): in upsert mode ``id`` may stand for ``updateKey``; a record that does
    not exist is added with a new id, which is how cli-kintone imports rows keyed by Record_number."""
    out = await demo_api.ok("PUT", "records.json", {"app": 1, "upsert": True, "records": [
        {"id": 2, "record": {"notes": {"value": "by id"}}},
        {"id": 5000, "record": {"customer_code": {"value": "C-ID-1"}, "company_name": {"value": "Added by id"}}},
    ]})
    assert out["records"] == [{"id": "2", "revision": "2", "operation": "UPDATE"},
                              {"id": "121", "revision": "1", "operation": "INSERT"}]
    assert (await _get(demo_api, 1, "2"))["notes"]["value"] == "by id"
    assert (await _get(demo_api, 1, "121"))["company_name"]["value"] == "Added by id"
    gone = await demo_api.get("record.json", {"app": 1, "id": 5000})
    assert gone.status_code == 404
    # Without upsert an unknown id is still an error, and nothing of the request is written.
    assert_error(await demo_api.put("records.json", {"app": 1, "records": [
        {"id": 3, "record": {"notes": {"value": "x"}}}, {"id": 5000, "record": {}}]}), 404, "GAIA_RE01")
    assert (await _get(demo_api, 1, "3"))["notes"]["value"] == ""


async def test_bulk_update_without_upsert_returns_ids_and_revisions(demo_api: Api) -> None:
    out = await demo_api.ok(
        "PUT",
        "records.json",
        {
            "app": 1,
            "records": [
                {"id": 1, "record": {"notes": {"value": "a"}}},
                {"updateKey": {"field": "customer_code", "value": "C-0002"}, "record": {"notes": {"value": "b"}}},
            ],
        },
    )
    assert out == {"records": [{"id": "1", "revision": "2"}, {"id": "2", "revision": "2"}]}


@pytest.mark.parametrize(
    ("method", "body", "message"),
    [
        ("POST", {"records": [{"title": {"value": "x"}}] * 101}, "A maximum of 100 records can be added at one time."),
        ("PUT", {"records": [{"id": 1, "record": {}}] * 101}, "A maximum of 100 records can be updated at one time."),
        ("DELETE", {"ids": list(range(1, 102))}, "Between 1 and 100 records can be deleted at one time."),
    ],
)
async def test_write_limits(demo_api: Api, method: str, body: dict[str, Any], message: str) -> None:
    keys = error_keys(await demo_api.call(method, "records.json", {"app": 2, **body}))
    assert keys == {next(iter(body)): [message]}
    assert await _count(demo_api, 2) == 300


async def test_hundred_records_at_once_is_fine(demo_api: Api) -> None:
    out = await demo_api.ok(
        "POST", "records.json", {"app": 2, "records": [{"title": {"value": f"bulk {i}"}} for i in range(100)]}
    )
    assert out["ids"] == [str(i) for i in range(301, 401)] and set(out["revisions"]) == {"1"}


async def test_bulk_add_is_all_or_nothing(demo_api: Api) -> None:
    resp = await demo_api.post(
        "records.json",
        {
            "app": 2,
            "records": [
                {"title": {"value": "good"}},
                {"title": {"value": ""}},
                {"title": {"value": "good too"}, "amount": {"value": "abc"}},
            ],
        },
    )
    assert error_keys(resp) == {
        "records[1].title.value": ["Required."],
        "records[2][amount].value": ["Only numbers are allowed."],
    }
    assert await _count(demo_api, 2) == 300
    # The failed request used no record ids.
    assert (await demo_api.ok("POST", "record.json", {"app": 2, "record": {"title": {"value": "n"}}}))["id"] == "301"


async def test_bulk_update_is_all_or_nothing(demo_api: Api) -> None:
    resp = await demo_api.put(
        "records.json",
        {
            "app": 2,
            "records": [
                {"id": 1, "record": {"notes": {"value": "changed"}}},
                {"id": 2, "revision": 999, "record": {"notes": {"value": "changed"}}},
            ],
        },
    )
    assert_error(resp, 409, "GAIA_CO02")
    assert (await _get(demo_api, 2, 1))["notes"]["value"] == ""


async def test_bulk_lookup_miss_rolls_back(demo_api: Api) -> None:
    resp = await demo_api.post(
        "records.json",
        {
            "app": 2,
            "records": [
                {"title": {"value": "ok"}, "customer_code": {"value": "C-0001"}},
                {"title": {"value": "bad"}, "customer_code": {"value": "C-9999"}},
            ],
        },
    )
    assert_error(resp, 400, "GAIA_LO04")
    assert await _count(demo_api, 2) == 300


async def test_delete_records(demo_api: Api) -> None:
    assert await demo_api.ok("DELETE", "records.json", {"app": 2, "ids": [1, 2]}) == {}
    assert_error(await demo_api.get("record.json", {"app": 2, "id": 1}), 404, "GAIA_RE01")
    assert await _count(demo_api, 2) == 298
    # Query-string form of DELETE.
    assert (await demo_api.call("DELETE", "records.json", params={"app": 2, "ids[0]": 3})).status_code == 200
    # An unknown id fails the whole call.
    assert_error(await demo_api.delete("records.json", {"app": 2, "ids": [4, 12345]}), 404, "GAIA_RE01")
    assert (await demo_api.get("record.json", {"app": 2, "id": 4})).status_code == 200
    rev = (await _get(demo_api, 2, 4))["$revision"]["value"]
    assert_error(
        await demo_api.delete("records.json", {"app": 2, "ids": [4, 5], "revisions": [rev, 999]}), 409, "GAIA_CO02"
    )
    await demo_api.ok("DELETE", "records.json", {"app": 2, "ids": [4, 5], "revisions": [rev, -1]})
    # Ids are never reused.
    assert (await demo_api.ok("POST", "record.json", {"app": 2, "record": {"title": {"value": "n"}}}))["id"] == "301"


async def test_subtable_merge_rules(demo_api: Api) -> None:
    created = await demo_api.ok(
        "POST",
        "record.json",
        {
            "app": 2,
            "record": {
                "title": {"value": "Tables"},
                "line_items": {
                    "value": [
                        {
                            "id": "999999",
                            "value": {
                                "product": {"value": "A"},
                                "quantity": {"value": "1"},
                                "unit_price": {"value": "10"},
                            },
                        },
                        {
                            "value": {
                                "product": {"value": "B"},
                                "quantity": {"value": "2"},
                                "unit_price": {"value": "20"},
                            }
                        },
                    ]
                },
            },
        },
    )
    rid = created["id"]
    rows = (await _get(demo_api, 2, rid))["line_items"]["value"]
    assert [r["value"]["product"]["value"] for r in rows] == ["A", "B"]
    assert "999999" not in [r["id"] for r in rows]  # ids sent on add are ignored
    a_id, b_id = rows[0]["id"], rows[1]["id"]
    # Row A updated with only quantity (product and price kept), B not sent (deleted), unknown id -> new row.
    await demo_api.ok(
        "PUT",
        "record.json",
        {
            "app": 2,
            "id": rid,
            "record": {
                "line_items": {
                    "value": [
                        {"id": a_id, "value": {"quantity": {"value": "5"}}},
                        {"id": "123456789", "value": {"product": {"value": "C"}}},
                    ]
                }
            },
        },
    )
    rows = (await _get(demo_api, 2, rid))["line_items"]["value"]
    assert rows[0]["id"] == a_id
    assert {k: v["value"] for k, v in rows[0]["value"].items()} == {
        "product": "A",
        "quantity": "5",
        "unit_price": "10",
        "subtotal": "50",
    }
    assert rows[1]["value"]["product"]["value"] == "C" and rows[1]["id"] not in (b_id, "123456789")
    assert len(rows) == 2
    # Leaving the table out keeps it; [] clears it.
    await demo_api.ok("PUT", "record.json", {"app": 2, "id": rid, "record": {"notes": {"value": "n"}}})
    assert len((await _get(demo_api, 2, rid))["line_items"]["value"]) == 2
    await demo_api.ok("PUT", "record.json", {"app": 2, "id": rid, "record": {"line_items": {"value": []}}})
    record = await _get(demo_api, 2, rid)
    assert record["line_items"]["value"] == [] and record["total"]["value"] == "0"


async def test_subtable_errors_use_inner_keys(demo_api: Api) -> None:
    app = await create_app(
        demo_api,
        "Inner",
        {
            "t": {
                "type": "SUBTABLE",
                "fields": {
                    "name": {"type": "SINGLE_LINE_TEXT", "required": True, "maxLength": "3"},
                    "n": {"type": "NUMBER"},
                },
            }
        },
    )
    resp = await demo_api.post(
        "record.json",
        {
            "app": app,
            "record": {
                "t": {
                    "value": [
                        {"value": {"name": {"value": "ok"}}},
                        {"value": {"name": {"value": "toolong"}, "n": {"value": "x"}}},
                        {"value": {"n": {"value": "1"}}},
                    ]
                }
            },
        },
    )
    assert error_keys(resp) == {
        "record.t.value[1].value.name.value": ["Enter less than 4 characters."],
        "record.t.value[2].value.name.value": ["Required."],
    }
    # A non-number inside a table is stored as empty (observed Kintone quirk) instead of refused.
    ok = await demo_api.ok(
        "POST",
        "record.json",
        {"app": app, "record": {"t": {"value": [{"value": {"name": {"value": "a"}, "n": {"value": "x"}}}]}}},
    )
    assert (await _get(demo_api, app, ok["id"]))["t"]["value"][0]["value"]["n"]["value"] == ""


async def test_lookup_copies_mapped_fields(demo_api: Api) -> None:
    customer = await _get(demo_api, 1, 7)
    created = await demo_api.ok(
        "POST",
        "record.json",
        {
            "app": 2,
            "record": {
                "title": {"value": "Lookup"},
                "customer_code": {"value": "C-0007"},
                "customer_name": {"value": "typed by hand"},
            },
        },
    )
    record = await _get(demo_api, 2, created["id"])
    assert record["customer_name"]["value"] == customer["company_name"]["value"]
    # Changing a mapped field alone keeps the key; clearing the key clears the mapped fields.
    await demo_api.ok("PUT", "record.json", {"app": 2, "id": created["id"], "record": {"customer_code": {"value": ""}}})
    record = await _get(demo_api, 2, created["id"])
    assert record["customer_code"]["value"] == "" and record["customer_name"]["value"] == ""
    miss = await demo_api.put(
        "record.json", {"app": 2, "id": created["id"], "record": {"customer_code": {"value": "C-4242"}}}
    )
    body = assert_error(miss, 400, "GAIA_LO04")
    assert "C-4242" in body["message"]


async def test_lookup_follows_changes_in_the_related_app_on_next_write(demo_api: Api) -> None:
    await demo_api.ok("PUT", "record.json", {"app": 1, "id": 8, "record": {"company_name": {"value": "Renamed"}}})
    created = await demo_api.ok(
        "POST", "record.json", {"app": 3, "record": {"subject": {"value": "x"}, "customer_code": {"value": "C-0008"}}}
    )
    assert (await _get(demo_api, 3, created["id"]))["customer_name"]["value"] == "Renamed"


async def test_calc_fields_are_computed_and_not_writable(demo_api: Api) -> None:
    created = await demo_api.ok(
        "POST",
        "record.json",
        {
            "app": 2,
            "record": {
                "title": {"value": "Calc"},
                "total": {"value": "1"},
                "line_items": {
                    "value": [
                        {
                            "value": {
                                "quantity": {"value": "3"},
                                "unit_price": {"value": "2.5"},
                                "subtotal": {"value": "9"},
                            }
                        },
                        {"value": {"quantity": {"value": "1"}, "unit_price": {"value": "0.25"}}},
                    ]
                },
            },
        },
    )
    record = await _get(demo_api, 2, created["id"])
    assert [r["value"]["subtotal"]["value"] for r in record["line_items"]["value"]] == ["7.5", "0.25"]
    assert record["total"]["value"] == "7.75"
    rows = record["line_items"]["value"]
    await demo_api.ok(
        "PUT",
        "record.json",
        {
            "app": 2,
            "id": created["id"],
            "record": {
                "line_items": {
                    "value": [
                        {"id": rows[0]["id"], "value": {"quantity": {"value": "10"}}},
                        {"id": rows[1]["id"], "value": {}},
                    ]
                }
            },
        },
    )
    assert (await _get(demo_api, 2, created["id"]))["total"]["value"] == "25.25"


async def test_unique_values(demo_api: Api) -> None:
    dup = await demo_api.post(
        "record.json", {"app": 1, "record": {"customer_code": {"value": "C-0001"}, "company_name": {"value": "Dup"}}}
    )
    assert error_keys(dup) == {"record.customer_code.value": ["This value already exists in another record."]}
    # Within one bulk request too.
    same = await demo_api.post(
        "records.json",
        {
            "app": 1,
            "records": [
                {"customer_code": {"value": "C-5000"}, "company_name": {"value": "a"}},
                {"customer_code": {"value": "C-5000"}, "company_name": {"value": "b"}},
            ],
        },
    )
    assert list(error_keys(same)) == ["records[1].customer_code.value"]
    # Updating a record to its own value is not a duplicate.
    await demo_api.ok("PUT", "record.json", {"app": 1, "id": 1, "record": {"customer_code": {"value": "C-0001"}}})


async def test_record_number_without_app_code_is_the_id(demo_api: Api) -> None:
    app = await create_app(demo_api, "No code", {"t": {"type": "SINGLE_LINE_TEXT"}})
    created = await demo_api.ok("POST", "record.json", {"app": app, "record": {}})
    assert (await _get(demo_api, app, created["id"]))["Record_number"]["value"] == "1"


async def test_missing_parameters(demo_api: Api) -> None:
    assert set(error_keys(await demo_api.post("record.json", {"record": {}}))) == {"app"}
    assert set(error_keys(await demo_api.put("record.json", {"app": 2, "record": {}}))) == {"id"}
    assert set(error_keys(await demo_api.post("records.json", {"app": 2}))) == {"records"}
    assert set(error_keys(await demo_api.put("records.json", {"app": 2}))) == {"records"}
    assert set(error_keys(await demo_api.delete("records.json", {"app": 2}))) == {"ids"}
