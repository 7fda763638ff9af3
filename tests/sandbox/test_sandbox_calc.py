"""The CALC subset: arithmetic over number fields, SUM over table columns, "" for anything not emulated."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kintone_mcp.sandbox.calc import evaluate

FIELDS = {"a": Decimal(6), "b": Decimal("2.5"), "zero": Decimal(0)}
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
        ("1 / 3", "0.3333333333333333"),
        ("a ^ 2", "36"),
        ("2 ^ 3 ^ 2", "512"),
        ("SUM(qty)", "6.5"),
        ("SUM(qty) * a", "39"),
        ("sum(qty, a)", "12.5"),
        ("  a*b  ", "15"),
        ("a / zero", ""),  # Kintone shows an error mark; the sandbox stores empty
        ("IF(a > 1, 1, 0)", ""),
        ("ROUND(a)", ""),
        ('a & "x"', ""),
        ("unknown_field + 1", ""),
        ("a +", ""),
        ("", ""),
    ],
)
def test_expressions(expression: str, expected: str) -> None:
    assert _eval(expression) == expected


def test_display_scale_rounds_half_up() -> None:
    assert _eval("b / 2", display_scale="1") == "1.3"
    assert _eval("a / 4", display_scale="0") == "2"


def test_non_number_formats_are_not_emulated() -> None:
    assert _eval("a + b", fmt="DATETIME") == ""
    assert _eval("a + b", fmt="NUMBER_DIGIT") == "8.5"
