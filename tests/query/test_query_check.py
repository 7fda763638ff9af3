"""Checking queries against an app's field definitions (the `properties` of app/form/fields.json)."""

from __future__ import annotations

from typing import Any

import pytest

from kintone_mcp.query import QueryProblem, check_query, parse


def _f(code: str, type_: str, label: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": type_, "code": code, "label": label or code, **extra}


def _options(*labels: str) -> dict[str, Any]:
    return {"options": {lab: {"label": lab, "index": str(i)} for i, lab in enumerate(labels)}}


FIELDS: dict[str, dict[str, Any]] = {
    "$id": _f("$id", "__ID__"),
    "$revision": _f("$revision", "__REVISION__"),
    "Record_number": _f("Record_number", "RECORD_NUMBER", "Record number"),
    "Created_by": _f("Created_by", "CREATOR", "Created by"),
    "Updated_by": _f("Updated_by", "MODIFIER", "Updated by"),
    "Created_datetime": _f("Created_datetime", "CREATED_TIME", "Created datetime"),
    "Updated_datetime": _f("Updated_datetime", "UPDATED_TIME", "Updated datetime"),
    "Status": _f("Status", "STATUS", enabled=True),
    "Assignee": _f("Assignee", "STATUS_ASSIGNEE", enabled=True),
    "Categories": _f("Categories", "CATEGORY", enabled=False),
    "Title": _f("Title", "SINGLE_LINE_TEXT", "Deal title"),
    "Customer": _f("Customer", "SINGLE_LINE_TEXT", "Customer name", lookup={"relatedApp": {"app": "1"}}),
    "Notes": _f("Notes", "MULTI_LINE_TEXT"),
    "Body": _f("Body", "RICH_TEXT"),
    "Site": _f("Site", "LINK"),
    "Amount": _f("Amount", "NUMBER"),
    "Tax": _f("Tax", "CALC"),
    "Stage": _f("Stage", "DROP_DOWN", **_options("Lead", "Proposal", "Won", "Lost")),
    "Priority": _f("Priority", "RADIO_BUTTON", **_options("High", "Low")),
    "Tags": _f("Tags", "CHECK_BOX", **_options("VIP", "New")),
    "Regions": _f("Regions", "MULTI_SELECT", **_options("東京", "大阪")),
    "Due": _f("Due", "DATE", "Due date"),
    "Call_time": _f("Call_time", "TIME"),
    "Closed_at": _f("Closed_at", "DATETIME"),
    "Owner": _f("Owner", "USER_SELECT"),
    "Dept": _f("Dept", "ORGANIZATION_SELECT"),
    "Team": _f("Team", "GROUP_SELECT"),
    "Attachments": _f("Attachments", "FILE"),
    "Grp": _f("Grp", "GROUP"),
    "Items": _f(
        "Items",
        "SUBTABLE",
        fields={
            "Product": _f("Product", "SINGLE_LINE_TEXT"),
            "Qty": _f("Qty", "NUMBER"),
            "Kind": _f("Kind", "DROP_DOWN", **_options("Hardware", "Service")),
            "Delivery": _f("Delivery", "DATE"),
            "Memo": _f("Memo", "MULTI_LINE_TEXT"),
        },
    ),
    "Tickets": _f(
        "Tickets",
        "REFERENCE_TABLE",
        referenceTable={
            "relatedApp": {"app": "3", "code": "TICKETS"},
            "condition": {"field": "Customer", "relatedField": "Customer"},
            "displayFields": ["Subject", "Priority"],
        },
    ),
}


def problems(text: str) -> list[QueryProblem]:
    return check_query(text, FIELDS)


def one(text: str) -> QueryProblem:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


# --------------------------------------------------------------------------------------------------------------------
# Queries Kintone accepts produce no problem

VALID = [
    "",
    'Title = "x"',
    'Title != "x" and Title in ("a", "b") and Title not in ("c") and Title like "d" and Title not like "e"',
    "Title is empty",  # unconfirmed for text: tolerated
    "Site is not empty",
    'Notes like "x" and Notes not like "y" and Notes is empty and Notes is not empty',
    'Body like "x"',
    "Amount > 1 and Amount <= 2.5 and Amount in (1, 2) and Amount != 3",
    'Amount = "10"',
    "Tax >= 0",
    "$id > 100 and $revision = 2 and Record_number in (1, 2)",
    'Stage in ("Won", "Lost") and Stage not in ("Lead")',
    'Stage in ("")',
    'Priority in ("High")',
    'Tags in ("VIP", "") and Regions not in ("東京")',
    "Due = TODAY() and Due < FROM_TODAY(-3, DAYS) and Due >= THIS_MONTH(LAST) and Due > LAST_WEEK(MONDAY)",
    "Due is empty",  # unconfirmed for dates: tolerated
    'Closed_at < NOW() and Closed_at >= "2024-01-01T00:00:00Z" and Created_datetime = YESTERDAY()',
    "Updated_datetime > THIS_YEAR()",
    'Call_time > "09:00"',
    'Owner in (LOGINUSER(), "sato") and Created_by in (LOGINUSER()) and Updated_by not in ("suzuki")',
    'Assignee in (LOGINUSER()) and Status = "Done" and Status in ("Open")',
    'Dept in (PRIMARY_ORGANIZATION(), "sales") and Team in ("managers")',
    'Attachments like "invoice" and Attachments is not empty',
    # subtable fields: in / not in instead of = / !=, every other operator as for the type
    'Product in ("Desk") and Product not in ("Chair") and Product like "De"',
    "Qty in (1) and Qty > 2 and Qty <= 5",
    'Kind in ("Service", "")',
    "Delivery > TODAY()",
    "Memo is empty",
    # related records: fields shown by the related-records field, without = / !=
    'Tickets.Subject like "x" and Tickets.Priority in ("High")',
    "order by $id desc",
    "order by Amount desc, Title asc, Due, Closed_at, Stage, Priority, Created_by, Record_number limit 500",
    "order by Status asc offset 10000",
    '(Title = "a" or Amount > 1) and Stage in ("Won") order by Due desc limit 10 offset 20',
]


@pytest.mark.parametrize("text", VALID)
def test_valid_queries_have_no_problems(text: str) -> None:
    assert problems(text) == []


# --------------------------------------------------------------------------------------------------------------------
# Unknown fields and suggestions


@pytest.mark.parametrize(
    ("text", "field", "suggestion"),
    [
        ('Titel = "x"', "Titel", "Title"),
        ('title = "x"', "title", "Title"),
        ("Amout > 1", "Amout", "Amount"),
        ("Qtty > 1", "Qtty", "Qty"),
        ("$Id > 1", "$Id", "$id"),
        ('Stages in ("Won")', "Stages", "Stage"),
        ("Due_date = TODAY()", "Due_date", "Due"),
    ],
)
def test_unknown_field_suggests_close_codes(text: str, field: str, suggestion: str) -> None:
    p = one(text)
    assert (p.code, p.field, p.pos) == ("GAIA_IQ11", field, 0)
    assert p.suggestions[0] == suggestion
    assert f"'{suggestion}'" in p.message


def test_unknown_field_given_by_its_label_names_the_code() -> None:
    fields = {"kokyaku": _f("kokyaku", "SINGLE_LINE_TEXT", "顧客名"), "Amount": _f("Amount", "NUMBER", "金額")}
    p = check_query('顧客名 = "x"', fields)[0]
    assert (p.code, p.field) == ("GAIA_IQ11", "顧客名")
    assert p.suggestions == ("kokyaku",)
    assert "label" in p.message and "'kokyaku'" in p.message


def test_unknown_field_without_close_match_lists_codes() -> None:
    p = one("Zzzzzzzz = 1")
    assert p.suggestions == ()
    assert "Field codes in this app:" in p.message and "Amount" in p.message


def test_unknown_field_position_is_where_the_code_is() -> None:
    text = 'Title = "x" and (Amount > 1 or Nope = 2) order by Missing desc'
    found = problems(text)
    assert [(p.code, p.field, p.pos) for p in found] == [
        ("GAIA_IQ11", "Nope", text.index("Nope")),
        ("GAIA_IQ11", "Missing", text.index("Missing")),
    ]


# --------------------------------------------------------------------------------------------------------------------
# Operators

OPERATOR_CASES = [
    # (query, field, allowed operators listed in the suggestions)
    ('Stage = "Won"', "Stage", ("in", "not in")),
    ('Stage like "W"', "Stage", ("in", "not in")),
    ('Tags != "VIP"', "Tags", ("in", "not in")),
    ('Owner = "sato"', "Owner", ("in", "not in")),
    ('Created_by = "sato"', "Created_by", ("in", "not in")),
    ('Assignee = "sato"', "Assignee", ("in", "not in")),
    ('Notes = "x"', "Notes", ("like", "not like", "is empty", "is not empty")),
    ("Body is empty", "Body", ("like", "not like")),
    ('Amount like "1"', "Amount", ("=", "!=", ">", "<", ">=", "<=", "in", "not in")),
    ("Amount is empty", "Amount", ("=", "!=", ">", "<", ">=", "<=", "in", "not in")),
    ('Title > "a"', "Title", ("=", "!=", "in", "not in", "like", "not like", "is empty", "is not empty")),
    ('Due in ("2024-01-01")', "Due", ("=", "!=", ">", "<", ">=", "<=", "is empty", "is not empty")),
    ('Closed_at like "2024"', "Closed_at", ("=", "!=", ">", "<", ">=", "<=", "is empty", "is not empty")),
    ('Status like "x"', "Status", ("=", "!=", "in", "not in")),
    ('Attachments = "a.pdf"', "Attachments", ("like", "not like", "is empty", "is not empty")),
    ("Qty like 1", "Qty", (">", "<", ">=", "<=", "in", "not in")),
    ('Product > "a"', "Product", ("in", "not in", "like", "not like", "is empty", "is not empty")),
]


@pytest.mark.parametrize(("text", "field", "allowed"), OPERATOR_CASES)
def test_operator_not_allowed_lists_allowed(text: str, field: str, allowed: tuple[str, ...]) -> None:
    p = one(text)
    assert (p.code, p.field, p.pos) == ("GAIA_IQ03", field, 0)
    assert p.suggestions == allowed
    assert "Allowed: " + ", ".join(allowed) in p.message


def test_equals_on_a_choice_field_suggests_in() -> None:
    p = one('Stage = "Won"')
    assert "Write: Stage in (...)" in p.message
    p = one('Stage != "Won"')
    assert "Write: Stage not in (...)" in p.message


@pytest.mark.parametrize(
    ("text", "field", "replacement"),
    [
        ('Product = "Desk"', "Product", "in"),
        ('Product != "Desk"', "Product", "not in"),
        ("Qty = 1", "Qty", "in"),
        ("Qty != 1", "Qty", "not in"),
        ('Delivery = "2024-01-01"', "Delivery", "in"),
        ('Tickets.Subject = "x"', "Tickets.Subject", "in"),
        ('Tickets.Priority != "x"', "Tickets.Priority", "not in"),
    ],
)
def test_equals_on_table_or_related_field(text: str, field: str, replacement: str) -> None:
    p = one(text)
    assert (p.code, p.field) == ("GAIA_IQ07", field)
    assert p.suggestions == (replacement,)
    assert f"use '{replacement}'" in p.message


def test_operators_never_allowed_inside_a_table_are_iq03_not_iq07() -> None:
    # '=' is not allowed on MULTI_LINE_TEXT anywhere, so the table is not the reason.
    p = one('Memo = "x"')
    assert p.code == "GAIA_IQ03"


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ('Items in ("x")', "Items", ["table", "Product", "Qty"]),
        ('Tickets like "x"', "Tickets", ["related-records", "Tickets.Subject"]),
        ('Categories in ("x")', "Categories", ["CATEGORY"]),
        ('Grp = "x"', "Grp", ["GROUP"]),
    ],
)
def test_fields_that_cannot_be_searched(text: str, field: str, words: list[str]) -> None:
    p = one(text)
    assert (p.code, p.field) == ("GAIA_IQ03", field)
    for w in words:
        assert w in p.message


