"""CALC fields: the formula language's numeric part as a real Kintone computes it, and "" for what is not emulated.

The unit cases call ``calc.evaluate`` (a pure function); the HTTP cases check what a client reads back from records.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sandbox_api import Api, client_for, create_app

from kintone_mcp.sandbox import Sandbox, SandboxConfig
from kintone_mcp.sandbox.records.calc import evaluate

FIELDS = {"a": Decimal(6), "b": Decimal("2.5"), "zero": Decimal(0), "neg": Decimal("-2.345")}
COLUMNS = {"qty": [Decimal(1), Decimal(2), Decimal("3.5")]}


def _eval(expression: str, **kw: str) -> str:
    return evaluate(expression, FIELDS.get, lambda c: COLUMNS.get(c) or ([FIELDS[c]] if c in FIELDS else None), **kw)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("a + b", "8.5"),
        ("a - b * 2", "1"),
        ("(a - b) * 2", "7"),
        ("-a + 1", "-5"),
        ("a / 4", "1.5"),
        # A quotient is rounded to 4 decimal places (measured: 1/3, 10/3, 1/7).
        ("1 / 3", "0.3333"),
        ("10 / 3", "3.3333"),
        ("1 / 7", "0.1429"),
        ("7 * 0.1", "0.7"),
        ("a ^ 2", "36"),
        ("2 ^ 3 ^ 2", "512"),
        # An exponent loses its fraction; negative ones work; beyond ±100 there is no result.
        ("4 ^ 1.5", "4"),
        ("4 ^ -2", "0.0625"),
        ("2 ^ 101", ""),
        ("SUM(qty)", "6.5"),
        ("SUM(qty) * a", "39"),
        ("sum(qty, a)", "12.5"),
        ("SUM(a, b * 2)", "11"),
        ("  a*b  ", "15"),
        # Comparisons and logic give 1 or 0.
        ("a > 1", "1"),
        ("a = 5", "0"),
        ("a <> 5", "1"),
        ("a != 6", "0"),
        ("b <= 2.5", "1"),
        ("AND(a > 1, b > 3)", "0"),
        ("OR(a > 1, b > 3)", "1"),
        ("NOT(a > 1)", "0"),
        ("IF(a > 1, a * 2, a / 2)", "12"),
        ("IF(a > 10, a * 2, a / 4)", "1.5"),
        ("IF(zero, 1, 2)", "2"),
        ("ROUND(3.14159, 2)", "3.14"),
        ("ROUNDUP(3.14159, 2)", "3.15"),
        ("ROUNDDOWN(3.14159, 2)", "3.14"),
        ("ROUND(2.5)", "3"),
        ("ROUND(neg, 2)", "-2.35"),
        ("ROUNDUP(neg, 1)", "-2.4"),  # away from zero
        ("ROUNDDOWN(neg, 1)", "-2.3"),  # towards zero
        ("ROUND(1234, -2)", "1200"),
        ("a / zero", ""),  # Kintone's screen shows an error mark; its API gives ""
        ('IF(a > 1, "big", "small")', ""),  # text results are not emulated
        ('a & "x"', ""),
        ("YEN(a, 0)", ""),
        ("IF(a, 1)", ""),  # too few arguments
        ("NOT(a, b)", ""),
        ("unknown_field + 1", ""),
        ("a +", ""),
        ("", ""),
    ],
)
def test_expressions(expression: str, expected: str) -> None:
    assert _eval(expression) == expected


@pytest.mark.parametrize(
    ("fmt", "expression", "expected"),
    [
        ("NUMBER_DIGIT", "a * 1000", "6000"),  # digit grouping is for the screen only
        ("DATETIME", "90061 * 3600", "1980-04-10T13:00:00Z"),
        ("DATE", "90061 * 3600", "1980-04-10"),
        ("TIME", "90061", "01:01"),
        ("HOUR_MINUTE", "90061", "25:01"),
        ("DAY_HOUR_MINUTE", "90061", "25:01"),
        ("CURRENCY", "a", ""),
    ],
)
def test_formats(fmt: str, expression: str, expected: str) -> None:
    assert _eval(expression, fmt=fmt) == expected


PROPERTIES: dict[str, Any] = {
    "price": {"type": "NUMBER"},
    "start": {"type": "DATETIME"},
    "day": {"type": "DATE"},
    "at": {"type": "TIME"},
    "third": {"type": "CALC", "expression": "price / 3", "displayScale": "1"},
    "big": {"type": "CALC", "expression": "IF(price >= 100, 1, 0)"},
    "later": {"type": "CALC", "expression": "start + 3600", "format": "DATETIME"},
    "next_day": {"type": "CALC", "expression": "day + 86400", "format": "DATE"},
    "span": {"type": "CALC", "expression": "start - day", "format": "HOUR_MINUTE"},
    "plus_half": {"type": "CALC", "expression": "at + 1800", "format": "TIME"},
    "span_seconds": {"type": "CALC", "expression": "span + 60"},
    "age": {"type": "CALC", "expression": "Updated_datetime - Created_datetime"},
    "rows": {
        "type": "SUBTABLE",
        "fields": {
            "qty": {"type": "NUMBER"},
            "line": {"type": "CALC", "expression": "ROUND(qty * price / 7, 2)"},
        },
    },
    "lines": {"type": "CALC", "expression": "SUM(line)"},
}


@pytest.mark.anyio
async def test_records_carry_the_computed_values() -> None:
    moments = iter([datetime(2026, 4, 25, 9, 0, tzinfo=UTC), datetime(2026, 4, 25, 11, 30, tzinfo=UTC)])
    now = {"t": next(moments)}
    sb = Sandbox(SandboxConfig(demo=False, clock=lambda: now["t"]))
    async with client_for(sb) as client:
        api = Api(client)
        app = await create_app(api, "Formulas", PROPERTIES)
        record = {
            "price": {"value": "100"},
            "start": {"value": "2026-04-25T10:00:00Z"},
            "day": {"value": "2026-04-25"},
            "at": {"value": "23:45"},
            "rows": {"value": [{"value": {"qty": {"value": "1"}}}, {"value": {"qty": {"value": "3"}}}]},
        }
        created = await api.ok("POST", "record.json", {"app": app, "record": record})
        read = (await api.ok("GET", "record.json", params={"app": app, "id": created["id"]}))["record"]
        values = {code: read[code]["value"] for code in PROPERTIES if PROPERTIES[code]["type"] == "CALC"}
        assert values == {
            "third": "33.3333",  # displayScale "1" changes the screen, not the value
            "big": "1",
            "later": "2026-04-25T11:00:00Z",
            "next_day": "2026-04-26",
            "span": "10:00",
            "plus_half": "00:15",
            "span_seconds": "36060",
            "age": "0",
            "lines": "57.15",
        }
        assert [r["value"]["line"]["value"] for r in read["rows"]["value"]] == ["14.29", "42.86"]
        # Formulas read the update's own time; an empty date leaves the results that need it empty.
        now["t"] = next(moments)
        await api.ok("PUT", "record.json", {"app": app, "id": created["id"], "record": {"day": {"value": ""}}})
        read = (await api.ok("GET", "record.json", params={"app": app, "id": created["id"]}))["record"]
        assert read["age"]["value"] == "9000"
        assert (read["next_day"]["value"], read["span"]["value"], read["later"]["value"]) == (
            "",
            "",
            "2026-04-25T11:00:00Z",
        )
    sb.close()
