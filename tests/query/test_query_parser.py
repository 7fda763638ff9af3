"""Grammar of the Kintone query language: what parses to which tree, and where malformed text fails."""

from __future__ import annotations

import pytest

from kintone_mcp.query import QuerySyntaxError, parse
from kintone_mcp.query.ast import (
    And,
    Condition,
    Expr,
    FieldRef,
    FuncCall,
    NumberLit,
    Op,
    Or,
    OrderKey,
    Query,
    StringLit,
    Value,
)
from kintone_mcp.query.errors import END, FIELD_CODE, FUNCTION, NUMBER, STRING, WHOLE_NUMBER
from kintone_mcp.query.printer import strip_positions

# Compact constructors; positions are compared separately, so trees here carry none.


def S(value: str) -> StringLit:
    return StringLit(value)


def N(text: str) -> NumberLit:
    return NumberLit(text)


def F(name: str, *args: str) -> FuncCall:
    return FuncCall(name, args)


def C(field: str, op: str, *values: Value) -> Condition:
    return Condition(FieldRef(field), Op(op), values)


def W(expr: Expr) -> Query:
    return Query(where=expr)


def where(text: str) -> Expr | None:
    return strip_positions(parse(text)).where


# --------------------------------------------------------------------------------------------------------------------
# Conditions: every operator

OPERATOR_CASES = [
    ('Title = "x"', C("Title", "=", S("x"))),
    ('Title != "x"', C("Title", "!=", S("x"))),
    ("Amount > 10", C("Amount", ">", N("10"))),
    ("Amount < 10", C("Amount", "<", N("10"))),
    ("Amount >= 10", C("Amount", ">=", N("10"))),
    ("Amount <= 10", C("Amount", "<=", N("10"))),
    ('Stage in ("A")', C("Stage", "in", S("A"))),
    ('Stage in ("A", "B", "C")', C("Stage", "in", S("A"), S("B"), S("C"))),
    ('Stage not in ("A", "B")', C("Stage", "not in", S("A"), S("B"))),
    ('Body like "foo"', C("Body", "like", S("foo"))),
    ('Body not like "foo"', C("Body", "not like", S("foo"))),
    ("Notes is empty", C("Notes", "is empty")),
    ("Notes is not empty", C("Notes", "is not empty")),
    # no spaces around symbolic operators
    ('Title="x"', C("Title", "=", S("x"))),
    ("Amount>=-1", C("Amount", ">=", N("-1"))),
    ("Amount<=2.5", C("Amount", "<=", N("2.5"))),
    ("Amount!=0", C("Amount", "!=", N("0"))),
    ('Stage in("A","B")', C("Stage", "in", S("A"), S("B"))),
    # extra whitespace, tabs, newlines
    ('  Title \t=\n"x"  ', C("Title", "=", S("x"))),
    ('Stage   not   in   (  "A"  ,  "B"  )', C("Stage", "not in", S("A"), S("B"))),
    ("Notes  is\tnot\nempty", C("Notes", "is not empty")),
    # numbers are kept as written
    ("Amount = -3.5", C("Amount", "=", N("-3.5"))),
    ("Amount = 007", C("Amount", "=", N("007"))),
    ("Amount = 12345678901234567890.000001", C("Amount", "=", N("12345678901234567890.000001"))),
    ("Amount in (1, -2, 3.25)", C("Amount", "in", N("1"), N("-2"), N("3.25"))),
    # mixed in-lists
    ('User in ("sato", LOGINUSER())', C("User", "in", S("sato"), F("LOGINUSER"))),
    ('Org in (PRIMARY_ORGANIZATION(), "sales")', C("Org", "in", F("PRIMARY_ORGANIZATION"), S("sales"))),
    ('Stage in ("")', C("Stage", "in", S(""))),
    # comparisons with functions
    ("Due < TODAY()", C("Due", "<", F("TODAY"))),
    ("Created >= NOW()", C("Created", ">=", F("NOW"))),
]


@pytest.mark.parametrize(("text", "expected"), OPERATOR_CASES)
def test_operators(text: str, expected: Condition) -> None:
    assert where(text) == expected


