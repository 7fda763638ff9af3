"""Hypothesis strategies for query trees in normal form (what the parser produces: flattened groups, no groups
of one, no positions)."""

from __future__ import annotations

from hypothesis import strategies as st

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
)
from kintone_mcp.query.parser import PERIOD_UNITS, SIGNATURES, WEEKDAYS

_FIRST = "abcxyzABCXYZ_顧客名文字列数値カテゴリー"
_REST = _FIRST + "0123456789・＿"

plain_codes = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(_FIRST),
    st.text(alphabet=_REST, max_size=8),
)
# Keywords are valid field codes wherever a field code is expected; make sure they turn up.
keyword_codes = st.sampled_from(["and", "or", "in", "not", "like", "is", "empty", "order", "by", "limit", "asc"])
field_codes = st.one_of(
    plain_codes,
    keyword_codes,
    st.sampled_from(["$id", "$revision"]),
    st.builds(lambda a, b: f"{a}.{b}", plain_codes, plain_codes),
)

# Any text the language can carry: everything except control characters other than newline and tab.
string_values = st.text(
    alphabet=st.characters(
        blacklist_categories=["Cs"], blacklist_characters=[chr(i) for i in range(32) if i not in (9, 10)] + ["\x7f"]
    ),
    max_size=20,
) | st.sampled_from(['"', "\\", '\\"', '" or $id > "0', "\n", "\t", ""])

numbers = st.from_regex(r"\A-?[0-9]{1,6}(\.[0-9]{1,4})?\Z")

functions = st.one_of(
    st.sampled_from(sorted(SIGNATURES)).filter(lambda n: n != "FROM_TODAY").map(lambda n: FuncCall(n)),
    st.builds(
        lambda n, d: FuncCall("FROM_TODAY", (str(n), d)),
        st.integers(-1000, 1000),
        st.sampled_from(PERIOD_UNITS),
    ),
    st.builds(
        lambda n, d: FuncCall(n, (d,)),
        st.sampled_from(["THIS_WEEK", "LAST_WEEK", "NEXT_WEEK"]),
        st.sampled_from(WEEKDAYS),
    ),
    st.builds(
        lambda n, d: FuncCall(n, (d,)),
        st.sampled_from(["THIS_MONTH", "LAST_MONTH", "NEXT_MONTH"]),
        st.one_of(st.just("LAST"), st.integers(1, 31).map(str)),
    ),
)

values = st.one_of(string_values.map(StringLit), numbers.map(NumberLit), functions)

_SINGLE = [Op.EQ, Op.NE, Op.GT, Op.LT, Op.GE, Op.LE, Op.LIKE, Op.NOT_LIKE]


@st.composite
def conditions(draw: st.DrawFn) -> Condition:
    field = FieldRef(draw(field_codes))
    op = draw(st.sampled_from(list(Op)))
    if op in (Op.IS_EMPTY, Op.IS_NOT_EMPTY):
        return Condition(field, op)
    if op in (Op.IN, Op.NOT_IN):
        return Condition(field, op, tuple(draw(st.lists(values, min_size=1, max_size=4))))
    assert op in _SINGLE
    return Condition(field, op, (draw(values),))


def _group(kind: type[And] | type[Or], children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    # A group never directly holds a group of its own kind: the parser would flatten it.
    other = children.filter(lambda e: not isinstance(e, kind))
    return st.lists(other, min_size=2, max_size=4).map(lambda items: kind(tuple(items)))


exprs: st.SearchStrategy[Expr] = st.recursive(
    conditions(),
    lambda children: st.one_of(_group(And, children), _group(Or, children)),
    max_leaves=10,
)

order_keys = st.builds(lambda code, desc: OrderKey(FieldRef(code), desc), field_codes, st.booleans())

queries = st.builds(
    Query,
    where=st.none() | exprs,
    order_by=st.lists(order_keys, max_size=3).map(tuple),
    limit=st.none() | st.integers(0, 10**6),
    offset=st.none() | st.integers(0, 10**6),
)