# --------------------------------------------------------------------------------------------------------------------
# Options


@pytest.mark.parametrize(
    ("text", "bad", "suggestion"),
    [
        ('Stage in ("Wonn")', "Wonn", "Won"),
        ('Stage in ("won")', "won", "Won"),
        ('Stage in ("Won", "Lots")', "Lots", "Lost"),
        ('Priority not in ("Hihg")', "Hihg", "High"),
        ('Tags in ("vip")', "vip", "VIP"),
        ('Regions in ("東京都")', "東京都", "東京"),
        ('Kind in ("Servce")', "Servce", "Service"),
    ],
)
def test_option_not_existing(text: str, bad: str, suggestion: str) -> None:
    p = one(text)
    assert p.code == "GAIA_IQ10"
    assert p.pos == text.index(f'"{bad}"')
    assert p.suggestions[0] == suggestion
    assert f'"{bad}" is not an option' in p.message
    assert 'in ("")' in p.message


def test_options_are_listed_in_form_order() -> None:
    p = one('Stage in ("Nope")')
    assert 'Options: "Lead", "Proposal", "Won", "Lost".' in p.message


def test_each_bad_option_is_reported() -> None:
    found = problems('Stage in ("A", "Won", "B") and Tags in ("C")')
    assert [(p.code, p.field) for p in found] == [("GAIA_IQ10", "Stage"), ("GAIA_IQ10", "Stage"), ("GAIA_IQ10", "Tags")]