# --------------------------------------------------------------------------------------------------------------------
# Functions and their arguments

FUNCTION_CASES = [
    ("LOGINUSER()", F("LOGINUSER")),
    ("PRIMARY_ORGANIZATION()", F("PRIMARY_ORGANIZATION")),
    ("NOW()", F("NOW")),
    ("TODAY()", F("TODAY")),
    ("YESTERDAY()", F("YESTERDAY")),
    ("TOMORROW()", F("TOMORROW")),
    ("THIS_YEAR()", F("THIS_YEAR")),
    ("LAST_YEAR()", F("LAST_YEAR")),
    ("NEXT_YEAR()", F("NEXT_YEAR")),
    ("FROM_TODAY(5, DAYS)", F("FROM_TODAY", "5", "DAYS")),
    ("FROM_TODAY(-5, DAYS)", F("FROM_TODAY", "-5", "DAYS")),
    ("FROM_TODAY(0, WEEKS)", F("FROM_TODAY", "0", "WEEKS")),
    ("FROM_TODAY(12, MONTHS)", F("FROM_TODAY", "12", "MONTHS")),
    ("FROM_TODAY(-1, YEARS)", F("FROM_TODAY", "-1", "YEARS")),
    ("FROM_TODAY( 3 ,DAYS )", F("FROM_TODAY", "3", "DAYS")),
    ("from_today(3, days)", F("FROM_TODAY", "3", "DAYS")),
    ("Today()", F("TODAY")),
    ("THIS_WEEK()", F("THIS_WEEK")),
    ("LAST_WEEK()", F("LAST_WEEK")),
    ("NEXT_WEEK()", F("NEXT_WEEK")),
    ("THIS_MONTH()", F("THIS_MONTH")),
    ("LAST_MONTH()", F("LAST_MONTH")),
    ("NEXT_MONTH()", F("NEXT_MONTH")),
    ("THIS_MONTH(LAST)", F("THIS_MONTH", "LAST")),
    ("LAST_MONTH(last)", F("LAST_MONTH", "LAST")),
    ("NEXT_MONTH(1)", F("NEXT_MONTH", "1")),
    ("THIS_MONTH(31)", F("THIS_MONTH", "31")),
    ("THIS_MONTH(15)", F("THIS_MONTH", "15")),
    *[(f"THIS_WEEK({d})", F("THIS_WEEK", d)) for d in ("SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY")],
    *[(f"LAST_WEEK({d})", F("LAST_WEEK", d)) for d in ("THURSDAY", "FRIDAY", "SATURDAY")],
    ("NEXT_WEEK(monday)", F("NEXT_WEEK", "MONDAY")),
]


@pytest.mark.parametrize(("func", "expected"), FUNCTION_CASES)
def test_functions(func: str, expected: FuncCall) -> None:
    assert where(f"Due = {func}") == C("Due", "=", expected)


BAD_FUNCTION_CASES = [
    # (function text, offset of the error inside it, expected, words the message must contain)
    ("TODAY(1)", 6, (")",), "TODAY() takes no arguments"),
    ("NOW(DAYS)", 4, (")",), "NOW() takes no arguments"),
    ("LOGINUSER(x)", 10, (")",), "LOGINUSER() takes no arguments"),
    ("THIS_YEAR(2024)", 10, (")",), "THIS_YEAR() takes no arguments"),
    ("FROM_TODAY()", 11, (WHOLE_NUMBER,), "FROM_TODAY(n, DAYS|WEEKS|MONTHS|YEARS)"),
    ("FROM_TODAY(3)", 12, (",",), "FROM_TODAY(n, DAYS|WEEKS|MONTHS|YEARS)"),
    ("FROM_TODAY(3,)", 13, ("DAYS", "WEEKS", "MONTHS", "YEARS"), "FROM_TODAY("),
    ("FROM_TODAY(3, HOURS)", 14, ("DAYS", "WEEKS", "MONTHS", "YEARS"), "FROM_TODAY("),
    ("FROM_TODAY(1.5, DAYS)", 11, (WHOLE_NUMBER,), "whole number"),
    ("FROM_TODAY(DAYS, 3)", 11, (WHOLE_NUMBER,), "FROM_TODAY("),
    ("FROM_TODAY(3, DAYS, 1)", 18, (")",), "FROM_TODAY("),
    ('FROM_TODAY("3", DAYS)', 11, (WHOLE_NUMBER,), "FROM_TODAY("),
    (
        "THIS_WEEK(FUNDAY)",
        10,
        ("SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"),
        "weekday",
    ),
    ("THIS_WEEK(1)", 10, ("SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"), "weekday"),
    ("NEXT_WEEK(MONDAY, TUESDAY)", 16, (")",), "NEXT_WEEK("),
    ("THIS_MONTH(0)", 11, (WHOLE_NUMBER, "LAST"), "1..31"),
    ("THIS_MONTH(32)", 11, (WHOLE_NUMBER, "LAST"), "1..31"),
    ("LAST_MONTH(-1)", 11, (WHOLE_NUMBER, "LAST"), "1..31"),
    ("NEXT_MONTH(FIRST)", 11, (WHOLE_NUMBER, "LAST"), "LAST"),
    ("THIS_MONTH(1.5)", 11, (WHOLE_NUMBER, "LAST"), "1..31"),
    ("TODAY(", 6, (")",), "TODAY()"),
]


