from __future__ import annotations

import pytest

from kintone_mcp.server.record_input import RecordInputError, to_kintone_record
from tests.server.props import PROPS


def test_plain_values_become_kintone_write_format() -> None:
    out = to_kintone_record(
        {
            "Title": "Deal",
            "Amount": 1200.50,
            "Stage": "Won",
            "Tags": "vip",
            "Close_date": "2024-04-30",
            "Call_time": "09:30:15",
            "Meeting": "2024-04-30T09:00:00+09:00",
            "Owner": ["sato", {"code": "suzuki", "name": "Suzuki"}],
            "Files": [{"fileKey": "abc", "name": "a.txt"}],
            "Items": [{"$id": 5, "Product": "Pen", "Qty": "3", "Line_total": 9}, {"Product": "Ink"}],
        },
        PROPS,
        mode="add",
    )
    r = out.record
    assert r["Title"] == {"value": "Deal"}
    assert r["Amount"] == {"value": "1200.5"}
    assert r["Tags"] == {"value": ["vip"]}
    assert r["Call_time"] == {"value": "09:30"}
    assert r["Meeting"] == {"value": "2024-04-30T00:00:00Z"}
    assert r["Owner"] == {"value": [{"code": "sato"}, {"code": "suzuki"}]}
    assert r["Files"] == {"value": [{"fileKey": "abc"}]}
    assert r["Items"] == {
        "value": [
            {"id": "5", "value": {"Product": {"value": "Pen"}, "Qty": {"value": "3"}}},
            {"value": {"Product": {"value": "Ink"}}},
        ]
    }
    assert out.ignored == ["Items.Line_total"]


def test_a_record_read_back_can_be_written_back() -> None:
    out = to_kintone_record(
        {"$id": 7, "$revision": 3, "Record_number": "7", "Created_by": "sato", "Total": 4, "Title": "x", "Status": "A"},
        PROPS,
        mode="update",
    )
    assert out.record == {"Title": {"value": "x"}}
    assert sorted(out.ignored) == ["$id", "$revision", "Created_by", "Record_number", "Status", "Total"]


def test_every_problem_is_reported_with_what_would_be_accepted() -> None:
    with pytest.raises(RecordInputError) as err:
        to_kintone_record(
            {
                "title": "x",
                "Amount": "12abc",
                "Stage": "won",
                "Tags": ["vip", "gold"],
                "Close_date": "30/04/2024",
                "Meeting": "2024-04-30T09:00:00",
                "Owner": 5,
                "Items": [{"Produkt": "Pen"}],
            },
            PROPS,
            mode="add",
        )
    text = str(err.value)
    by_field = {p.field: p for p in err.value.problems}
    assert "did you mean 'Title'" in by_field["title"].accepted
    assert "not a number" in by_field["Amount"].problem
    assert "did you mean 'Won'" in by_field["Stage"].accepted
    assert "'gold'" in by_field["Tags"].problem and "'new', 'vip'" in by_field["Tags"].accepted
    assert "YYYY-MM-DD" in by_field["Close_date"].accepted
    assert "time zone" in by_field["Meeting"].problem
    assert "user codes" in by_field["Owner"].accepted
    assert "Product" in by_field["Items[0].Produkt"].accepted
    assert by_field["Title"].problem.startswith("required")  # "title" was not the code, so Title is missing
    assert text.count("\n- ") == len(err.value.problems)


def test_limits_from_the_schema_are_checked() -> None:
    with pytest.raises(RecordInputError) as err:
        to_kintone_record({"Title": "x" * 21, "Amount": -1, "Priority": ""}, PROPS, mode="update")
    fields = {p.field: p.problem for p in err.value.problems}
    assert "at most 20" in fields["Title"]
    assert "out of range" in fields["Amount"]
    assert "Priority" in fields


def test_required_with_default_may_be_omitted_on_add_but_not_emptied_on_update() -> None:
    assert to_kintone_record({"Title": "a"}, PROPS, mode="add").record == {"Title": {"value": "a"}}
    with pytest.raises(RecordInputError, match="Title"):
        to_kintone_record({"Title": ""}, PROPS, mode="update")


def test_lookup_copies_in_a_table_are_dropped_and_named_with_their_key() -> None:
    props = {
        "Lines": {
            "type": "SUBTABLE",
            "fields": {
                "sku": {"type": "SINGLE_LINE_TEXT", "lookup": {"relatedApp": {"app": "9"}, "relatedKeyField": "code",
                                                               "fieldMappings": [{"field": "sku_name",
                                                                                  "relatedField": "name"}]}},
                "sku_name": {"type": "SINGLE_LINE_TEXT"},
                "qty": {"type": "NUMBER"},
            },
        }
    }  # fmt: skip
    out = to_kintone_record({"Lines": [{"sku_name": "forged", "qty": 2}]}, props, mode="update")
    assert out.record["Lines"]["value"][0]["value"] == {"qty": {"value": "2"}}
    assert out.ignored == ["Lines.sku_name"] and out.lookup_copies == {"Lines.sku_name": "Lines.sku"}
    assert "set Lines.sku" in (out.lookup_note() or "")