def test_options_unknown_in_definition_are_not_checked() -> None:
    fields = {"S": _f("S", "DROP_DOWN")}
    assert check_query('S in ("anything")', fields) == []


# --------------------------------------------------------------------------------------------------------------------
# Functions


@pytest.mark.parametrize(
    ("text", "func", "usable"),
    [
        ("Title = TODAY()", "TODAY", ()),
        ("Amount > NOW()", "NOW", ()),
        ("Due = NOW()", "NOW", None),
        ("Owner in (PRIMARY_ORGANIZATION())", "PRIMARY_ORGANIZATION", ("LOGINUSER",)),
        ("Dept in (LOGINUSER())", "LOGINUSER", ("PRIMARY_ORGANIZATION",)),
        ("Team in (LOGINUSER())", "LOGINUSER", ()),
        ("Stage in (LOGINUSER())", "LOGINUSER", ()),
        ("Call_time > NOW()", "NOW", ()),
        ('Closed_at > "x" and Closed_at < LOGINUSER()', "LOGINUSER", None),
        ("Qty in (TODAY())", "TODAY", ()),
    ],
)
def test_function_on_wrong_field_type(text: str, func: str, usable: tuple[str, ...] | None) -> None:
    p = one(text)
    assert p.code == "GAIA_IL08"
    assert p.pos == text.index(func)
    assert f"{func}()" in p.message
    if usable is not None:
        assert p.suggestions == usable