@pytest.mark.parametrize(("func", "offset", "expected", "hint"), BAD_FUNCTION_CASES)
def test_bad_function_arguments(func: str, offset: int, expected: tuple[str, ...], hint: str) -> None:
    prefix = "Due = "
    with pytest.raises(QuerySyntaxError) as info:
        parse(prefix + func)
    assert info.value.pos == len(prefix) + offset
    assert info.value.expected == expected
    assert hint in str(info.value)


def test_unknown_function_lists_the_known_ones() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse("Due = YESTERWEEK()")
    assert info.value.pos == 6
    assert info.value.expected == (FUNCTION,)
    assert "YESTERWEEK" in str(info.value) and "FROM_TODAY" in str(info.value)


# --------------------------------------------------------------------------------------------------------------------
# and / or, precedence, parentheses, flattening

a, b, c, d = (C(x, "=", N("1")) for x in "abcd")

LOGIC_CASES = [
    ("a = 1 and b = 1", And((a, b))),
    ("a = 1 or b = 1", Or((a, b))),
    ("a = 1 and b = 1 and c = 1", And((a, b, c))),
    ("a = 1 or b = 1 or c = 1", Or((a, b, c))),
    # and binds tighter than or
    ("a = 1 or b = 1 and c = 1", Or((a, And((b, c))))),
    ("a = 1 and b = 1 or c = 1", Or((And((a, b)), c))),
    ("a = 1 and b = 1 or c = 1 and d = 1", Or((And((a, b)), And((c, d))))),
    ("a = 1 or b = 1 and c = 1 or d = 1", Or((a, And((b, c)), d))),
    # parentheses override
    ("(a = 1 or b = 1) and c = 1", And((Or((a, b)), c))),
    ("a = 1 and (b = 1 or c = 1)", And((a, Or((b, c))))),
    ("(a = 1 or b = 1) and (c = 1 or d = 1)", And((Or((a, b)), Or((c, d))))),
    # redundant parentheses disappear, same-kind groups flatten
    ("(a = 1)", a),
    ("((a = 1))", a),
    ("(((a = 1)))", a),
    ("a = 1 and (b = 1 and c = 1)", And((a, b, c))),
    ("(a = 1 and b = 1) and c = 1", And((a, b, c))),
    ("(a = 1 and b = 1) and (c = 1 and d = 1)", And((a, b, c, d))),
    ("a = 1 or (b = 1 or c = 1)", Or((a, b, c))),
    ("(a = 1 or b = 1) or (c = 1 or d = 1)", Or((a, b, c, d))),
    ("(a = 1 and b = 1) or c = 1", Or((And((a, b)), c))),
    ("((a = 1 or b = 1) and c = 1) or d = 1", Or((And((Or((a, b)), c)), d))),
    ("a = 1 and ((b = 1))", And((a, b))),
    ("(a = 1 and (b = 1 and (c = 1 and d = 1)))", And((a, b, c, d))),
    ("(a = 1 or (b = 1 and (c = 1 or d = 1)))", Or((a, And((b, Or((c, d))))))),
    # keywords in any case by default
    ("a = 1 AND b = 1", And((a, b))),
    ("a = 1 Or b = 1", Or((a, b))),
]


