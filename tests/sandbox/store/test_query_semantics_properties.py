"""Properties that hold for any value, checked with generated values against the shared records:

* ``like`` finds exactly the records whose text contains the needle, ignoring ASCII case (a direct Python reading
  of the stored values, so the SQL prefilter and the SQL match are both checked against it);
* a positive operator and its negation split the records of the app between them;
* for subtables, ``not in`` only finds records that have rows and that ``in`` does not find.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from query_semantics_app import ALL_IDS, EMPTY, RECORDS, database, run

from kintone_mcp.query.ast import Condition, FieldRef, NumberLit, Op, Query, StringLit, Value

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def conn() -> Iterator[sqlite3.Connection]:
    connection = database()
    yield connection
    connection.close()


def _stored(code: str) -> dict[int, Any]:
    return {i: {**EMPTY, **data}[code] for i, _, data in RECORDS}


def _ascii_lower(text: str) -> str:
    # SQLite's lower() without ICU folds ASCII letters only; the sandbox documents the same for like.
    return "".join(c.lower() if c.isascii() else c for c in text)


def _ids(conn: sqlite3.Connection, code: str, op: Op, *values: Value) -> set[int]:
    return set(run(conn, Query(where=Condition(FieldRef(code), op, values))))


# Needles built from pieces of the stored texts, case flips, SQL and JSON metacharacters and non-ASCII.
_PIECES = ["deal", "Alpha", "LINE", "%", "_", "a_b", "50%", "0% s", "Hello", "<b>", "サンプル", "株式", "pdf", "Quote",
           "photo", " ", "\n", '"', "\\", "'", "é", "gamma", "DEAL", "ine", "t", "e", "2024", "https://",
           "É", "ü", "Ü", "caf", "C:\\temp", '"Ü', "\\x"]  # fmt: skip
needles = st.lists(st.sampled_from(_PIECES), min_size=1, max_size=3).map("".join) | st.text(
    alphabet="aAdDeElL%_ \"\\'サ", min_size=1, max_size=4
)
text_fields = st.sampled_from(["Title", "Notes", "Body", "Url", "顧客名"])


@SETTINGS
@given(code=text_fields, needle=needles)
def test_like_is_a_case_insensitive_substring_search(conn: sqlite3.Connection, code: str, needle: str) -> None:
    stored = _stored(code)
    expected = {i for i, value in stored.items() if _ascii_lower(needle) in _ascii_lower(value)}
    assert _ids(conn, code, Op.LIKE, StringLit(needle)) == expected
    assert _ids(conn, code, Op.NOT_LIKE, StringLit(needle)) == ALL_IDS - expected


@SETTINGS
@given(needle=needles)
def test_like_on_files_searches_file_names(conn: sqlite3.Connection, needle: str) -> None:
    names = {i: [f["name"] for f in files] for i, files in _stored("Attachments").items()}
    expected = {i for i, n in names.items() if any(_ascii_lower(needle) in _ascii_lower(name) for name in n)}
    assert _ids(conn, "Attachments", Op.LIKE, StringLit(needle)) == expected


texts = st.sampled_from(["Alpha deal", "alpha deal", "beta DEAL", "", "gamma", "100% sure_thing", "株式会社サンプル"])


@SETTINGS
@given(code=st.sampled_from(["Title", "顧客名", "Url"]), values=st.lists(texts, min_size=1, max_size=3))
def test_text_equality_is_exact(conn: sqlite3.Connection, code: str, values: list[str]) -> None:
    stored = _stored(code)
    literals = [StringLit(v) for v in values]
    expected = {i for i, value in stored.items() if value in values}
    assert _ids(conn, code, Op.IN, *literals) == expected
    assert _ids(conn, code, Op.NOT_IN, *literals) == ALL_IDS - expected
    assert _ids(conn, code, Op.EQ, literals[0]) == {i for i, value in stored.items() if value == values[0]}


OPTIONS = {
    "Stage": ["Lead", "Qualified", "Proposal", "Won", "Lost", ""],
    "Priority": ["High", "Medium", "Low", ""],
    "Tags": ["A", "B", "C", ""],
    "Regions": ["East", "West", "北海道", ""],
    "Owner": ["sato", "suzuki", "tanaka", "Administrator", "nobody", ""],
    "Team": ["sales", "support", "engineering", ""],
}


@SETTINGS
@given(data=st.data(), code=st.sampled_from(sorted(OPTIONS)))
def test_selections_in_and_not_in(conn: sqlite3.Connection, data: st.DataObject, code: str) -> None:
    chosen = data.draw(st.lists(st.sampled_from(OPTIONS[code]), min_size=1, max_size=3, unique=True))
    stored = _stored(code)

    def selected(value: Any) -> set[str]:
        if isinstance(value, list):
            return set(value) or {""}
        return {value or ""}

    expected = {i for i, value in stored.items() if selected(value) & set(chosen)}
    literals = [StringLit(v) for v in chosen]
    assert _ids(conn, code, Op.IN, *literals) == expected
    assert _ids(conn, code, Op.NOT_IN, *literals) == ALL_IDS - expected


number_values = st.sampled_from(["-1", "-0.5", "0", "0.25", "0.250", "100", "110", "1500", "1650", "99999999999"])


@SETTINGS
@given(code=st.sampled_from(["Amount", "Total"]), number=number_values)
def test_numeric_comparisons_split_the_non_empty_records(conn: sqlite3.Connection, code: str, number: str) -> None:
    stored = {i: Decimal(v) for i, v in _stored(code).items() if v != ""}
    empty = ALL_IDS - set(stored)
    n = Decimal(number)
    lit = NumberLit(number)
    assert _ids(conn, code, Op.EQ, lit) == {i for i, v in stored.items() if v == n}
    assert _ids(conn, code, Op.NE, lit) == {i for i, v in stored.items() if v != n} | empty
    assert _ids(conn, code, Op.LT, lit) == {i for i, v in stored.items() if v < n}
    assert _ids(conn, code, Op.GE, lit) == {i for i, v in stored.items() if v >= n}
    assert _ids(conn, code, Op.GT, lit) == {i for i, v in stored.items() if v > n}
    assert _ids(conn, code, Op.LE, lit) == {i for i, v in stored.items() if v <= n}


dates = st.dates(min_value=date(2023, 12, 1), max_value=date(2024, 4, 30))


@SETTINGS
@given(day=dates)
def test_date_comparisons_split_the_non_empty_records(conn: sqlite3.Connection, day: date) -> None:
    stored = {i: v for i, v in _stored("Close").items() if v is not None}
    empty = ALL_IDS - set(stored)
    text = day.isoformat()
    lit = StringLit(text)
    assert _ids(conn, "Close", Op.EQ, lit) == {i for i, v in stored.items() if v == text}
    assert _ids(conn, "Close", Op.NE, lit) == {i for i, v in stored.items() if v != text} | empty
    assert _ids(conn, "Close", Op.LT, lit) | _ids(conn, "Close", Op.GE, lit) == set(stored)
    assert not _ids(conn, "Close", Op.LT, lit) & _ids(conn, "Close", Op.GE, lit)
    assert _ids(conn, "Close", Op.GT, lit) == {i for i, v in stored.items() if v > text}


inner = st.sampled_from(
    [
        ("Product", StringLit("Widget")),
        ("Product", StringLit("Gadget")),
        ("Product", StringLit("")),
        ("Qty", NumberLit("3")),
        ("Qty", NumberLit("0")),
        ("Kind", StringLit("Hardware")),
        ("Kind", StringLit("")),
    ]
)


@SETTINGS
@given(pair=inner)
def test_subtable_not_in_is_every_row(conn: sqlite3.Connection, pair: tuple[str, Value]) -> None:
    code, value = pair
    rows = {i: [r["value"][code] for r in data.get("Items", [])] for i, _, data in RECORDS}
    wanted = value.value if isinstance(value, StringLit) else value.text if isinstance(value, NumberLit) else None

    def same(stored: Any) -> bool:
        return (stored or "") == wanted

    any_row = {i for i, values in rows.items() if any(same(v) for v in values) or (wanted == "" and not values)}
    every_row = {i for i, values in rows.items() if values and not any(same(v) for v in values)}
    assert _ids(conn, code, Op.IN, value) == any_row
    assert _ids(conn, code, Op.NOT_IN, value) == every_row