# --------------------------------------------------------------------------------------------------------------------
# Dot references


def test_dot_reference_outside_related_records() -> None:
    p = one('Title.Sub = "x"')
    assert (p.code, p.field) == ("GAIA_IR02", "Title.Sub")
    assert "Tickets" in p.message  # names the related-records fields that do exist


def test_dot_reference_into_a_table_says_to_drop_the_table() -> None:
    p = one('Items.Product in ("x")')
    assert p.code == "GAIA_IR02"
    assert p.suggestions == ("Product",)
    assert "'Product'" in p.message


def test_dot_reference_to_an_unknown_head() -> None:
    p = check_query('Nope.X = "x"', {"T": _f("T", "SINGLE_LINE_TEXT")})[0]
    assert p.code == "GAIA_IR02"
    assert "no related-records field" in p.message


def test_related_field_not_shown() -> None:
    p = one('Tickets.Subjet like "x"')
    assert (p.code, p.field) == ("GAIA_IQ11", "Tickets.Subjet")
    assert p.suggestions == ("Tickets.Subject",)
    assert "Tickets.Priority" in p.message


# --------------------------------------------------------------------------------------------------------------------
# Sorting


@pytest.mark.parametrize(
    ("field", "reason"),
    [
        ("Tags", "CHECK_BOX"),
        ("Regions", "MULTI_SELECT"),
        ("Owner", "USER_SELECT"),
        ("Dept", "ORGANIZATION_SELECT"),
        ("Team", "GROUP_SELECT"),
        ("Assignee", "STATUS_ASSIGNEE"),
        ("Attachments", "FILE"),
        ("Categories", "CATEGORY"),
        ("Items", "SUBTABLE"),
        ("Tickets", "REFERENCE_TABLE"),
        ("Qty", "table 'Items'"),
        ("Product", "table 'Items'"),
        ("Tickets.Subject", "related records"),
    ],
)
def test_order_by_a_field_that_cannot_be_sorted(field: str, reason: str) -> None:
    text = f"Amount > 1 order by $id desc, {field} asc"
    p = one(text)
    assert (p.code, p.field, p.pos) == ("GAIA_IQ03", field, text.index(field))
    assert reason in p.message