@pytest.mark.parametrize(("text", "expected"), LOGIC_CASES)
def test_logic(text: str, expected: Expr) -> None:
    assert where(text) == expected


# --------------------------------------------------------------------------------------------------------------------
# Options: order by, limit, offset


def K(field: str, desc: bool = False) -> OrderKey:
    return OrderKey(FieldRef(field), desc)


OPTION_CASES = [
    ("", Query()),
    ("   ", Query()),
    ("order by $id", Query(order_by=(K("$id"),))),
    ("order by $id asc", Query(order_by=(K("$id"),))),
    ("order by $id desc", Query(order_by=(K("$id", True),))),
    ("order by a desc, b asc, c", Query(order_by=(K("a", True), K("b"), K("c")))),
    ("order by a,b", Query(order_by=(K("a"), K("b")))),
    ("limit 10", Query(limit=10)),
    ("limit 0", Query(limit=0)),
    ("offset 0", Query(offset=0)),
    ("offset 20", Query(offset=20)),
    ("limit 500 offset 10000", Query(limit=500, offset=10000)),
    # range limits belong to the server, not the grammar
    ("limit 100000", Query(limit=100000)),
    ("order by $id asc limit 10", Query(order_by=(K("$id"),), limit=10)),
    ("order by $id asc offset 10", Query(order_by=(K("$id"),), offset=10)),
    ("order by $id asc limit 10 offset 30", Query(order_by=(K("$id"),), limit=10, offset=30)),
    ("a = 1 order by a", Query(where=a, order_by=(K("a"),))),
    ("a = 1 limit 5", Query(where=a, limit=5)),
    ("a = 1 offset 5", Query(where=a, offset=5)),
    ("a = 1 order by a desc limit 1 offset 2", Query(where=a, order_by=(K("a", True),), limit=1, offset=2)),
    ("(a = 1 or b = 1) order by b", Query(where=Or((a, b)), order_by=(K("b"),))),
    ("ORDER BY a DESC LIMIT 3 OFFSET 4", Query(order_by=(K("a", True),), limit=3, offset=4)),
    ("Order By a Asc", Query(order_by=(K("a"),))),
    ("order by 顧客名 desc", Query(order_by=(K("顧客名", True),))),
    ("order by Related.Field asc", Query(order_by=(K("Related.Field"),))),
    # field codes that look like keywords are still field codes where a field code is expected
    ("limit = 1", W(C("limit", "=", N("1")))),
    ("order = 1", W(C("order", "=", N("1")))),
    ("offset in (1)", W(C("offset", "in", N("1")))),
    ("and = 1 and or = 2", W(And((C("and", "=", N("1")), C("or", "=", N("2")))))),
    ("order by limit desc limit 1", Query(order_by=(K("limit", True),), limit=1)),
    ("order by desc", Query(order_by=(K("desc"),))),
]


@pytest.mark.parametrize(("text", "expected"), OPTION_CASES)
def test_options(text: str, expected: Query) -> None:
    assert strip_positions(parse(text)) == expected


# --------------------------------------------------------------------------------------------------------------------
# Strings, numbers and field codes

STRING_CASES = [
    ('""', ""),
    ('"plain"', "plain"),
    ('"a\\"b"', 'a"b'),
    ('"a\\\\b"', "a\\b"),
    ('"\\\\"', "\\"),
    ('"\\""', '"'),
    ('"\\\\\\""', '\\"'),
    ('"line1\\nline2"', "line1\nline2"),
    ('"tab\\there"', "tab\there"),
    ('"日本語のテキスト"', "日本語のテキスト"),
    ('"emoji 🎉"', "emoji 🎉"),
    ("\"with 'single' quotes\"", "with 'single' quotes"),
    ('"and or order by limit"', "and or order by limit"),
    ('"(parens) = , != "', "(parens) = , != "),
    ('"x\\" or $id > \\"0"', 'x" or $id > "0'),
]


