"""Printing query trees back to text: canonical form, escaping, and the parse/print round trip."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from query_strategies import exprs, queries, string_values

from kintone_mcp.query import parse, to_text
from kintone_mcp.query.ast import And, Condition, FieldRef, FuncCall, NumberLit, Op, Or, OrderKey, Query, StringLit
from kintone_mcp.query.printer import quote, strip_positions

CANONICAL_CASES = [
    # (input text, canonical text)
    ('Title="x"', 'Title = "x"'),
    ('  Title   =   "x"  ', 'Title = "x"'),
    ('Stage IN ("A","B")', 'Stage in ("A", "B")'),
    ('Stage Not In ("A")', 'Stage not in ("A")'),
    ('Body LIKE "x"', 'Body like "x"'),
    ('Body NOT LIKE "x"', 'Body not like "x"'),
    ("N IS EMPTY", "N is empty"),
    ("N is NOT empty", "N is not empty"),
    ("Due = today()", "Due = TODAY()"),
    ("Due = from_today( -3 ,days )", "Due = FROM_TODAY(-3, DAYS)"),
    ("Due = this_month(last)", "Due = THIS_MONTH(LAST)"),
    ("Due = THIS_WEEK(monday)", "Due = THIS_WEEK(MONDAY)"),
    ("a = 1 AND b = 2", "a = 1 and b = 2"),
    ("a = 1 or b = 2 and c = 3", "a = 1 or (b = 2 and c = 3)"),
    ("a = 1 and b = 2 or c = 3", "(a = 1 and b = 2) or c = 3"),
    ("(a = 1 or b = 2) and c = 3", "(a = 1 or b = 2) and c = 3"),
    ("((a = 1))", "a = 1"),
    ("a = 1 and (b = 2 and c = 3)", "a = 1 and b = 2 and c = 3"),
    ("order by a", "order by a asc"),
    ("ORDER BY a DESC, b", "order by a desc, b asc"),
    ("a = 1 order by a limit 5 offset 10", "a = 1 order by a asc limit 5 offset 10"),
    ("limit 5", "limit 5"),
    ("offset 5", "offset 5"),
    ("", ""),
    ('a = "x\\"y\\\\z"', 'a = "x\\"y\\\\z"'),
    ('a = "line\\nnext\\ttab"', 'a = "line\\nnext\\ttab"'),
    ("Amount = 007.50", "Amount = 007.50"),
]


@pytest.mark.parametrize(("text", "canonical"), CANONICAL_CASES)
def test_canonical_text(text: str, canonical: str) -> None:
    assert to_text(parse(text)) == canonical
    assert to_text(parse(canonical)) == canonical


def test_prints_expressions_and_values() -> None:
    cond = Condition(FieldRef("Stage"), Op.IN, (StringLit("A"), NumberLit("2"), FuncCall("LOGINUSER")))
    assert to_text(cond) == 'Stage in ("A", 2, LOGINUSER())'
    assert to_text(Or((cond, And((cond, cond))))) == (
        'Stage in ("A", 2, LOGINUSER()) or (Stage in ("A", 2, LOGINUSER()) and Stage in ("A", 2, LOGINUSER()))'
    )
    assert to_text(StringLit('say "hi"')) == '"say \\"hi\\""'
    assert to_text(FuncCall("FROM_TODAY", ("-1", "WEEKS"))) == "FROM_TODAY(-1, WEEKS)"
    assert to_text(Query(order_by=(OrderKey(FieldRef("$id"), True),), limit=1)) == "order by $id desc limit 1"


def test_nested_same_kind_groups_are_parenthesised_not_merged() -> None:
    # A hand-built tree need not be flat; its text must still mean the same thing.
    a, b, c = (Condition(FieldRef(x), Op.EQ, (NumberLit("1"),)) for x in "abc")
    text = to_text(And((And((a, b)), c)))
    assert text == "(a = 1 and b = 1) and c = 1"
    assert strip_positions(parse(text)).where == And((a, b, c))


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("", '""'),
        ("plain", '"plain"'),
        ('a"b', '"a\\"b"'),
        ("a\\b", '"a\\\\b"'),
        ('\\"', '"\\\\\\""'),
        ("line\nnext", '"line\\nnext"'),
        ("tab\there", '"tab\\there"'),
        ("日本語", '"日本語"'),
        ('x" or $id > "0', '"x\\" or $id > \\"0"'),
    ],
)
def test_quote(value: str, literal: str) -> None:
    assert quote(value) == literal


@pytest.mark.parametrize("bad", ["\r", "a\x00b", "\x1b[0m", "\x7f", "\x0b"])
def test_quote_rejects_characters_the_language_cannot_carry(bad: str) -> None:
    with pytest.raises(ValueError, match="control character U\\+"):
        quote(bad)


@settings(max_examples=200, deadline=None)
@given(queries)
def test_round_trip_queries(query: Query) -> None:
    assert strip_positions(parse(to_text(query))) == query


@settings(max_examples=60, deadline=None)
@given(exprs)
def test_round_trip_expressions(expr: And | Or | Condition) -> None:
    assert strip_positions(parse(to_text(expr))).where == expr


@settings(max_examples=300, deadline=None)
@given(string_values)
def test_round_trip_strings(value: str) -> None:
    parsed = parse(f"Title = {quote(value)}").where
    assert isinstance(parsed, Condition)
    assert parsed.values == (StringLit(value, 8),)


@settings(max_examples=50, deadline=None)
@given(queries)
def test_printing_is_idempotent(query: Query) -> None:
    text = to_text(query)
    assert to_text(parse(text)) == text
