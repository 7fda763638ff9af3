from __future__ import annotations

import pytest

from kintone_mcp.query import parse
from kintone_mcp.query.printer import to_text
from kintone_mcp.server.filters import Filter, compile_filter
from kintone_mcp.server.query_check import QueryRejected, check
from tests.server.props import PROPS


def _q(data: dict[str, object]) -> str:
    return to_text(compile_filter(Filter.model_validate(data), PROPS))


def test_filter_compiles_with_escaping_numbers_and_functions() -> None:
    text = _q(
        {
            "match": "all",
            "conditions": [
                {"field": "Title", "op": "like", "value": 'say "hi" \\ bye'},
                {"field": "Amount", "op": ">=", "value": 1000},
                {"field": "Close_date", "op": ">", "value": "FROM_TODAY(-7, days)"},
                {
                    "match": "any",
                    "conditions": [
                        {"field": "Stage", "op": "in", "value": ["Won", "Proposal"]},
                        {"field": "Notes", "op": "is empty"},
                    ],
                },
            ],
        }
    )
    assert text == (
        'Title like "say \\"hi\\" \\\\ bye" and Amount >= 1000 and Close_date > FROM_TODAY(-7, DAYS)'
        ' and (Stage in ("Won", "Proposal") or Notes is empty)'
    )
    parse(text)  # what we produce is valid query text


def test_injection_attempt_stays_a_string() -> None:
    text = _q({"conditions": [{"field": "Title", "value": '" or $id > "0'}]})
    tree = parse(text)
    assert tree.where is not None and to_text(tree.where) == text  # one condition, nothing smuggled in


def test_filter_problems_name_the_fix() -> None:
    with pytest.raises(QueryRejected) as err:
        _q(
            {
                "conditions": [
                    {"field": "Stage", "op": "=", "value": "Won"},
                    {"field": "Amout", "op": ">", "value": 1},
                    {"field": "Tags", "op": "in", "value": ["gold"]},
                    {"field": "Qty", "op": "=", "value": 2},
                    {"field": "Amount", "op": "<", "value": "TODAY()"},
                ]
            }
        )
    text = str(err.value)
    assert len(err.value.problems) == 5
    assert "Write: Stage in (...)" in text
    assert "Did you mean 'Amount'" in text
    assert '"gold" is not an option' in text
    assert "inside the table 'Items'" in text
    assert "TODAY() cannot be used with 'Amount'" in text


def test_raw_query_is_checked_against_fields() -> None:
    check(parse('Stage in ("Won") and $id > 3 order by Amount desc'), PROPS, None)
    check(parse('Related.Name in ("a")'), PROPS, None)
    with pytest.raises(QueryRejected) as err:
        check(parse('$id > 3 and Stage.x in ("a") order by Amnt desc'), PROPS, None)
    assert len(err.value.problems) == 2 and "Amount" in str(err.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("this month", "'this month' is not a date; use \"YYYY-MM-DD\" or a function: TODAY(), THIS_WEEK()"),
        ("2026/01/31", "'2026/01/31' is not a date"),
        ("2026-02-30", "'2026-02-30' is not a date"),
        ("THIS_QUARTER()", "Close_date >= THIS_QUARTER(): unknown function 'THIS_QUARTER'; functions are: "),
        ("FROM_TODAY(-3)", "FROM_TODAY(n, DAYS|WEEKS|MONTHS|YEARS)"),
        ("TODAY(), NOW()", "give one function per value"),
    ],
)
def test_date_values_are_checked_before_kintone_sees_them(value: str, expected: str) -> None:
    # Kintone answers these with a bare CB_VA01; the model needs the format and the functions that exist.
    with pytest.raises(QueryRejected) as err:
        _q({"conditions": [{"field": "Close_date", "op": ">=", "value": value}]})
    assert expected in str(err.value)
    assert len(err.value.problems) == 1


def test_time_values_and_valid_dates_and_functions() -> None:
    with pytest.raises(QueryRejected, match="'9am' is not a time of day"):
        _q({"conditions": [{"field": "Call_time", "op": ">", "value": "9am"}]})
    text = _q(
        {
            "conditions": [
                {"field": "Close_date", "op": ">=", "value": "2026-02-01"},
                {"field": "Close_date", "op": "<=", "value": "this_month(last)"},
                {"field": "Call_time", "op": ">=", "value": "09:30"},
                {"field": "Owner", "op": "in", "value": ["LOGINUSER()", "sato"]},
                # Text that merely looks like a call is searched for as text on a field that takes no function.
                {"field": "Title", "op": "like", "value": "f(x)"},
            ]
        }
    )
    assert text == (
        'Close_date >= "2026-02-01" and Close_date <= THIS_MONTH(LAST) and Call_time >= "09:30" '
        'and Owner in (LOGINUSER(), "sato") and Title like "f(x)"'
    )


def test_a_function_value_cannot_carry_more_query() -> None:
    with pytest.raises(QueryRejected):
        _q({"conditions": [{"field": "Close_date", "op": "=", "value": 'TODAY()) or (Title = "x"'}]})
    with pytest.raises(QueryRejected):
        _q({"conditions": [{"field": "Close_date", "op": "=", "value": "TODAY()) or Title in (TODAY()"}]})


def test_a_wrong_item_is_reported_against_its_own_shape_only() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as err:
        Filter.model_validate({"conditions": [{"field": "Amount", "op": "between", "value": [1, 2]}]})
    assert [e["loc"] for e in err.value.errors()] == [("conditions", 0, "condition", "op")]
    with pytest.raises(ValidationError) as err:
        Filter.model_validate({"conditions": [{"match": "some", "conditions": [{"field": "Amount"}]}]})
    assert [e["loc"] for e in err.value.errors()] == [("conditions", 0, "group", "match")]