@pytest.mark.parametrize(("literal", "value"), STRING_CASES)
def test_strings(literal: str, value: str) -> None:
    assert where(f"Title = {literal}") == C("Title", "=", S(value))


FIELD_CODE_CASES = [
    "Title",
    "title_2",
    "_private",
    "A1",
    "$id",
    "$revision",
    "顧客名",
    "文字列__1行_",
    "数値_0",
    "カテゴリー",
    "Ｆｕｌｌ",
    "案件・担当",
    "Related.Field",
    "関連レコード一覧.会社名",
    "Table_1.Inner_2",
]


@pytest.mark.parametrize("code", FIELD_CODE_CASES)
def test_field_codes(code: str) -> None:
    assert where(f"{code} = 1") == C(code, "=", N("1"))
    assert strip_positions(parse(f"order by {code} desc")).order_by == (K(code, True),)


# --------------------------------------------------------------------------------------------------------------------
# Positions recorded in the tree


def test_positions_point_at_the_source() -> None:
    text = 'Title = "x" and (Stage in ("A", TODAY()) or N is empty) order by $id desc'
    q = parse(text)
    assert isinstance(q.where, And)
    first, group = q.where.items
    assert isinstance(first, Condition) and isinstance(group, Or)
    assert first.pos == 0 and first.field.pos == 0
    assert first.values[0].pos == text.index('"x"')
    stage, n = group.items
    assert isinstance(stage, Condition) and isinstance(n, Condition)
    assert stage.pos == text.index("Stage")
    assert stage.values[0].pos == text.index('"A"')
    assert stage.values[1].pos == text.index("TODAY")
    assert n.field.pos == text.index("N is")
    assert q.order_by[0].field.pos == text.index("$id")


# --------------------------------------------------------------------------------------------------------------------
# Malformed input: position and expected tokens

AFTER_CONDITION = ("and", "or", "order by", "limit", "offset", END)
OPERATORS = ("=", "!=", ">", "<", ">=", "<=", "in", "not in", "like", "not like", "is empty", "is not empty")
VALUE = (STRING, NUMBER, FUNCTION)

