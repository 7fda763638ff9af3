"""Building queries from Python values: escaping, value formats, and refusal of anything that could inject syntax."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from query_strategies import string_values

from kintone_mcp.query import (
    QuerySyntaxError,
    and_,
    build_query,
    cond,
    eq,
    func,
    ge,
    gt,
    in_,
    is_empty,
    is_not_empty,
    le,
    like,
    lt,
    ne,
    not_in,
    not_like,
    or_,
    parse,
    strip_positions,
    to_text,
)
from kintone_mcp.query.ast import And, Condition, FieldRef, FuncCall, NumberLit, Op, Or, StringLit
from kintone_mcp.query.builder import field_ref, make_query, value


def single_string(query_text: str) -> str:
    """The one string literal of a one-condition query, as parsed back."""
    where = parse(query_text).where
    assert isinstance(where, Condition) and len(where.values) == 1
    lit = where.values[0]
    assert isinstance(lit, StringLit)
    return lit.value


INJECTION_ATTEMPTS = [
    'x" or $id > "0',
    'x") or ($id > "0',
    '" or "" = "',
    "\\",
    '\\"',
    'x\\" or $id > \\"0',
    "x\n or $id > 0",
    "order by $id limit 500",
    '"); drop table records; --',
    "日本語\"と'引用符'",
    '\t"\\\n',
]


@pytest.mark.parametrize("attempt", INJECTION_ATTEMPTS)
def test_values_stay_one_literal(attempt: str) -> None:
    text = build_query(eq("Title", attempt))
    assert single_string(text) == attempt
    q = parse(build_query(in_("Title", [attempt, attempt]), limit=1))
    assert isinstance(q.where, Condition) and q.where.op is Op.IN
    assert [v.value for v in q.where.values if isinstance(v, StringLit)] == [attempt, attempt]
    assert q.limit == 1 and q.order_by == ()


@settings(max_examples=200, deadline=None)
@given(string_values)
def test_any_representable_string_survives(s: str) -> None:
    assert single_string(build_query(like("Body", s))) == s


BAD_FIELD_CODES = [
    "",
    " Title",
    "Title ",
    "Title = 1 or $id",
    'Title = "x"',
    "Ti tle",
    "Title)",
    "(Title",
    "a,b",
    "a.b.c",
    "a.",
    ".a",
    "1abc",
    "$",
    "a$b",
    "Title\n",
    '"Title"',
    "Title;",
    "-1",
]


@pytest.mark.parametrize("code", BAD_FIELD_CODES)
def test_field_codes_that_are_not_one_token_are_refused(code: str) -> None:
    with pytest.raises(ValueError, match="not a valid field code"):
        field_ref(code)
    with pytest.raises(ValueError, match="not a valid field code"):
        eq(code, "x")
    with pytest.raises(ValueError, match="not a valid field code"):
        build_query(order_by=[(code, "asc")])


@pytest.mark.parametrize("code", ["Title", "$id", "$revision", "顧客名", "Related.Field", "数値_0", "order", "limit"])
def test_valid_field_codes(code: str) -> None:
    text = build_query(eq(code, 1), order_by=[code])
    q = strip_positions(parse(text))
    assert q.where == Condition(FieldRef(code), Op.EQ, (NumberLit("1"),))
    assert q.order_by[0].field == FieldRef(code)


VALUE_CASES: list[tuple[Any, Any]] = [
    ("x", StringLit("x")),
    ("", StringLit("")),
    (0, NumberLit("0")),
    (-42, NumberLit("-42")),
    (10**25, NumberLit("10000000000000000000000000")),
    (1.5, NumberLit("1.5")),
    (-0.25, NumberLit("-0.25")),
    (1e20, NumberLit("100000000000000000000")),
    (1e-7, NumberLit("0.0000001")),
    (0.1, NumberLit("0.1")),
    (Decimal("12.50"), NumberLit("12.50")),
    (Decimal("1E+3"), NumberLit("1000")),
    (Decimal("-5E-3"), NumberLit("-0.005")),
    (date(2024, 2, 29), StringLit("2024-02-29")),
    (datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), StringLit("2024-01-02T03:04:05Z")),
    (datetime(2024, 1, 2, 9, 0, tzinfo=timezone(timedelta(hours=9))), StringLit("2024-01-02T00:00:00Z")),
    (datetime(2024, 1, 1, 1, 0, 0, 999999, tzinfo=timezone(timedelta(hours=2))), StringLit("2023-12-31T23:00:00Z")),
    (time(9, 30), StringLit("09:30")),
    (FuncCall("TODAY"), FuncCall("TODAY")),
    (StringLit("lit"), StringLit("lit")),
]


@pytest.mark.parametrize(("given_value", "expected"), VALUE_CASES)
def test_value_conversion(given_value: Any, expected: Any) -> None:
    assert value(given_value) == expected
    # and the printed form parses back to the same literal
    q = strip_positions(parse(build_query(eq("F", given_value))))
    assert q.where == Condition(FieldRef("F"), Op.EQ, (expected,))


BAD_VALUES: list[tuple[Any, type[Exception], str]] = [
    (True, TypeError, "boolean"),
    (float("nan"), ValueError, "finite"),
    (float("inf"), ValueError, "finite"),
    (Decimal("NaN"), ValueError, "finite"),
    (datetime(2024, 1, 1), ValueError, "time zone"),
    (time(9, 30, 15), ValueError, "seconds"),
    ("bad\rvalue", ValueError, "U+000D"),
    ("nul\x00", ValueError, "U+0000"),
    (b"bytes", TypeError, "bytes"),
    (None, ValueError, "needs a value"),
    (["a"], TypeError, "one value"),
]


@pytest.mark.parametrize(("bad", "error", "message"), BAD_VALUES)
def test_bad_values_are_refused(bad: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        cond("F", "=", bad)


def test_condition_constructors() -> None:
    s = StringLit
    cases = [
        (eq("a", "x"), Condition(FieldRef("a"), Op.EQ, (s("x"),))),
        (ne("a", "x"), Condition(FieldRef("a"), Op.NE, (s("x"),))),
        (gt("a", 1), Condition(FieldRef("a"), Op.GT, (NumberLit("1"),))),
        (lt("a", 1), Condition(FieldRef("a"), Op.LT, (NumberLit("1"),))),
        (ge("a", 1), Condition(FieldRef("a"), Op.GE, (NumberLit("1"),))),
        (le("a", 1), Condition(FieldRef("a"), Op.LE, (NumberLit("1"),))),
        (in_("a", ["x", 2]), Condition(FieldRef("a"), Op.IN, (s("x"), NumberLit("2")))),
        (not_in("a", ("x",)), Condition(FieldRef("a"), Op.NOT_IN, (s("x"),))),
        (like("a", "x"), Condition(FieldRef("a"), Op.LIKE, (s("x"),))),
        (not_like("a", "x"), Condition(FieldRef("a"), Op.NOT_LIKE, (s("x"),))),
        (is_empty("a"), Condition(FieldRef("a"), Op.IS_EMPTY)),
        (is_not_empty("a"), Condition(FieldRef("a"), Op.IS_NOT_EMPTY)),
        (cond("a", "NOT  IN", iter(["x"])), Condition(FieldRef("a"), Op.NOT_IN, (s("x"),))),
        (cond("a", "Is Not Empty"), Condition(FieldRef("a"), Op.IS_NOT_EMPTY)),
        (cond("a", Op.LIKE, "x"), Condition(FieldRef("a"), Op.LIKE, (s("x"),))),
        (in_("U", [func("loginuser"), "sato"]), Condition(FieldRef("U"), Op.IN, (FuncCall("LOGINUSER"), s("sato")))),
    ]
    for built, expected in cases:
        assert built == expected
        assert strip_positions(parse(to_text(built))).where == expected


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: cond("a", "==", 1), ValueError, "unknown operator"),
        (lambda: cond("a", "is empty", "x"), ValueError, "takes no value"),
        (lambda: cond("a", "in", "AB"), TypeError, "list of values"),
        (lambda: cond("a", "in", None), TypeError, "list of values"),
        (lambda: cond("a", "in", 5), TypeError, "list of values"),
        (lambda: in_("a", []), ValueError, "at least one value"),
        (lambda: and_(), ValueError, "at least one"),
        (lambda: or_(), ValueError, "at least one"),
        (lambda: and_("a = 1"), TypeError, "takes conditions"),
        (lambda: build_query(where="a = 1"), TypeError, "where must be"),
        (lambda: build_query(limit=-1), ValueError, "limit"),
        (lambda: build_query(offset=-1), ValueError, "offset"),
        (lambda: build_query(limit=True), ValueError, "limit"),
        (lambda: build_query(limit=1.5), ValueError, "limit"),
        (lambda: build_query(order_by=[("a", "up")]), ValueError, "asc"),
    ],
)
def test_misuse_is_refused(call: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()


FUNC_CASES = [
    (("TODAY",), FuncCall("TODAY")),
    (("from_today", -7, "days"), FuncCall("FROM_TODAY", ("-7", "DAYS"))),
    (("FROM_TODAY", 0, "YEARS"), FuncCall("FROM_TODAY", ("0", "YEARS"))),
    (("this_week", "monday"), FuncCall("THIS_WEEK", ("MONDAY",))),
    (("THIS_MONTH", 31), FuncCall("THIS_MONTH", ("31",))),
    (("NEXT_MONTH", "last"), FuncCall("NEXT_MONTH", ("LAST",))),
    (("PRIMARY_ORGANIZATION",), FuncCall("PRIMARY_ORGANIZATION")),
]


@pytest.mark.parametrize(("args", "expected"), FUNC_CASES)
def test_func(args: tuple[Any, ...], expected: FuncCall) -> None:
    assert func(*args) == expected
    assert strip_positions(parse(f"D = {to_text(expected)}")).where == Condition(FieldRef("D"), Op.EQ, (expected,))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("SOMEDAY",), "unknown function"),
        (("TODAY", 1), "takes no arguments"),
        (("FROM_TODAY", 1), "FROM_TODAY(n, DAYS"),
        (("FROM_TODAY", "x", "DAYS"), "FROM_TODAY(n, DAYS"),
        (("FROM_TODAY", 1, "HOURS"), "FROM_TODAY(n, DAYS"),
        (("THIS_MONTH", 0), "1..31"),
        (("THIS_MONTH", 32), "1..31"),
        (("THIS_WEEK", "FUNDAY"), "weekday"),
        (("THIS_WEEK", "MONDAY) or $id > (0"), "weekday"),
    ],
)
def test_func_refuses_bad_calls(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ValueError) as info:
        func(*args)
    assert message in str(info.value)


def test_groups_flatten_and_nest_with_parentheses() -> None:
    a, b, c, d = (eq(x, 1) for x in "abcd")
    assert and_(a) == a
    assert and_(a, and_(b, c)) == And((a, b, c))
    assert or_(or_(a, b), c) == Or((a, b, c))
    expr = or_(and_(a, b), and_(c, or_(a, d)))
    assert expr == Or((And((a, b)), And((c, Or((a, d))))))
    text = build_query(expr)
    assert text == "(a = 1 and b = 1) or (c = 1 and (a = 1 or d = 1))"
    assert strip_positions(parse(text)).where == expr


def test_build_query_full() -> None:
    text = build_query(
        and_(eq("Title", 'He said "hi"'), in_("Stage", ["A", "B"]), ge("Due", func("FROM_TODAY", -7, "DAYS"))),
        order_by=[("Due", "desc"), "$id", ("Amount", "ASC")],
        limit=100,
        offset=200,
    )
    assert text == (
        'Title = "He said \\"hi\\"" and Stage in ("A", "B") and Due >= FROM_TODAY(-7, DAYS) '
        "order by Due desc, $id asc, Amount asc limit 100 offset 200"
    )
    assert build_query() == ""
    assert build_query(order_by=[("$id", "desc")], limit=0) == "order by $id desc limit 0"
    assert make_query(limit=5).limit == 5


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.one_of(string_values, st.integers(), st.decimals(allow_nan=False, allow_infinity=False)), min_size=1)
)
def test_in_lists_round_trip(values: list[Any]) -> None:
    built = in_("F", values)
    assert strip_positions(parse(build_query(built))).where == built


def test_parse_errors_are_not_raised_for_built_queries() -> None:
    # Everything the builder accepts must be valid query text.
    for attempt in INJECTION_ATTEMPTS:
        try:
            parse(build_query(or_(eq("a", attempt), like("b", attempt)), order_by=["a"]))
        except QuerySyntaxError as exc:  # pragma: no cover - the assertion below reports it
            pytest.fail(f"builder produced invalid text for {attempt!r}: {exc}")