def test_order_by_unknown_and_dotted() -> None:
    assert one("order by Amout").code == "GAIA_IQ11"
    assert one("order by Title.X").code == "GAIA_IR02"


# --------------------------------------------------------------------------------------------------------------------
# limit / offset, syntax errors, system fields


def test_limit_and_offset_beyond_kintone_maximum() -> None:
    found = problems("limit 501 offset 10001")
    assert [(p.code, p.pos) for p in found] == [("GAIA_QU01", None), ("GAIA_QU02", None)]
    assert "500" in found[0].message and "10,000" in found[1].message


def test_syntax_error_is_a_problem_not_an_exception() -> None:
    p = one('Title = "x" foo')
    assert (p.code, p.pos, p.field) == ("CB_VA01", 12, None)
    assert "expected 'and', 'or'" in p.message
    assert p.suggestions == ("and", "or", "order by", "limit", "offset", "end of query")


def test_strict_keywords_pass_through() -> None:
    assert check_query('Title = "x" AND Amount > 1', FIELDS) == []
    p = check_query('Title = "x" AND Amount > 1', FIELDS, strict_keywords=True)[0]
    assert (p.code, p.pos) == ("CB_VA01", 12)


def test_system_fields_work_without_definitions() -> None:
    # Some definitions leave $id / $revision out; they always exist.
    fields = {"T": _f("T", "SINGLE_LINE_TEXT")}
    assert check_query("$id > 1 and $revision in (1, 2) order by $id desc", fields) == []
    assert check_query('$id like "1"', fields)[0].code == "GAIA_IQ03"


def test_accepts_a_parsed_query() -> None:
    assert check_query(parse('Stage = "Won"'), FIELDS)[0].code == "GAIA_IQ03"


def test_problems_are_frozen() -> None:
    p = one('Titel = "x"')
    with pytest.raises(AttributeError):
        p.code = "x"  # type: ignore[misc]


def test_many_problems_in_one_query_are_all_reported_in_order() -> None:
    text = 'Titel = "x" and Stage = "Won" and Qty = 1 and Due = LOGINUSER() order by Tags limit 600'
    assert [p.code for p in problems(text)] == [
        "GAIA_IQ11",
        "GAIA_IQ03",
        "GAIA_IQ07",
        "GAIA_IL08",
        "GAIA_IQ03",
        "GAIA_QU01",
    ]


def test_label_written_as_code_names_the_code() -> None:
    p = one("Due_date = TODAY()")
    assert p.suggestions[0] == "Due"
    assert "looks like the label" in p.message


# --------------------------------------------------------------------------------------------------------------------
# Tolerance: nothing in Kintone's official operator table is ever refused

_SAMPLE_VALUE = {
    "DATE": '"2024-01-01"',
    "DATETIME": '"2024-01-01T00:00:00Z"',
    "CREATED_TIME": '"2024-01-01T00:00:00Z"',
    "UPDATED_TIME": '"2024-01-01T00:00:00Z"',
    "TIME": '"09:00"',
}


def _official_cases() -> list[tuple[str, str, bool]]:
    from kintone_mcp.query.operators import OPERATORS_BY_TYPE, SUBTABLE_INNER_TYPES

    cases = []
    for field_type, ops in OPERATORS_BY_TYPE.items():
        for op in ops:
            cases.append((field_type, op.value, False))
            if field_type in SUBTABLE_INNER_TYPES and op.value not in ("=", "!="):
                cases.append((field_type, op.value, True))
    return sorted(cases)


@pytest.mark.parametrize(("field_type", "op", "in_table"), _official_cases())
def test_operators_from_the_official_table_are_accepted(field_type: str, op: str, in_table: bool) -> None:
    field = _f("F", field_type, **_options("A"))
    fields = {"T": _f("T", "SUBTABLE", fields={"F": field})} if in_table else {"F": field}
    value = _SAMPLE_VALUE.get(field_type, '"A"')
    if op in ("is empty", "is not empty"):
        text = f"F {op}"
    elif op in ("in", "not in"):
        text = f"F {op} ({value})"
    else:
        text = f"F {op} {value}"
    assert check_query(text, fields) == []


def test_messages_never_echo_much_input() -> None:
    long_code = "x" * 300
    for text in (f"{long_code} = 1", f'Stage in ("{long_code}")', f"{long_code}.y = 1", f"order by {long_code}"):
        for p in problems(text):
            assert "x" * 41 not in p.message