ERROR_CASES = [
    # (text, position, expected)
    ("Title", 5, OPERATORS),
    ("Title foo", 6, OPERATORS),
    ("Title == 1", 7, VALUE),
    ("Title = ", 8, VALUE),
    ("Title =", 7, VALUE),
    ("Title = 1 foo", 10, AFTER_CONDITION),
    ("Title = 1 2", 10, AFTER_CONDITION),
    ('Title = "x" "y"', 12, AFTER_CONDITION),
    ("Title = 1 and", 13, (FIELD_CODE, "(")),
    ("Title = 1 or", 12, (FIELD_CODE, "(")),
    ("Title = 1 and and", 17, OPERATORS),
    ("Title = 1 and = 2", 14, (FIELD_CODE, "(")),
    ("and", 3, OPERATORS),
    ("= 1", 0, (FIELD_CODE, "(", "order by", "limit", "offset", END)),
    ('"x" = Title', 0, (FIELD_CODE, "(", "order by", "limit", "offset", END)),
    ("1 = 1", 0, (FIELD_CODE, "(", "order by", "limit", "offset", END)),
    (")", 0, (FIELD_CODE, "(", "order by", "limit", "offset", END)),
    ("(", 1, (FIELD_CODE, "(")),
    ("()", 1, (FIELD_CODE, "(")),
    ("(a = 1", 6, ("and", "or", ")")),
    ("(a = 1 limit 5)", 7, ("and", "or", ")")),
    ("a = 1)", 5, AFTER_CONDITION),
    ("((a = 1)", 8, ("and", "or", ")")),
    ("a in", 4, ("(",)),
    ('a in "x"', 5, ("(",)),
    ("a in ()", 6, VALUE),
    ('a in ("x"', 9, (",", ")")),
    ('a in ("x",)', 10, VALUE),
    ('a in ("x" "y")', 10, (",", ")")),
    ('a in ("x";"y")', 9, ()),
    ('a not "x"', 6, ("in", "like")),
    ("a not", 5, ("in", "like")),
    ("a is", 4, ("empty", "not empty")),
    ("a is null", 5, ("empty", "not empty")),
    ("a is not", 8, ("empty",)),
    ("a is not null", 9, ("empty",)),
    ("a like", 6, VALUE),
    ("a is empty 1", 11, AFTER_CONDITION),
    ("order", 5, OPERATORS),
    ("order by", 8, (FIELD_CODE,)),
    ("order by ,", 9, (FIELD_CODE,)),
    ("order by a,", 11, (FIELD_CODE,)),
    ("order by a up", 11, ("asc", "desc", ",", "limit", "offset", END)),
    ("order by a asc desc", 15, (",", "limit", "offset", END)),
    ("order by a asc b", 15, (",", "limit", "offset", END)),
    ("a = 1 order a", 12, ("by",)),
    ("a = 1 order", 11, ("by",)),
    ("limit", 5, OPERATORS),
    ("a = 1 limit", 11, (WHOLE_NUMBER,)),
    ("a = 1 limit x", 12, (WHOLE_NUMBER,)),
    ("a = 1 limit -1", 12, (WHOLE_NUMBER,)),
    ("a = 1 limit 1.5", 12, (WHOLE_NUMBER,)),
    ('a = 1 limit "10"', 12, (WHOLE_NUMBER,)),
    ("a = 1 offset", 12, (WHOLE_NUMBER,)),
    ("a = 1 offset -5", 13, (WHOLE_NUMBER,)),
    ("limit 5 limit 6", 8, ("offset", END)),
    ("limit 5 order by a", 8, ("offset", END)),
    ("offset 5 limit 5", 9, (END,)),
    ("offset 5 order by a", 9, (END,)),
    ("order by a order by b", 11, ("asc", "desc", ",", "limit", "offset", END)),
    ("order by a limit 1 a = 1", 19, ("offset", END)),
    ("limit 1 a = 1", 8, ("offset", END)),
    ("order by a desc a = 1", 16, (",", "limit", "offset", END)),
    # lexical problems
    ("a = 'x'", 4, (STRING,)),
    ("a = ‘x’", 4, (STRING,)),
    ("a = “x”", 4, (STRING,)),
    ('a = "x', 4, ('"',)),
    ('a = "x\\', 4, ('"',)),
    ('a = "x\\q"', 6, ()),
    ('a = "x\ny"', 6, ()),
    ('a = "x\ty"', 6, ()),
    ('a = "x\x00y"', 6, ()),
    ('a = "x\x7fy"', 6, ()),
    ("a ! 1", 2, ("!=",)),
    ("a <> 1", 3, VALUE),
    ("a = 1.", 6, (NUMBER,)),
    ("a = 1.x", 6, (NUMBER,)),
    ("a = .5", 4, ()),
    ("a = 1abc", 4, (NUMBER, FIELD_CODE)),
    ("a = 1 && b = 2", 6, ()),
    ("a = 1; drop", 5, ()),
    ("a. = 1", 2, (FIELD_CODE,)),
    ("a.b.c = 1", 0, (FIELD_CODE,)),
    ("$ = 1", 1, (FIELD_CODE,)),
    ("a = -", 4, ()),
    ("a = - 1", 4, ()),
    ("a = +1", 4, ()),
    ("a = [1]", 4, ()),
    ("a = 1 #comment", 6, ()),
    ("a = \"ok\" and b = 'no'", 17, (STRING,)),
    ("a = 1\n\nfoo", 7, AFTER_CONDITION),
]


@pytest.mark.parametrize(("text", "pos", "expected"), ERROR_CASES)
def test_syntax_errors(text: str, pos: int, expected: tuple[str, ...]) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse(text)
    assert (info.value.pos, info.value.expected) == (pos, expected)
    assert str(info.value).startswith(f"at position {pos} (")


def test_message_lists_what_was_expected() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse('Title = "x" foo')
    assert str(info.value) == (
        "at position 12 (near 'foo'): expected 'and', 'or', 'order by', 'limit', 'offset' or end of query"
    )


