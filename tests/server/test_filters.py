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
    check(parse('Stage in ("Won") and $id > 3 order by Amount desc'), PROPS)
    check(parse('Related.Name in ("a")'), PROPS)
    with pytest.raises(QueryRejected) as err:
        check(parse('$id > 3 and Stage.x in ("a") order by Amnt desc'), PROPS)
    assert len(err.value.problems) == 2 and "Amount" in str(err.value)
