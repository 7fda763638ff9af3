"""Kintone query semantics in the sandbox, per field type: each case is a query and the records it must select,
worked out by hand from the records in ``query_semantics_app`` (read the record comments there first).

Queries are compiled and run against a raw ``records`` table exactly as the sandbox core will run them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from query_semantics_app import ALL_IDS, FIELDS, context, database, run

Case = tuple[str, set[int]]


@pytest.fixture(scope="module")
def conn() -> Iterator[sqlite3.Connection]:
    connection = database()
    yield connection
    connection.close()


def _ids(cases: list[Case]) -> list[str]:
    return [query for query, _ in cases]


def _check(conn: sqlite3.Connection, query: str, expected: set[int], **ctx_options: object) -> None:
    got = run(conn, query, context(**ctx_options) if ctx_options else None)
    assert len(got) == len(set(got)), f"duplicate records for {query!r}: {got}"
    assert set(got) == expected, query


ID_AND_NUMBER: list[Case] = [
    ("$id = 3", {3}),
    ("$id != 3", {1, 2, 4, 5, 6}),
    ("$id > 4", {5, 6}),
    ("$id >= 4", {4, 5, 6}),
    ("$id < 2", {1}),
    ("$id <= 2", {1, 2}),
    ("$id in (1, 3, 99)", {1, 3}),
    ("$id not in (1, 3)", {2, 4, 5, 6}),
    ('$id = "4"', {4}),
    ('Record_number = "5"', {5}),
    ('Record_number = "DEALS-5"', {5}),
    ("Record_number >= 5", {5, 6}),
    ("Record_number in (2, 4)", {2, 4}),
    ("$revision = 2", {1}),
    ("$revision > 5", {5, 6}),
    ("$revision in (3, 4)", {2, 3}),
    ("$revision not in (3, 4)", {1, 4, 5, 6}),
    ("Amount = 1500", {1, 5}),
    ('Amount = "1500"', {1, 5}),
    ("Amount = 1500.0", {1, 5}),
    ("Amount = 1500.00001", set()),
    ("Amount != 1500", {2, 3, 4, 6}),
    ("Amount > 100", {1, 5, 6}),
    ("Amount >= 100", {1, 4, 5, 6}),
    ("Amount < 100", {2}),
    ("Amount <= 100", {2, 4}),
    # Numeric, not lexical: "1500" < "200" as text.
    ("Amount < 200", {2, 4}),
    ("Amount < 0", {2}),
    ("Amount > -1", {1, 2, 4, 5, 6}),
    ("Amount = -0.5", {2}),
    ('Amount = "-0.50"', {2}),
    ("Amount > 9999999999", {6}),
    ("Amount = 99999999999", {6}),
    ("Amount in (100, 1500)", {1, 4, 5}),
    ("Amount not in (100, 1500)", {2, 3, 6}),
    ('Amount = ""', {3}),
    ('Amount != ""', {1, 2, 4, 5, 6}),
    ('Amount in ("", 100)', {3, 4}),
    ('Amount not in ("")', {1, 2, 4, 5, 6}),
    ('Amount not in ("", 100)', {1, 2, 5, 6}),
    ("Amount > 1000 and Amount < 2000", {1, 5}),
    ("Amount < 0 or Amount > 1000", {1, 2, 5, 6}),
    ("Total = 0", {2}),
    ("Total < 1", {2, 6}),
    ("Total > 0.2", {1, 4, 5, 6}),
    ("Total in (0.25)", {6}),
    ("Total not in (1650)", {2, 3, 4, 6}),
    ('Total = ""', {3}),
]


@pytest.mark.parametrize(("query", "expected"), ID_AND_NUMBER, ids=_ids(ID_AND_NUMBER))
def test_numbers_and_ids(conn: sqlite3.Connection, query: str, expected: set[int]) -> None:
    _check(conn, query, expected)


NEGATIVE_WITHOUT_EMPTY: list[Case] = [
    ("Amount != 1500", {2, 4, 6}),
    ("Amount not in (100)", {1, 2, 5, 6}),
    ('Amount != ""', {1, 2, 4, 5, 6}),
    ('Close != "2024-03-15"', {1, 3, 4, 6}),
    ('Start != "09:00"', {3, 4, 5}),
    # Text has no "empty number": its empty value is the string "", which is not "Alpha deal".
    ('Title != "Alpha deal"', {2, 3, 4, 6}),
]


@pytest.mark.parametrize(("query", "expected"), NEGATIVE_WITHOUT_EMPTY, ids=_ids(NEGATIVE_WITHOUT_EMPTY))
def test_negative_operators_can_exclude_empty_values(conn: sqlite3.Connection, query: str, expected: set[int]) -> None:
    _check(conn, query, expected, negative_matches_empty=False)


TEXT: list[Case] = [
    ('Title = "Alpha deal"', {1, 5}),
    ('Title = "alpha deal"', set()),
    ('Title = "Alpha"', set()),
    ('Title != "Alpha deal"', {2, 3, 4, 6}),
    ('Title = ""', {3}),
    ('Title != ""', {1, 2, 4, 5, 6}),
    ('Title in ("gamma", "beta DEAL")', {2, 6}),
    ('Title in ("")', {3}),
    ('Title in ("gamma", "")', {3, 6}),
    ('Title not in ("gamma", "")', {1, 2, 4, 5}),
    ('Title like "deal"', {1, 2, 5}),
    ('Title like "DEAL"', {1, 2, 5}),
    ('Title like "pha d"', {1, 5}),
    ('Title not like "deal"', {3, 4, 6}),
    # like is not SQL LIKE: % and _ are ordinary characters.
    ('Title like "%"', {4}),
    ('Title like "_"', {4}),
    ('Title like "0% s"', {4}),
    ('Title like "a%"', set()),
    ('Title like "a_deal"', set()),
    ('Title not like "%"', {1, 2, 3, 5, 6}),
    # An empty search string is contained in every text.
    ('Title like ""', {1, 2, 3, 4, 5, 6}),
    ("Title is empty", {3}),
    ("Title is not empty", {1, 2, 4, 5, 6}),
    ("Title = 100", set()),
    ('Title = "x\' OR 1=1 --"', set()),
    ('Title like "\'"', set()),
    ('顧客名 = "株式会社サンプル"', {1}),
    ('顧客名 like "サンプル"', {1}),
    ('顧客名 in ("")', {2, 3, 4, 5, 6}),
    ('Url = "https://example.com/a"', {1}),
    ('Url like "EXAMPLE.com"', {1}),
    ('Url not like "example"', {2, 3, 4, 5, 6}),
    ('Url in ("")', {2, 3, 4, 5, 6}),
    ('Url != ""', {1}),
    ('Notes like "second line"', {1}),
    ('Notes like "line\\nsecond"', {1}),
    ('Notes like "50%"', {4}),
    ('Notes like "a_b"', {4}),
    ('Notes like "a%b"', set()),
    ('Notes not like "line"', {2, 3, 4, 5, 6}),
    # Whitespace-only text (spaces, tabs, newlines) is empty.
    ("Notes is empty", {2, 3, 5, 6}),
    ("Notes is not empty", {1, 4}),
    ('Body like "world"', {1}),
    ('Body like "100%"', {4}),
    ('Body not like "100%"', {1, 2, 3, 5, 6}),
    ('Status = "Open"', {1, 4, 5}),
    ('Status != "Open"', {2, 3, 6}),
    ('Status in ("Done", "In progress")', {2, 3, 6}),
    ('Status not in ("Done")', {1, 2, 4, 5}),
    ('Status = "open"', set()),
]


@pytest.mark.parametrize(("query", "expected"), TEXT, ids=_ids(TEXT))
def test_text(conn: sqlite3.Connection, query: str, expected: set[int]) -> None:
    _check(conn, query, expected)


CHOICES: list[Case] = [
    ('Stage in ("Lead")', {1}),
    ('Stage in ("Won", "Lost")', {4, 5}),
    # Nothing selected in a drop-down is null; in ("") finds it.
    ('Stage in ("")', {3}),
    ('Stage in ("", "Lead")', {1, 3}),
    ('Stage not in ("Won", "Lost")', {1, 2, 3, 6}),
    ('Stage not in ("")', {1, 2, 4, 5, 6}),
    ('Priority in ("High")', {1, 4}),
    ('Priority not in ("High", "Low")', {2, 5}),
    ('Priority in ("")', set()),
    ('Tags in ("A")', {1, 4}),
    ('Tags in ("B", "C")', {1, 3, 5}),
    ('Tags in ("")', {2, 6}),
    ('Tags in ("", "C")', {2, 3, 5, 6}),
    ('Tags not in ("A")', {2, 3, 5, 6}),
    ('Tags not in ("A", "B")', {2, 3, 6}),
    ('Tags not in ("")', {1, 3, 4, 5}),
    ('Tags in ("A") and Tags in ("B")', {1}),
    ('Regions in ("北海道")', {2}),
    ('Regions in ("West")', {2, 4}),
    ('Regions not in ("East")', {2, 3, 5, 6}),
    ('Regions in ("")', {3, 5, 6}),
    ('Owner in ("sato")', {1, 5}),
    ("Owner in (LOGINUSER())", {1, 5}),
    ('Owner in ("tanaka", "Administrator")', {2, 4}),
    ("Owner not in (LOGINUSER())", {2, 3, 4, 6}),
    ('Owner in ("")', {3, 6}),
    ('Owner in ("nobody")', set()),
    ('Owner not in ("nobody")', {1, 2, 3, 4, 5, 6}),
    ('Team in ("sales")', {1, 4}),
    ("Team in (PRIMARY_ORGANIZATION())", {1, 4}),
    ('Team not in (PRIMARY_ORGANIZATION(), "support")', {2, 5, 6}),
    ('Groups in ("managers")', {1}),
    ('Groups not in ("managers")', {2, 3, 4, 5, 6}),
    ('Created_by in ("sato")', {1, 4, 6}),
    ("Created_by in (LOGINUSER())", {1, 4, 6}),
    ('Created_by not in ("sato", "tanaka")', {2, 3}),
    ('Updated_by in ("tanaka")', {4, 5}),
    ("Updated_by in (LOGINUSER())", {6}),
    ('Assignee in ("tanaka")', {2, 4}),
    ("Assignee in (LOGINUSER())", {1, 6}),
    ('Assignee not in ("sato")', {2, 3, 4, 5}),
    ('Assignee in ("")', {3, 5}),
    ('Attachments like "quote"', {1}),
    ('Attachments like ".pdf"', {1}),
    ('Attachments like "PHOTO"', {3}),
    ('Attachments like "t"', {1, 3}),
    ('Attachments like "key-"', set()),
    ('Attachments not like "photo"', {1, 2, 4, 5, 6}),
    ("Attachments is empty", {2, 4, 5, 6}),
    ("Attachments is not empty", {1, 3}),
]


@pytest.mark.parametrize(("query", "expected"), CHOICES, ids=_ids(CHOICES))
def test_selections_users_and_files(conn: sqlite3.Connection, query: str, expected: set[int]) -> None:
    _check(conn, query, expected)


LOGIN_AND_ORGANIZATION: list[tuple[str, str, str | None, set[int]]] = [
    ("Owner in (LOGINUSER())", "tanaka", None, {2}),
    ("Created_by in (LOGINUSER())", "Administrator", None, {3}),
    ('Assignee in (LOGINUSER(), "sato")', "tanaka", None, {1, 2, 4, 6}),
    # No primary organization: PRIMARY_ORGANIZATION() matches nothing.
    ("Team in (PRIMARY_ORGANIZATION())", "sato", None, set()),
    ("Team not in (PRIMARY_ORGANIZATION())", "sato", None, {1, 2, 3, 4, 5, 6}),
    ('Team in (PRIMARY_ORGANIZATION(), "support")', "sato", None, {3}),
    ("Team in (PRIMARY_ORGANIZATION())", "suzuki", "engineering", {4}),
]


@pytest.mark.parametrize(("query", "login", "organization", "expected"), LOGIN_AND_ORGANIZATION)
def test_caller_functions_follow_the_context(
    conn: sqlite3.Connection, query: str, login: str, organization: str | None, expected: set[int]
) -> None:
    _check(conn, query, expected, login=login, organization=organization)


DATES_AND_TIMES: list[Case] = [
    ('Close = "2024-03-15"', {5}),
    ('Close != "2024-03-15"', {1, 2, 3, 4, 6}),
    ('Close > "2024-03-01"', {3, 5}),
    ('Close >= "2024-03-01"', {1, 3, 5}),
    ('Close < "2024-03-01"', {4, 6}),
    ('Close <= "2024-02-29"', {4, 6}),
    ('Close = ""', {2}),
    ('Close != ""', {1, 3, 4, 5, 6}),
    ("Close is empty", {2}),
    ("Close is not empty", {1, 3, 4, 5, 6}),
    ('Close >= "2024-03-01" and Close <= "2024-03-31"', {1, 3, 5}),
    # Now is 2024-03-15 19:30 in Tokyo, a Friday.
    ("Close = TODAY()", {5}),
    ("Close = YESTERDAY()", set()),
    ("Close = TOMORROW()", set()),
    ("Close < TODAY()", {1, 4, 6}),
    ("Close >= TODAY()", {3, 5}),
    ("Close != TODAY()", {1, 2, 3, 4, 6}),
    ("Close = THIS_MONTH()", {1, 3, 5}),
    ("Close > THIS_MONTH()", set()),
    ("Close < THIS_MONTH()", {4, 6}),
    ("Close <= THIS_MONTH()", {1, 3, 4, 5, 6}),
    ("Close = LAST_MONTH()", {4}),
    ("Close = LAST_MONTH(LAST)", {4}),
    ("Close = LAST_MONTH(29)", {4}),
    ("Close = THIS_MONTH(LAST)", {3}),
    ("Close = THIS_MONTH(1)", {1}),
    ("Close > THIS_MONTH(1)", {3, 5}),
    ("Close = NEXT_MONTH()", set()),
    ("Close = THIS_YEAR()", {1, 3, 4, 5}),
    ("Close = LAST_YEAR()", {6}),
    ("Close > THIS_YEAR()", set()),
    ("Close < THIS_YEAR()", {6}),
    ("Close = NEXT_YEAR()", set()),
    ("Close = FROM_TODAY(-14, DAYS)", {1}),
    ("Close = FROM_TODAY(-15, DAYS)", {4}),
    ("Close = FROM_TODAY(16, DAYS)", {3}),
    ("Close = FROM_TODAY(-2, WEEKS)", {1}),
    ("Close = FROM_TODAY(0, MONTHS)", {5}),
    ("Close < FROM_TODAY(-1, MONTHS)", {6}),
    ("Close = THIS_WEEK()", {5}),
    ("Close = THIS_WEEK(FRIDAY)", {5}),
    ("Close = THIS_WEEK(SATURDAY)", set()),
    ("Close > THIS_WEEK(THURSDAY)", {3, 5}),
    ("Close = NEXT_WEEK()", set()),
    ("Close >= NEXT_WEEK()", {3}),
    ("Close < LAST_WEEK()", {1, 4, 6}),
    # Date-times: a day means the whole day in the caller's zone (Tokyo day 03-15 is 03-14T15:00Z..03-15T15:00Z).
    ("Meeting = TODAY()", {1, 5}),
    ('Meeting = "2024-03-15"', {1, 5}),
    ("Meeting > TODAY()", {3}),
    ("Meeting >= TODAY()", {1, 3, 5}),
    ("Meeting < TODAY()", {4, 6}),
    ("Meeting <= TODAY()", {1, 4, 5, 6}),
    ("Meeting != TODAY()", {2, 3, 4, 6}),
    ("Meeting = THIS_MONTH()", {1, 5}),
    ("Meeting = NEXT_MONTH()", {3}),
    ("Meeting = NEXT_MONTH(1)", {3}),
    ("Meeting = THIS_YEAR()", {1, 3, 4, 5, 6}),
    ("Meeting = LAST_YEAR()", set()),
    ('Meeting = "2024-03-14T15:00:00Z"', {1}),
    ('Meeting = "2024-03-14T15:00Z"', {1}),
    ('Meeting = "2024-03-15T00:00:00+09:00"', {1}),
    ('Meeting = "2024-03-15T00:00:00+0900"', {1}),
    ('Meeting = "2024-03-14T10:00:00-05:00"', {1}),
    # No offset: the caller's local time.
    ('Meeting = "2024-03-15T00:00:00"', {1}),
    ('Meeting > "2024-03-15T14:59:00Z"', {3}),
    ('Meeting >= "2024-03-15T14:59:00Z"', {3, 5}),
    ('Meeting < "2024-02-29T12:00:00Z"', {6}),
    ('Meeting <= "2024-02-29T12:00:00Z"', {4, 6}),
    ('Meeting = "2024-03-15T14:59:30Z"', set()),
    ('Meeting != "2024-03-14T15:00:00Z"', {2, 3, 4, 5, 6}),
    # NOW() is 10:30:45Z; stored times have minute precision.
    ("Meeting < NOW()", {1, 4, 6}),
    ("Meeting > NOW()", {3, 5}),
    ('Meeting = ""', {2}),
    ("Meeting is empty", {2}),
    ("Meeting is not empty", {1, 3, 4, 5, 6}),
    ("Created_datetime = TODAY()", {3}),
    ("Created_datetime = YESTERDAY()", {5}),
    ("Created_datetime = FROM_TODAY(-1, DAYS)", {5}),
    ("Created_datetime >= THIS_WEEK()", {3, 5}),
    ("Created_datetime < LAST_MONTH()", {1, 6}),
    ("Created_datetime = LAST_MONTH()", {2, 4}),
    ("Created_datetime = THIS_YEAR()", {1, 2, 3, 4, 5, 6}),
    ('Created_datetime > "2024-02-29T12:00:00Z"', {3, 5}),
    ("Updated_datetime = TODAY()", {1, 2}),
    ("Updated_datetime > TODAY()", {3}),
    ("Updated_datetime = TOMORROW()", {3}),
    ("Updated_datetime < TODAY()", {4, 5, 6}),
    ("Updated_datetime <= NOW()", {1, 4, 5, 6}),
    ('Start = "09:00"', {1}),
    ('Start = "9:00"', {1}),
    ('Start = "09:00:00"', {1}),
    ('Start > "12:00"', {3, 4}),
    ('Start < "09:00"', {5}),
    ('Start <= "09:00"', {1, 5}),
    ('Start != "09:00"', {2, 3, 4, 5, 6}),
    ('Start >= "00:00"', {1, 3, 4, 5}),
    ('Start = ""', {2, 6}),
    ("Start is empty", {2, 6}),
]


@pytest.mark.parametrize(("query", "expected"), DATES_AND_TIMES, ids=_ids(DATES_AND_TIMES))
def test_dates_and_times(conn: sqlite3.Connection, query: str, expected: set[int]) -> None:
    _check(conn, query, expected)


ZONE_CASES: list[tuple[str, str, set[int]]] = [
    # In UTC, record 6's meeting (2023-12-31T15:00Z) is last year, record 3's (03-31T23:59Z) still March.
    ("Meeting = THIS_YEAR()", "UTC", {1, 3, 4, 5}),
    ("Meeting = LAST_YEAR()", "UTC", {6}),
    ("Meeting = TODAY()", "UTC", {5}),
    ("Meeting = THIS_MONTH()", "UTC", {1, 3, 5}),
    ("Created_datetime = THIS_YEAR()", "UTC", {1, 2, 3, 4, 5}),
    # 10:30Z is 06:30 in New York (EDT since 03-10): the day runs 04:00Z to 04:00Z.
    ("Meeting = TODAY()", "America/New_York", {5}),
    ("Meeting = YESTERDAY()", "America/New_York", {1}),
    ("Updated_datetime = TODAY()", "America/New_York", {2, 3}),
    ("Meeting = THIS_MONTH()", "America/New_York", {1, 3, 5}),
]


@pytest.mark.parametrize(("query", "zone", "expected"), ZONE_CASES)
def test_dates_follow_the_callers_time_zone(
    conn: sqlite3.Connection, query: str, zone: str, expected: set[int]
) -> None:
    from zoneinfo import ZoneInfo

    _check(conn, query, expected, tz=ZoneInfo(zone))


SUBTABLES: list[Case] = [
    ('Product in ("Widget")', {1, 3, 4}),
    # Negative operators: every row must satisfy, and the table must have rows (record 2's has none).
    ('Product not in ("Widget")', {5, 6}),
    ('Product like "g"', {1, 3, 4, 5}),
    ('Product like "gad"', {1, 5}),
    ('Product not like "gad"', {3, 4, 6}),
    # A table without rows counts as empty for in ("") and is empty.
    ('Product in ("")', {2, 6}),
    ("Qty in (3)", {1}),
    ("Qty > 4", {1, 4, 5}),
    ("Qty < 1", {6}),
    ("Qty >= 1", {1, 4, 5}),
    ("Qty not in (3)", {3, 4, 5, 6}),
    ('Qty in ("")', {2, 3}),
    ('Kind in ("Hardware")', {1, 4, 6}),
    ('Kind not in ("Hardware")', {3, 5}),
    ('Kind in ("")', {2, 3}),
    ('Shipped > "2024-01-31"', {1, 4}),
    # Inside a table, dates take in / not in instead of = / !=, with the same day semantics.
    ("Shipped in (THIS_MONTH())", {1}),
    ('Shipped in ("2024-03-02", "2024-01-05")', {1, 4}),
    ('Shipped not in ("2024-03-02")', {3, 4, 5, 6}),
    ("Shipped is empty", {1, 2, 3, 5, 6}),
    ("Shipped is not empty", {4}),
    ('Memo like "rush"', {1}),
    ("Memo is empty", {1, 2, 3, 4, 5, 6}),
    ("Memo is not empty", set()),
    ('Memo not like "rush"', {3, 4, 5, 6}),
    # Positive conditions on one table joined by and: the same row must satisfy all of them.
    ('Product in ("Widget") and Kind in ("Software")', {4}),
    ('Kind in ("Software") and Product in ("Widget")', {4}),
    ('Product in ("Widget") and Qty > 4', {4}),
    ('Product in ("Gadget") and Qty in (10)', {1}),
    ('Product in ("Gadget") and Qty in (3)', set()),
    ('Product in ("Widget") and Amount = 100', {4}),
    ('Amount = 1500 and Product in ("Widget") and Qty >= 3', {1}),
    ('Product in ("Widget") and (Kind in ("Software") and Qty > 4)', {4}),
    ('Kind in ("") and Product in ("Widget")', {3}),
    ('Kind in ("") and Shipped is empty', {2, 3}),
    # Across or, rows are independent.
    ('Product in ("Widget") or Kind in ("Software")', {1, 3, 4, 5}),
    ('(Product in ("Widget") and Kind in ("Hardware")) or Amount = 1500', {1, 5}),
    ('(Product in ("Widget") or Product in ("Gizmo")) and Kind in ("Hardware")', {1, 4}),
    # Positive and negative together: a matching row exists and every row satisfies the negative one.
    ('Product in ("Widget") and Kind not in ("Software")', {3}),
    ('Product not in ("Gizmo") and Kind not in ("Software")', {3, 6}),
]


@pytest.mark.parametrize(("query", "expected"), SUBTABLES, ids=_ids(SUBTABLES))
def test_subtables(conn: sqlite3.Connection, query: str, expected: set[int]) -> None:
    _check(conn, query, expected)


RELATED: list[Case] = [
    ('Tickets.Kind in ("Bug")', {1, 2, 5}),
    ('Tickets.Kind not in ("Bug")', {6}),
    ("Tickets.Severity in (1)", {1, 5, 6}),
    ("Tickets.Severity > 2", {1, 5}),
    ('Tickets.Deal like "alpha"', {1, 5}),
    ('Tickets.Kind in ("")', set()),
    # Conditions on one related-records field joined by and must hold for the same related record.
    ('Tickets.Severity in (1) and Tickets.Kind in ("Bug")', set()),
    ('Tickets.Severity in (3) and Tickets.Kind in ("Bug")', {1, 5}),
    ('Tickets.Severity in (1) or Tickets.Kind in ("Bug")', {1, 2, 5, 6}),
    # SevereTickets shows only tickets with Severity >= 2 (its filterCond).
    ('SevereTickets.Kind in ("Bug")', {1, 2, 5}),
    ("SevereTickets.Severity in (1)", set()),
    ("SevereTickets.Severity > 2", {1, 5}),
    ('SevereTickets.Kind not in ("Bug")', set()),
    ("SevereTickets.Severity not in (3)", {2}),
]


@pytest.mark.parametrize(("query", "expected"), RELATED, ids=_ids(RELATED))
def test_related_records(conn: sqlite3.Connection, query: str, expected: set[int]) -> None:
    _check(conn, query, expected)


ORDER: list[tuple[str, list[int]]] = [
    ("", [6, 5, 4, 3, 2, 1]),
    ("Amount > 0", [6, 5, 4, 1]),
    # Equal values are tied: the final r.id DESC decides.
    ("order by Amount desc", [6, 5, 1, 4, 2, 3]),
    ("order by Amount asc", [3, 2, 4, 5, 1, 6]),
    ("order by Amount asc, $id asc", [3, 2, 4, 1, 5, 6]),
    ("order by Total asc", [3, 2, 6, 4, 5, 1]),
    ("order by Title asc", [3, 4, 5, 1, 2, 6]),
    ("order by Title desc, $id asc", [6, 2, 1, 5, 4, 3]),
    ("order by Notes asc", [6, 5, 3, 2, 1, 4]),
    ("order by Close asc", [2, 6, 4, 1, 5, 3]),
    ("order by Close desc", [3, 5, 1, 4, 6, 2]),
    ("order by Meeting desc", [3, 5, 1, 4, 6, 2]),
    ("order by Start asc", [6, 2, 5, 1, 4, 3]),
    # Drop-downs and radio buttons sort by the option order in the field settings.
    ("order by Stage asc", [3, 1, 2, 6, 4, 5]),
    ("order by Priority desc", [6, 3, 5, 2, 4, 1]),
    ("order by Priority asc, Amount desc", [1, 4, 5, 2, 6, 3]),
    ("order by Record_number asc", [1, 2, 3, 4, 5, 6]),
    ("order by $id desc", [6, 5, 4, 3, 2, 1]),
    ("order by $revision desc", [6, 5, 4, 3, 2, 1]),
    ("order by Created_datetime asc", [6, 1, 2, 4, 5, 3]),
    ("order by Updated_datetime desc", [3, 2, 1, 5, 4, 6]),
    ("order by Created_by asc", [3, 6, 4, 1, 2, 5]),
    ("order by Updated_by asc, $id asc", [3, 6, 1, 2, 4, 5]),
    ("order by Status asc", [6, 3, 2, 5, 4, 1]),
    ("order by 顧客名 desc", [1, 6, 5, 4, 3, 2]),
    ("Amount > 0 order by Amount desc limit 2", [6, 5]),
    ("Amount > 0 order by Amount desc limit 2 offset 2", [1, 4]),
    ("order by Amount desc limit 2 offset 1", [5, 1]),
    ("limit 3", [6, 5, 4]),
    ("offset 4", [2, 1]),
    ("limit 0", []),
    ('Tags in ("B") order by Close desc', [5, 1]),
]


@pytest.mark.parametrize(("query", "expected"), ORDER, ids=[q or "(empty)" for q, _ in ORDER])
def test_order_limit_offset(conn: sqlite3.Connection, query: str, expected: list[int]) -> None:
    assert run(conn, query) == expected


def test_options_sort_by_label_when_configured(conn: sqlite3.Connection) -> None:
    assert run(conn, "order by Stage asc", context(option_sort="label")) == [3, 1, 5, 6, 2, 4]


def test_other_apps_records_never_come_back(conn: sqlite3.Connection) -> None:
    # The other app holds copies of records 1-3 under ids 101-103.
    assert set(run(conn, "")) == ALL_IDS
    assert set(run(conn, 'Title = "Alpha deal"')) == {1, 5}


def test_every_field_in_the_app_is_addressable(conn: sqlite3.Connection) -> None:
    # Field codes with non-ASCII characters are quoted correctly in JSON paths.
    for code, props in FIELDS.items():
        if props["type"] in ("SINGLE_LINE_TEXT",):
            assert set(run(conn, f'{code} != "no such value"')) == ALL_IDS


INDEXED_QUERIES = [
    'Title = "Alpha deal"',
    'Title in ("gamma", "")',
    'Title like "deal"',
    "Amount > 100",
    'Amount = ""',
    "Total < 1",
    'Close >= "2024-03-01"',
    "Meeting = TODAY()",
    'Start < "12:00"',
    'Stage in ("", "Won")',
    'Priority not in ("High")',
    "order by Amount desc, Close asc",
    "order by Start asc",
    'Url like "example"',
]


def test_expression_indexes_change_plans_not_results(conn: sqlite3.Connection) -> None:
    from query_semantics_app import APP

    from kintone_mcp.query import parse
    from kintone_mcp.sandbox.store.querysql import compile_query, index_statements

    indexed = database()
    statements = index_statements(APP, FIELDS)
    for statement in statements:
        indexed.execute(statement)
    indexed.execute("ANALYZE")
    codes = frozenset(code for code in FIELDS if any(f"_{code.encode().hex()}" in s for s in statements))
    assert {"Amount", "Total", "Title", "Url", "Stage", "Priority", "Close", "Meeting", "Start", "顧客名"} <= codes
    ctx = context(indexed_codes=codes)
    for query in INDEXED_QUERIES:
        assert run(indexed, query, ctx) == run(conn, query), query
    # Same expression text in the query and the index: SQLite searches the index. An indexed text field gets no
    # raw-JSON prefilter, which would make SQLite read every candidate row's document.
    for query in ('Title = "Alpha deal"', "Amount > 100", 'Close >= "2024-03-01"', 'Stage in ("Won")'):
        compiled = compile_query(parse(query), FIELDS, ctx)
        plan = indexed.execute(
            f"EXPLAIN QUERY PLAN SELECT COUNT(*) FROM records r WHERE r.app = ? AND ({compiled.where})",
            [APP, *compiled.params],
        ).fetchall()
        assert any("USING INDEX records_app2_" in row[3] for row in plan), (query, plan)
        assert "LIKE" not in compiled.where
    assert "LIKE" in compile_query(parse('Title = "Alpha deal"'), FIELDS, context()).where
    indexed.close()