def test_message_at_end_of_input() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse("Title =")
    assert str(info.value) == "at position 7 (at end of query): expected a string, a number or a function"


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("a = 'x'", "double quotes"),
        ('a = "x', "closing double quote"),
        ('a = "x\\q"', "unknown escape"),
        ('a = "x\ny"', "\\n"),
        ("a = TODAY", "TODAY()"),
        ("a = open", '"open"'),
        ("a in 1", 'a in ("A", "B")'.replace("a in", "in")),
        ("limit 5 order by a", "order by, limit, offset"),
        ("a = 1 limit -1", "whole number"),
        ("a.b.c = 1", "at most one dot"),
        ("a ! 1", "'!='"),
        ("a = 1abc", "cannot start with a digit"),
        ("a = 1 & b", "unexpected character '&'"),
    ],
)
def test_messages_say_how_to_fix(text: str, hint: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse(text)
    assert hint in str(info.value)


def test_message_never_echoes_much_input() -> None:
    long_code = "x" * 500
    for text in (f"a = 1 {long_code}", f"a = {long_code}", f"{long_code} {long_code}", f'a = "{long_code}'):
        with pytest.raises(QuerySyntaxError) as info:
            parse(text)
        assert "x" * 41 not in str(info.value)


def test_first_error_wins_over_a_later_bad_character() -> None:
    # The lexer is lazy: the bad quote at the end must not hide the earlier grammar error.
    with pytest.raises(QuerySyntaxError) as info:
        parse("a = = 'x'")
    assert info.value.pos == 4


# --------------------------------------------------------------------------------------------------------------------
# Keyword case

STRICT_OK = [
    'a = 1 and b in ("x") or c not in ("y") order by a desc, b asc limit 1 offset 2',
    'a like "x" and b not like "y" and c is empty and d is not empty',
    "A = 1 and AND_X = 2 and ORDER = 3",  # field codes keep their case
    "a = TODAY() and b = from_today(1, days)",  # function names are not keywords
]


@pytest.mark.parametrize("text", STRICT_OK)
def test_strict_keywords_accept_lower_case(text: str) -> None:
    assert parse(text, strict_keywords=True) == parse(text)


STRICT_BAD = [
    ("a = 1 AND b = 1", 6, "and"),
    ("a = 1 Or b = 1", 6, "or"),
    ('a IN ("x")', 2, "in"),
    ('a NOT in ("x")', 2, "not"),
    ('a not IN ("x")', 6, "in"),
    ('a LIKE "x"', 2, "like"),
    ('a not Like "x"', 6, "like"),
    ("a IS empty", 2, "is"),
    ("a is EMPTY", 5, "empty"),
    ("a is NOT empty", 5, "not"),
    ("a is not Empty", 9, "empty"),
    ("ORDER by a", 0, "order"),
    ("order BY a", 6, "by"),
    ("order by a ASC", 11, "asc"),
    ("order by a DESC", 11, "desc"),
    ("LIMIT 5", 0, "limit"),
    ("limit 5 OFFSET 5", 8, "offset"),
]


@pytest.mark.parametrize(("text", "pos", "keyword"), STRICT_BAD)
def test_strict_keywords_reject_other_case(text: str, pos: int, keyword: str) -> None:
    parse(text)  # accepted when tolerant
    with pytest.raises(QuerySyntaxError) as info:
        parse(text, strict_keywords=True)
    assert (info.value.pos, info.value.expected) == (pos, (keyword,))
    assert f"write '{keyword}'" in str(info.value)


def test_deep_nesting_is_refused_cleanly() -> None:
    from kintone_mcp.query.parser import MAX_DEPTH

    ok = "(" * MAX_DEPTH + "a = 1" + ")" * MAX_DEPTH
    assert where(ok) == a
    with pytest.raises(QuerySyntaxError) as info:
        parse("(" * 100_000)
    assert info.value.pos == MAX_DEPTH
    assert "nested" in str(info.value)


def test_long_queries_parse_quickly() -> None:
    import time

    text = " or ".join(f'Title = "value {i}"' for i in range(2000)) + " order by $id desc limit 500"
    start = time.perf_counter()
    q = parse(text)
    elapsed = time.perf_counter() - start
    assert isinstance(q.where, Or) and len(q.where.items) == 2000
    assert elapsed < 1.0, elapsed
