from __future__ import annotations

import pytest

from kintone_mcp.server.compact import RecordFormatter, plain_number
from tests.server.props import PROPS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1200", 1200),
        ("-0.5", -0.5),
        ("12.50", 12.5),
        ("1.5e1", 15),
        ("", None),
        (None, None),
        ("9007199254740993", "9007199254740993"),  # past 2**53: a JS double would round it
        ("0.1000000000000000055511151231257827", "0.1000000000000000055511151231257827"),
        ("abc", "abc"),
    ],
)
def test_plain_number_keeps_the_exact_decimal(text: object, expected: object) -> None:
    assert plain_number(text) == expected
    assert type(plain_number(text)) is type(expected)


RAW = {
    "$id": {"type": "__ID__", "value": "7"},
    "$revision": {"type": "__REVISION__", "value": "3"},
    "Record_number": {"type": "RECORD_NUMBER", "value": "DEALS-7"},
    "Created_by": {"type": "CREATOR", "value": {"code": "sato", "name": "Sato Hanako"}},
    "Title": {"type": "SINGLE_LINE_TEXT", "value": "Big deal"},
    "Amount": {"type": "NUMBER", "value": "1200"},
    "Total": {"type": "CALC", "value": "2400"},
    "Due_calc": {"type": "CALC", "value": "2024-05-01"},
    "Stage": {"type": "DROP_DOWN", "value": None},
    "Tags": {"type": "CHECK_BOX", "value": ["vip"]},
    "Owner": {"type": "USER_SELECT", "value": [{"code": "suzuki", "name": "Suzuki Ichiro"}]},
    "Files": {
        "type": "FILE",
        "value": [{"contentType": "text/plain", "fileKey": "k1", "name": "a.txt", "size": "12"}],
    },
    "Notes": {"type": "MULTI_LINE_TEXT", "value": "x" * 50},
    "Items": {
        "type": "SUBTABLE",
        "value": [
            {
                "id": "101",
                "value": {
                    "Product": {"type": "SINGLE_LINE_TEXT", "value": "Pen"},
                    "Qty": {"type": "NUMBER", "value": "2"},
                },
            }
        ],
    },
}


def test_record_becomes_plain_values_with_names_gathered_once() -> None:
    fmt = RecordFormatter(PROPS, max_text_chars=None)
    out = fmt.record(RAW)
    assert out["$id"] == 7 and out["$revision"] == 3
    assert out["Record_number"] == "DEALS-7"
    assert out["Created_by"] == "sato"
    assert out["Amount"] == 1200 and out["Total"] == 2400
    assert out["Due_calc"] == "2024-05-01"  # a DATE-formatted CALC stays text
    assert out["Stage"] is None and out["Tags"] == ["vip"]
    assert out["Owner"] == ["suzuki"]
    assert out["Files"] == [{"name": "a.txt", "fileKey": "k1", "size": 12, "contentType": "text/plain"}]
    assert out["Items"] == [{"$id": 101, "Product": "Pen", "Qty": 2}]
    assert fmt.names == {"sato": "Sato Hanako", "suzuki": "Suzuki Ichiro"}
    assert fmt.cuts == []


def test_long_text_is_cut_and_the_cut_recorded() -> None:
    fmt = RecordFormatter(PROPS, max_text_chars=10)
    out = fmt.record(RAW)
    assert out["Notes"].startswith("x" * 10) and "40 more chars" in out["Notes"]
    assert [(c.record_id, c.field, c.full_length) for c in fmt.cuts] == [("7", "Notes", 50)]


def test_subtable_rows_beyond_the_bound_are_left_out_and_recorded() -> None:
    fmt = RecordFormatter(PROPS, max_rows=0)
    assert fmt.record(RAW)["Items"] == []
    assert [(c.record_id, c.field, c.rows) for c in fmt.row_cuts] == [("7", "Items", 1)]
