"""Date functions and whole-day comparisons across time zones, DST changes and month ends.

Two layers: the calendar (which days a function names, checked against a hand-written table) and the SQL (a record
matches when its stored value, read as a local day in the caller's zone, relates to those days as the operator
says). The SQL layer is checked against a direct Python reading of that rule over dense instants around each edge.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from query_semantics_app import SCHEMA

from kintone_mcp.query import parse
from kintone_mcp.sandbox.store.querydates import DaySpan, FunctionArgumentError, add_months, evaluate_day_function
from kintone_mcp.sandbox.store.querysql import QueryContext, compile_query

D = date.fromisoformat

# (function, args, today, first, last)
CALENDAR: list[tuple[str, tuple[str, ...], str, str, str]] = [
    ("TODAY", (), "2024-03-15", "2024-03-15", "2024-03-15"),
    ("YESTERDAY", (), "2024-03-01", "2024-02-29", "2024-02-29"),
    ("YESTERDAY", (), "2024-01-01", "2023-12-31", "2023-12-31"),
    ("TOMORROW", (), "2024-12-31", "2025-01-01", "2025-01-01"),
    ("TOMORROW", (), "2023-02-28", "2023-03-01", "2023-03-01"),
    ("FROM_TODAY", ("0", "DAYS"), "2024-03-15", "2024-03-15", "2024-03-15"),
    ("FROM_TODAY", ("-15", "DAYS"), "2024-03-15", "2024-02-29", "2024-02-29"),
    ("FROM_TODAY", ("366", "DAYS"), "2024-01-01", "2025-01-01", "2025-01-01"),
    ("FROM_TODAY", ("2", "WEEKS"), "2024-12-25", "2025-01-08", "2025-01-08"),
    ("FROM_TODAY", ("-1", "WEEKS"), "2024-03-05", "2024-02-27", "2024-02-27"),
    # Months and years keep the day of month, or take the month's last day when it has no such day.
    ("FROM_TODAY", ("1", "MONTHS"), "2024-01-31", "2024-02-29", "2024-02-29"),
    ("FROM_TODAY", ("1", "MONTHS"), "2023-01-31", "2023-02-28", "2023-02-28"),
    ("FROM_TODAY", ("-1", "MONTHS"), "2024-03-31", "2024-02-29", "2024-02-29"),
    ("FROM_TODAY", ("-3", "MONTHS"), "2024-02-15", "2023-11-15", "2023-11-15"),
    ("FROM_TODAY", ("13", "MONTHS"), "2024-12-31", "2026-01-31", "2026-01-31"),
    ("FROM_TODAY", ("1", "YEARS"), "2024-02-29", "2025-02-28", "2025-02-28"),
    ("FROM_TODAY", ("-4", "YEARS"), "2024-02-29", "2020-02-29", "2020-02-29"),
    ("FROM_TODAY", ("2", "days"), "2024-03-15", "2024-03-17", "2024-03-17"),
    # Weeks run Sunday to Saturday.
    ("THIS_WEEK", (), "2024-03-15", "2024-03-10", "2024-03-16"),
    ("THIS_WEEK", (), "2024-03-10", "2024-03-10", "2024-03-16"),
    ("THIS_WEEK", (), "2024-03-16", "2024-03-10", "2024-03-16"),
    ("THIS_WEEK", (), "2025-01-01", "2024-12-29", "2025-01-04"),
    ("THIS_WEEK", ("SUNDAY",), "2024-03-16", "2024-03-10", "2024-03-10"),
    ("THIS_WEEK", ("SATURDAY",), "2024-03-10", "2024-03-16", "2024-03-16"),
    ("THIS_WEEK", ("MONDAY",), "2024-03-15", "2024-03-11", "2024-03-11"),
    ("LAST_WEEK", (), "2024-03-15", "2024-03-03", "2024-03-09"),
    ("LAST_WEEK", ("WEDNESDAY",), "2024-03-03", "2024-02-28", "2024-02-28"),
    ("NEXT_WEEK", (), "2024-12-31", "2025-01-05", "2025-01-11"),
    ("NEXT_WEEK", ("FRIDAY",), "2024-02-25", "2024-03-08", "2024-03-08"),
    ("THIS_MONTH", (), "2024-02-10", "2024-02-01", "2024-02-29"),
    ("THIS_MONTH", (), "2023-02-10", "2023-02-01", "2023-02-28"),
    ("THIS_MONTH", ("LAST",), "2024-04-01", "2024-04-30", "2024-04-30"),
    ("THIS_MONTH", ("1",), "2024-04-30", "2024-04-01", "2024-04-01"),
    ("THIS_MONTH", ("30",), "2024-04-01", "2024-04-30", "2024-04-30"),
    # A day the month does not have: the next month's 1st (default).
    ("THIS_MONTH", ("31",), "2024-04-10", "2024-05-01", "2024-05-01"),
    ("THIS_MONTH", ("30",), "2024-02-10", "2024-03-01", "2024-03-01"),
    ("LAST_MONTH", (), "2024-01-15", "2023-12-01", "2023-12-31"),
    ("LAST_MONTH", ("LAST",), "2024-03-31", "2024-02-29", "2024-02-29"),
    ("LAST_MONTH", ("31",), "2024-03-31", "2024-03-01", "2024-03-01"),
    ("NEXT_MONTH", (), "2024-12-31", "2025-01-01", "2025-01-31"),
    ("NEXT_MONTH", ("LAST",), "2024-01-31", "2024-02-29", "2024-02-29"),
    ("NEXT_MONTH", ("15",), "2024-01-31", "2024-02-15", "2024-02-15"),
    ("THIS_YEAR", (), "2024-06-30", "2024-01-01", "2024-12-31"),
    ("LAST_YEAR", (), "2024-01-01", "2023-01-01", "2023-12-31"),
    ("NEXT_YEAR", (), "2024-12-31", "2025-01-01", "2025-12-31"),
]


@pytest.mark.parametrize(("name", "args", "today", "first", "last"), CALENDAR)
def test_calendar(name: str, args: tuple[str, ...], today: str, first: str, last: str) -> None:
    assert evaluate_day_function(name, args, D(today)) == DaySpan(D(first), D(last))


CLAMPED: list[tuple[str, tuple[str, ...], str, str]] = [
    ("THIS_MONTH", ("31",), "2024-04-10", "2024-04-30"),
    ("THIS_MONTH", ("30",), "2024-02-10", "2024-02-29"),
    ("LAST_MONTH", ("31",), "2024-03-31", "2024-02-29"),
    ("NEXT_MONTH", ("31",), "2023-01-31", "2023-02-28"),
    ("THIS_MONTH", ("31",), "2024-03-10", "2024-03-31"),
]


@pytest.mark.parametrize(("name", "args", "today", "day"), CLAMPED)
def test_month_day_overflow_can_clamp(name: str, args: tuple[str, ...], today: str, day: str) -> None:
    assert evaluate_day_function(name, args, D(today), month_day_overflow="clamp") == DaySpan(D(day), D(day))


@pytest.mark.parametrize(
    ("name", "args", "code"),
    [
        ("THIS_MONTH", ("32",), "GAIA_IQ23"),
        ("LAST_MONTH", ("-1",), "GAIA_IQ23"),
        ("NEXT_MONTH", ("first",), "GAIA_IQ23"),
        ("FROM_TODAY", ("1", "HOURS"), "GAIA_IQ25"),
        ("NEXT_WEEK", ("MON",), "GAIA_IQ25"),
        ("FROM_TODAY", ("1.5", "DAYS"), "GAIA_IL08"),
        ("FROM_TODAY", (), "GAIA_IL08"),
        ("YESTERDAY", ("1",), "GAIA_IL08"),
        ("LAST_YEAR", ("1",), "GAIA_IL08"),
        ("THIS_MONTH", ("1", "2"), "GAIA_IL08"),
        ("NOW", (), "GAIA_IL08"),
    ],
)
def test_calendar_refusals(name: str, args: tuple[str, ...], code: str) -> None:
    with pytest.raises(FunctionArgumentError) as caught:
        evaluate_day_function(name, args, D("2024-03-15"))
    assert caught.value.code == code
    assert name in caught.value.message


def test_add_months_clamps_to_the_month_end() -> None:
    assert add_months(D("2024-01-31"), 1) == D("2024-02-29")
    assert add_months(D("2024-12-31"), -10) == D("2024-02-29")
    assert add_months(D("2024-05-31"), -1) == D("2024-04-30")
    assert add_months(D("2024-01-15"), -1) == D("2023-12-15")


DAY_BOUNDS: list[tuple[str, str, str, str]] = [
    # zone, local day, its first UTC instant, the next day's first UTC instant
    ("Asia/Tokyo", "2024-03-15", "2024-03-14T15:00:00+00:00", "2024-03-15T15:00:00+00:00"),
    ("UTC", "2024-02-29", "2024-02-29T00:00:00+00:00", "2024-03-01T00:00:00+00:00"),
    # 23 hours: New York springs forward at 02:00 on 2024-03-10.
    ("America/New_York", "2024-03-10", "2024-03-10T05:00:00+00:00", "2024-03-11T04:00:00+00:00"),
    # 25 hours: it falls back on 2024-11-03.
    ("America/New_York", "2024-11-03", "2024-11-03T04:00:00+00:00", "2024-11-04T05:00:00+00:00"),
    # Santiago skips midnight itself (00:00 -> 01:00 on 2024-09-08): the day starts at 01:00 local.
    ("America/Santiago", "2024-09-08", "2024-09-08T04:00:00+00:00", "2024-09-09T03:00:00+00:00"),
    ("Europe/London", "2024-03-31", "2024-03-31T00:00:00+00:00", "2024-03-31T23:00:00+00:00"),
    ("Asia/Kolkata", "2024-01-01", "2023-12-31T18:30:00+00:00", "2024-01-01T18:30:00+00:00"),
]


@pytest.mark.parametrize(("zone", "day", "start", "end"), DAY_BOUNDS)
def test_a_local_day_as_utc_instants(zone: str, day: str, start: str, end: str) -> None:
    bounds = DaySpan(D(day), D(day)).utc_bounds(ZoneInfo(zone))
    assert bounds == (datetime.fromisoformat(start), datetime.fromisoformat(end))


# ----------------------------------------------------------------------------------------------------------------
# The SQL, against a direct reading of the rule.

FIELDS: dict[str, dict[str, Any]] = {
    "When": {"type": "DATETIME", "code": "When"},
    "Day": {"type": "DATE", "code": "Day"},
    "Created": {"type": "CREATED_TIME", "code": "Created"},
}

# (zone, now, function as written, first local day, last local day): the days are worked out by hand.
SCENARIOS: list[tuple[str, str, str, str, str]] = [
    ("America/New_York", "2024-03-12T12:00:00Z", "THIS_WEEK()", "2024-03-10", "2024-03-16"),
    ("America/New_York", "2024-03-12T12:00:00Z", "FROM_TODAY(-2, DAYS)", "2024-03-10", "2024-03-10"),
    ("America/New_York", "2024-03-12T12:00:00Z", "LAST_MONTH(LAST)", "2024-02-29", "2024-02-29"),
    ("America/New_York", "2024-03-11T03:30:00Z", "TODAY()", "2024-03-10", "2024-03-10"),
    ("America/New_York", "2024-11-03T12:00:00Z", "TODAY()", "2024-11-03", "2024-11-03"),
    ("America/New_York", "2024-11-03T12:00:00Z", "YESTERDAY()", "2024-11-02", "2024-11-02"),
    ("America/Santiago", "2024-09-08T12:00:00Z", "TODAY()", "2024-09-08", "2024-09-08"),
    # 20:00Z on Jan 31 is already Feb 1 in Tokyo.
    ("Asia/Tokyo", "2024-01-31T20:00:00Z", "TODAY()", "2024-02-01", "2024-02-01"),
    ("Asia/Tokyo", "2024-01-31T20:00:00Z", "THIS_MONTH()", "2024-02-01", "2024-02-29"),
    ("Asia/Tokyo", "2024-01-31T20:00:00Z", "LAST_MONTH(31)", "2024-01-31", "2024-01-31"),
    ("Asia/Tokyo", "2024-01-31T20:00:00Z", "FROM_TODAY(1, MONTHS)", "2024-03-01", "2024-03-01"),
    ("UTC", "2024-01-31T20:00:00Z", "FROM_TODAY(1, MONTHS)", "2024-02-29", "2024-02-29"),
    ("UTC", "2024-12-31T23:59:00Z", "TOMORROW()", "2025-01-01", "2025-01-01"),
    ("UTC", "2024-12-31T23:59:00Z", "THIS_WEEK()", "2024-12-29", "2025-01-04"),
    ("UTC", "2024-12-31T23:59:00Z", "NEXT_WEEK(SUNDAY)", "2025-01-05", "2025-01-05"),
    ("UTC", "2024-12-31T23:59:00Z", "NEXT_YEAR()", "2025-01-01", "2025-12-31"),
    # The two ends of the world at the same instant are on different days.
    ("Pacific/Kiritimati", "2024-06-30T12:00:00Z", "TODAY()", "2024-07-01", "2024-07-01"),
    ("Pacific/Kiritimati", "2024-06-30T12:00:00Z", "THIS_MONTH()", "2024-07-01", "2024-07-31"),
    ("Pacific/Pago_Pago", "2024-06-30T12:00:00Z", "TODAY()", "2024-06-30", "2024-06-30"),
    ("Pacific/Pago_Pago", "2024-06-30T12:00:00Z", "THIS_MONTH()", "2024-06-01", "2024-06-30"),
]

OPS = ("=", "!=", ">", ">=", "<", "<=")


def _relates(op: str, day: date | None, first: date, last: date) -> bool:
    if day is None:
        return op == "!="  # an empty value is not equal to anything, and is neither before nor after
    return {
        "=": first <= day <= last,
        "!=": not first <= day <= last,
        ">": day > last,
        ">=": day >= first,
        "<": day < first,
        "<=": day <= last,
    }[op]


def _instants(zone: ZoneInfo, first: date, last: date) -> list[datetime]:
    """Every local midnight from two days before to two days after, a minute either side, and each six hours."""
    out: list[datetime] = []
    day = first - timedelta(days=2)
    while day <= last + timedelta(days=2):
        midnight = datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
        out += [midnight - timedelta(minutes=1), midnight, midnight + timedelta(minutes=1)]
        out += [midnight + timedelta(hours=h) for h in (6, 12, 18)]
        day += timedelta(days=1)
    return out


def _table(instants: list[datetime], days: list[date]) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute(SCHEMA)
    rows = max(len(instants), len(days)) + 1
    for i in range(1, rows + 1):
        when = instants[i - 1].strftime("%Y-%m-%dT%H:%M:00Z") if i <= len(instants) else None
        day = days[i - 1].isoformat() if i <= len(days) else None
        created = when or "2000-01-01T00:00:00Z"
        data = json.dumps({"When": when, "Day": day})
        conn.execute("INSERT INTO records VALUES (1, ?, 1, 'u', ?, 'u', ?, NULL, '[]', ?)", (i, created, created, data))
    return conn


def _select(conn: sqlite3.Connection, query: str, ctx: QueryContext) -> set[int]:
    compiled = compile_query(parse(query), FIELDS, ctx)
    sql = f"SELECT r.id FROM records r WHERE r.app = 1 AND ({compiled.where})"
    return {i for (i,) in conn.execute(sql, compiled.params)}


@pytest.mark.parametrize(("zone_name", "now", "function", "first", "last"), SCENARIOS)
def test_whole_day_semantics(zone_name: str, now: str, function: str, first: str, last: str) -> None:
    zone = ZoneInfo(zone_name)
    first_day, last_day = D(first), D(last)
    instants = _instants(zone, first_day, last_day)
    days = [first_day + timedelta(days=n) for n in range(-3, (last_day - first_day).days + 4)]
    conn = _table(instants, days)
    ctx = QueryContext("u", None, zone, datetime.fromisoformat(now.replace("Z", "+00:00")))
    local_days = {i: instant.astimezone(zone).date() for i, instant in enumerate(instants, start=1)}
    # Records past the instants have no date-time, and were created in 2000 (_table).
    created_days = {
        i: local_days.get(i, datetime(2000, 1, 1, tzinfo=UTC).astimezone(zone).date())
        for i in range(1, len(instants) + 2)
    }
    for op in OPS:
        when = {i for i in range(1, len(instants) + 2) if _relates(op, local_days.get(i), first_day, last_day)}
        assert _select(conn, f"When {op} {function}", ctx) == when, f"When {op} {function}"
        created = {i for i in range(1, len(instants) + 2) if _relates(op, created_days[i], first_day, last_day)}
        assert _select(conn, f"Created {op} {function}", ctx) == created, f"Created {op} {function}"
        day_of = {i: d for i, d in enumerate(days, start=1)}
        expected_days = {i for i in range(1, len(instants) + 2) if _relates(op, day_of.get(i), first_day, last_day)}
        assert _select(conn, f"Day {op} {function}", ctx) == expected_days, f"Day {op} {function}"
    conn.close()


def test_a_date_literal_on_a_date_time_is_the_callers_whole_day() -> None:
    zone = ZoneInfo("America/New_York")
    instants = _instants(zone, D("2024-03-10"), D("2024-03-10"))
    conn = _table(instants, [])
    ctx = QueryContext("u", None, zone, datetime(2024, 6, 1, tzinfo=UTC))
    for op in OPS:
        expected = {
            i
            for i, instant in enumerate(instants, start=1)
            if _relates(op, instant.astimezone(zone).date(), D("2024-03-10"), D("2024-03-10"))
        }
        if op == "!=":
            expected.add(len(instants) + 1)
        assert _select(conn, f'When {op} "2024-03-10"', ctx) == expected, op


def test_now_is_the_current_minute() -> None:
    now = datetime(2024, 3, 10, 7, 30, 42, tzinfo=UTC)
    instants = [now - timedelta(minutes=1), now.replace(second=0), now + timedelta(minutes=1)]
    conn = _table(instants, [])
    ctx = QueryContext("u", None, ZoneInfo("America/New_York"), now)
    assert _select(conn, "When = NOW()", ctx) == {2}
    assert _select(conn, "When < NOW()", ctx) == {1}
    assert _select(conn, "When >= NOW()", ctx) == {2, 3}
    assert _select(conn, "When != NOW()", ctx) == {1, 3, 4}
