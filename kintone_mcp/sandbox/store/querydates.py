"""Kintone's date functions (``TODAY()``, ``FROM_TODAY(-3, MONTHS)``, ``THIS_WEEK(MONDAY)``, ``THIS_MONTH(LAST)`` …)
evaluated to a concrete span of calendar days, and the conversion of such a span to UTC instants.

Kept apart from the SQL compiler because it is pure calendar arithmetic: the compiler decides what a span
means for each operator, this module only decides which days a function names.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

#: What ``THIS_MONTH(31)`` means in a month with fewer days: Kintone's behaviour is unconfirmed. ``"next_month_first"``
#: (the 1st of the following month) is what observers of the real service reported; ``"clamp"`` (the month's last
#: day) is the other plausible reading.
MonthDayOverflow = Literal["next_month_first", "clamp"]

_WEEKDAYS = ("SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY")
_UNITS = ("DAYS", "WEEKS", "MONTHS", "YEARS")
_DAY_FUNCTIONS_NO_ARGS = {"TODAY": 0, "YESTERDAY": -1, "TOMORROW": 1}
_WEEK_FUNCTIONS = {"THIS_WEEK": 0, "LAST_WEEK": -1, "NEXT_WEEK": 1}
_MONTH_FUNCTIONS = {"THIS_MONTH": 0, "LAST_MONTH": -1, "NEXT_MONTH": 1}
_YEAR_FUNCTIONS = {"THIS_YEAR": 0, "LAST_YEAR": -1, "NEXT_YEAR": 1}


class FunctionArgumentError(Exception):
    """A date function was called with arguments Kintone rejects; ``code`` is the Kintone error code to answer."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class DaySpan:
    """Calendar days ``first`` to ``last``, both included, in the caller's time zone."""

    first: date
    last: date

    def utc_bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The span as a half-open UTC interval ``[start, end)``: local midnight of ``first`` to local midnight after
        ``last``. Midnight that does not exist because of a DST jump resolves, with ``fold=0``, to the first instant
        of the day, which is what "the whole day" means."""
        return _start_of_day_utc(self.first, tz), _start_of_day_utc(self.last + timedelta(days=1), tz)


def _start_of_day_utc(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=tz).astimezone(UTC)


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamping to the target month's last day (Jan 31 + 1 month = Feb 28/29)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _arity(name: str, args: tuple[str, ...], allowed: tuple[int, ...]) -> None:
    if len(args) not in allowed:
        wanted = " or ".join(str(n) for n in allowed)
        raise FunctionArgumentError(
            "GAIA_IL08", f"The query is invalid: {name}() takes {wanted} argument(s), but {len(args)} were given."
        )


def _integer(name: str, token: str) -> int:
    try:
        return int(token)
    except ValueError:
        raise FunctionArgumentError(
            "GAIA_IL08", f"The query is invalid: the first argument of {name}() must be an integer, not {token!r}."
        ) from None


def evaluate_day_function(
    name: str, args: tuple[str, ...], today: date, *, month_day_overflow: MonthDayOverflow = "next_month_first"
) -> DaySpan:
    """The days named by a day function called on ``today`` (the caller's local date).

    Raises FunctionArgumentError with Kintone's codes: ``GAIA_IL08`` for a wrong number or kind of arguments,
    ``GAIA_IQ25`` for an unknown unit or weekday keyword, ``GAIA_IQ23`` for a day of month outside 1–31.
    """
    if name in _DAY_FUNCTIONS_NO_ARGS:
        _arity(name, args, (0,))
        day = today + timedelta(days=_DAY_FUNCTIONS_NO_ARGS[name])
        return DaySpan(day, day)
    if name == "FROM_TODAY":
        _arity(name, args, (2,))
        count = _integer(name, args[0])
        unit = args[1].upper()
        if unit not in _UNITS:
            raise FunctionArgumentError(
                "GAIA_IQ25",
                f"The second argument of FROM_TODAY() must be one of {', '.join(_UNITS)}, not {args[1]!r}.",
            )
        try:
            if unit == "DAYS":
                day = today + timedelta(days=count)
            elif unit == "WEEKS":
                day = today + timedelta(weeks=count)
            elif unit == "MONTHS":
                day = add_months(today, count)
            else:
                day = add_months(today, 12 * count)
        except (OverflowError, ValueError):
            raise FunctionArgumentError(
                "GAIA_IL08", f"The query is invalid: FROM_TODAY({args[0]}, {unit}) is outside the supported dates."
            ) from None
        return DaySpan(day, day)
    if name in _WEEK_FUNCTIONS:
        _arity(name, args, (0, 1))
        # Kintone's week runs Sunday to Saturday. date.weekday() is Monday=0, so Sunday is 6.
        sunday = today - timedelta(days=(today.weekday() + 1) % 7) + timedelta(weeks=_WEEK_FUNCTIONS[name])
        if not args:
            return DaySpan(sunday, sunday + timedelta(days=6))
        weekday = args[0].upper()
        if weekday not in _WEEKDAYS:
            raise FunctionArgumentError(
                "GAIA_IQ25", f"The argument of {name}() must be one of {', '.join(_WEEKDAYS)}, not {args[0]!r}."
            )
        day = sunday + timedelta(days=_WEEKDAYS.index(weekday))
        return DaySpan(day, day)
    if name in _MONTH_FUNCTIONS:
        _arity(name, args, (0, 1))
        first = add_months(today.replace(day=1), _MONTH_FUNCTIONS[name])
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        if not args:
            return DaySpan(first, last)
        token = args[0].upper()
        if token == "LAST":
            return DaySpan(last, last)
        try:
            number = int(token)
        except ValueError:
            number = 0
        if not 1 <= number <= 31:
            raise FunctionArgumentError(
                "GAIA_IQ23",
                f"The specified day ({args[0]}) is invalid. Specify an integer from 1 to 31, or LAST, in {name}().",
            )
        if number <= last.day:
            day = first.replace(day=number)
        elif month_day_overflow == "clamp":
            day = last
        else:
            day = last + timedelta(days=1)
        return DaySpan(day, day)
    if name in _YEAR_FUNCTIONS:
        _arity(name, args, (0,))
        year = today.year + _YEAR_FUNCTIONS[name]
        return DaySpan(date(year, 1, 1), date(year, 12, 31))
    raise FunctionArgumentError("GAIA_IL08", f"The query is invalid: {name}() is not a date function.")
