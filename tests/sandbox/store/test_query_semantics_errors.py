"""Queries Kintone refuses, and the operator table per field type: every operator a type accepts compiles and runs,
every other one is refused with the code Kintone uses."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from query_semantics_app import FIELDS, NOW, TOKYO, context, database, run

from kintone_mcp.query.ast import Condition, FieldRef, FuncCall, NumberLit, Op, OrderKey, Query, StringLit, Value
from kintone_mcp.query.operators import OPERATORS_BY_TYPE, UNCERTAIN_OPERATORS_BY_TYPE
from kintone_mcp.sandbox.errors import ErrorReply
from kintone_mcp.sandbox.store.querysql import QueryContext, compile_query, json_path


@pytest.fixture(scope="module")
def conn() -> Iterator[sqlite3.Connection]:
    connection = database()
    yield connection
    connection.close()


def _error(conn: sqlite3.Connection, query: str | Query, **kw: Any) -> ErrorReply:
    with pytest.raises(ErrorReply) as caught:
        run(conn, query, **kw)
    return caught.value


ERRORS: list[tuple[str, str, str]] = [
    # (query, code, text the message must contain: the field, or what to do)
    ("Nope = 1", "GAIA_IQ11", "Nope"),
    ('nope_title = "x"', "GAIA_IQ11", "nope_title"),
    ('title = "x"', "GAIA_IQ11", "title"),
    ("order by Nope", "GAIA_IQ11", "Nope"),
    ('Amount like "1"', "GAIA_IQ03", "Amount"),
    ("Amount is empty", "GAIA_IQ03", "Amount"),
    ('Title > "a"', "GAIA_IQ03", "Title"),
    ('Notes = "x"', "GAIA_IQ03", "Notes"),
    ('Notes in ("x")', "GAIA_IQ03", "Notes"),
    ("Body is empty", "GAIA_IQ03", "Body"),
    ('Stage = "Lead"', "GAIA_IQ03", "Stage"),
    ('Stage like "Lead"', "GAIA_IQ03", "Stage"),
    ('Tags = "A"', "GAIA_IQ03", "Tags"),
    ('Owner = "sato"', "GAIA_IQ03", "Owner"),
    ('Created_by = "sato"', "GAIA_IQ03", "Created_by"),
    ('Close in ("2024-03-01")', "GAIA_IQ03", "Close"),
    ('Close like "2024"', "GAIA_IQ03", "Close"),
    ('Meeting in ("2024-03-01")', "GAIA_IQ03", "Meeting"),
    ('Attachments = "x"', "GAIA_IQ03", "Attachments"),
    ('Status like "O"', "GAIA_IQ03", "Status"),
    ('Assignee = "sato"', "GAIA_IQ03", "Assignee"),
    ('Categories in ("x")', "GAIA_IQ03", "Categories"),
    ('Items in ("x")', "GAIA_IQ03", "Items"),
    ('Tickets in ("x")', "GAIA_IQ03", "Tickets"),
    ('Explain like "x"', "GAIA_IQ03", "Explain"),
    ('Section like "x"', "GAIA_IQ03", "Section"),
    ('Product = "Widget"', "GAIA_IQ07", "Product"),
    ('Product != "Widget"', "GAIA_IQ07", "Product"),
    ("Qty = 3", "GAIA_IQ07", "Qty"),
    ('Shipped != "2024-01-01"', "GAIA_IQ07", "Shipped"),
    ("Tickets.Severity = 1", "GAIA_IQ07", "Tickets.Severity"),
    ('Memo = "x"', "GAIA_IQ03", "Memo"),
    ('Kind = "Hardware"', "GAIA_IQ03", "Kind"),
    ('Stage in ("Closed")', "GAIA_IQ10", "Stage"),
    ('Stage in ("lead")', "GAIA_IQ10", "lead"),
    ('Tags not in ("Z")', "GAIA_IQ10", "Tags"),
    ('Priority in ("high")', "GAIA_IQ10", "Priority"),
    ('Regions in ("South", "East")', "GAIA_IQ10", "South"),
    ('Kind in ("Firmware")', "GAIA_IQ10", "Kind"),
    ('Tickets.Kind in ("Feature")', "GAIA_IQ10", "Feature"),
    ('Title.Sub in ("x")', "GAIA_IR02", "Title.Sub"),
    ("Items.Qty in (1)", "GAIA_IR02", "Items.Qty"),
    ('Nope.Field in ("x")', "GAIA_IR02", "Nope.Field"),
    ("Tickets.Nope in (1)", "GAIA_IQ11", "Tickets.Nope"),
    ("order by Title.Sub", "GAIA_IR02", "Title.Sub"),
    ("Amount = TODAY()", "GAIA_IL08", "Amount"),
    ("Title = LOGINUSER()", "GAIA_IL08", "Title"),
    ("Owner in (TODAY())", "GAIA_IL08", "Owner"),
    ("Team in (LOGINUSER())", "GAIA_IL08", "PRIMARY_ORGANIZATION"),
    ("Owner in (PRIMARY_ORGANIZATION())", "GAIA_IL08", "LOGINUSER"),
    ("Close = NOW()", "GAIA_IL08", "Close"),
    ("Start = TODAY()", "GAIA_IL08", "Start"),
    ("Status = LOGINUSER()", "GAIA_IL08", "Status"),
    ("Attachments like LOGINUSER()", "GAIA_IL08", "Attachments"),
    ('Amount > "abc"', "CB_VA01", "Amount"),
    ('Amount > ""', "CB_VA01", "Amount"),
    ('Amount in (1, "x")', "CB_VA01", "Amount"),
    ('$id = "abc"', "CB_VA01", "$id"),
    ('Qty > "many"', "CB_VA01", "Qty"),
    ('Close = "2024-02-30"', "CB_VA01", "Close"),
    ('Close = "yesterday"', "CB_VA01", "Close"),
    ('Close = "2024-03-01T00:00:00Z"', "CB_VA01", "Close"),
    ('Close > ""', "CB_VA01", "Close"),
    ('Meeting = "2024-13-01T00:00:00Z"', "CB_VA01", "Meeting"),
    ('Meeting = "soon"', "CB_VA01", "Meeting"),
    ('Start = "25:00"', "CB_VA01", "Start"),
    ('Start = "9"', "CB_VA01", "Start"),
    ("limit 501", "GAIA_QU01", "500"),
    ("offset 10001", "GAIA_QU02", "10,000"),
    ("order by Tags", "GAIA_IQ03", "Tags"),
    ("order by Regions", "GAIA_IQ03", "Regions"),
    ("order by Owner", "GAIA_IQ03", "Owner"),
    ("order by Team", "GAIA_IQ03", "Team"),
    ("order by Groups", "GAIA_IQ03", "Groups"),
    ("order by Attachments", "GAIA_IQ03", "Attachments"),
    ("order by Categories", "GAIA_IQ03", "Categories"),
    ("order by Assignee", "GAIA_IQ03", "Assignee"),
    ("order by Items", "GAIA_IQ03", "Items"),
    ("order by Qty desc", "GAIA_IQ03", "Qty"),
    ("order by Tickets", "GAIA_IQ03", "Tickets"),
    ("order by Tickets.Severity", "GAIA_IQ03", "Tickets.Severity"),
    ("order by Amount, Tags", "GAIA_IQ03", "Tags"),
]


@pytest.mark.parametrize(("query", "code", "mentions"), ERRORS, ids=[q for q, _, _ in ERRORS])
def test_refused_queries(conn: sqlite3.Connection, query: str, code: str, mentions: str) -> None:
    error = _error(conn, query)
    assert (error.status, error.code) == (400, code)
    text = error.message + " ".join(str(m) for v in (error.errors or {}).values() for m in v["messages"])
    assert mentions in text


def test_validation_errors_carry_the_detail_under_query(conn: sqlite3.Connection) -> None:
    error = _error(conn, 'Amount > "abc"')
    assert error.message == "Missing or invalid input."
    assert error.errors is not None
    assert "not a number" in error.errors["query"]["messages"][0]


def test_limits_at_the_maximum_are_accepted(conn: sqlite3.Connection) -> None:
    assert run(conn, "limit 500 offset 10000") == []
    assert len(run(conn, "limit 500")) == 6


def test_negative_limit_or_offset_is_invalid_input(conn: sqlite3.Connection) -> None:
    # The parser never produces these; a hand-built tree can.
    assert _error(conn, Query(limit=-1)).code == "CB_VA01"
    assert _error(conn, Query(offset=-5)).code == "CB_VA01"


def test_related_records_need_the_related_apps_fields(conn: sqlite3.Connection) -> None:
    ctx = QueryContext("sato", None, TOKYO, NOW)  # no related_fields resolver
    error = _error(conn, 'Tickets.Kind in ("Bug")', ctx=ctx)
    assert error.code == "GAIA_IQ11"
    assert "Tickets" in error.message


def test_strict_mode_refuses_unconfirmed_operators(conn: sqlite3.Connection) -> None:
    for query in ("Title is empty", "Url is not empty", "Close is empty", "Start is empty", "Meeting is empty"):
        assert _error(conn, query, lenient=False).code == "GAIA_IQ03", query
        assert isinstance(run(conn, query), list)


# Function arguments the parser already refuses, built by hand to prove the compiler refuses them too (the client
# and the core may build trees without the parser).
BAD_FUNCTIONS: list[tuple[str, FuncCall, str]] = [
    ("Close", FuncCall("THIS_MONTH", ("32",)), "GAIA_IQ23"),
    ("Close", FuncCall("THIS_MONTH", ("0",)), "GAIA_IQ23"),
    ("Close", FuncCall("NEXT_MONTH", ("FIRST",)), "GAIA_IQ23"),
    ("Close", FuncCall("FROM_TODAY", ("1", "HOURS")), "GAIA_IQ25"),
    ("Close", FuncCall("THIS_WEEK", ("FUNDAY",)), "GAIA_IQ25"),
    ("Close", FuncCall("FROM_TODAY", ("1",)), "GAIA_IL08"),
    ("Close", FuncCall("FROM_TODAY", ("x", "DAYS")), "GAIA_IL08"),
    ("Close", FuncCall("FROM_TODAY", ("99999999", "YEARS")), "GAIA_IL08"),
    ("Close", FuncCall("TODAY", ("1",)), "GAIA_IL08"),
    ("Close", FuncCall("THIS_YEAR", ("2024",)), "GAIA_IL08"),
    ("Close", FuncCall("THIS_WEEK", ("MONDAY", "FRIDAY")), "GAIA_IL08"),
    ("Close", FuncCall("BOGUS"), "GAIA_IL08"),
    ("Meeting", FuncCall("NOW", ("1",)), "GAIA_IL08"),
    ("Owner", FuncCall("LOGINUSER", ("sato",)), "GAIA_IL08"),
    ("Team", FuncCall("PRIMARY_ORGANIZATION", ("x",)), "GAIA_IL08"),
]


@pytest.mark.parametrize(("code", "call", "error_code"), BAD_FUNCTIONS, ids=[repr(c) for _, c, _ in BAD_FUNCTIONS])
def test_bad_function_arguments(conn: sqlite3.Connection, code: str, call: FuncCall, error_code: str) -> None:
    op = Op.IN if FIELDS[code]["type"] in ("USER_SELECT", "ORGANIZATION_SELECT") else Op.EQ
    error = _error(conn, Query(where=Condition(FieldRef(code), op, (call,))))
    assert error.code == error_code
    assert call.name in error.message


def test_field_codes_that_cannot_be_quoted_in_a_json_path_are_refused() -> None:
    assert json_path("顧客名") == "'$.\"顧客名\"'"
    assert json_path("it's") == "'$.\"it''s\"'"
    for code in ('a"b', "a\\b", "a\nb"):
        with pytest.raises(ValueError, match="JSON path"):
            json_path(code)


# ----------------------------------------------------------------------------------------------------------------
# The operator table, type by type. One field per type, and a value each operator can take.

FIELD_OF_TYPE: dict[str, str] = {
    "__ID__": "$id",
    "__REVISION__": "$revision",
    "RECORD_NUMBER": "Record_number",
    "NUMBER": "Amount",
    "CALC": "Total",
    "SINGLE_LINE_TEXT": "Title",
    "LINK": "Url",
    "MULTI_LINE_TEXT": "Notes",
    "RICH_TEXT": "Body",
    "CHECK_BOX": "Tags",
    "RADIO_BUTTON": "Priority",
    "DROP_DOWN": "Stage",
    "MULTI_SELECT": "Regions",
    "DATE": "Close",
    "TIME": "Start",
    "DATETIME": "Meeting",
    "CREATED_TIME": "Created_datetime",
    "UPDATED_TIME": "Updated_datetime",
    "USER_SELECT": "Owner",
    "ORGANIZATION_SELECT": "Team",
    "GROUP_SELECT": "Groups",
    "CREATOR": "Created_by",
    "MODIFIER": "Updated_by",
    "STATUS_ASSIGNEE": "Assignee",
    "STATUS": "Status",
    "FILE": "Attachments",
    "CATEGORY": "Categories",
    "SUBTABLE": "Items",
    "REFERENCE_TABLE": "Tickets",
    "LABEL": "Explain",
    "GROUP": "Section",
}

SAMPLE_VALUE: dict[str, Value] = {
    "__ID__": NumberLit("3"),
    "__REVISION__": NumberLit("3"),
    "RECORD_NUMBER": NumberLit("3"),
    "NUMBER": NumberLit("100"),
    "CALC": NumberLit("100"),
    "CHECK_BOX": StringLit("A"),
    "RADIO_BUTTON": StringLit("High"),
    "DROP_DOWN": StringLit("Won"),
    "MULTI_SELECT": StringLit("East"),
    "DATE": StringLit("2024-03-01"),
    "TIME": StringLit("09:00"),
    "DATETIME": StringLit("2024-03-01T00:00:00Z"),
    "CREATED_TIME": FuncCall("THIS_MONTH"),
    "UPDATED_TIME": FuncCall("TODAY"),
    "USER_SELECT": FuncCall("LOGINUSER"),
    "CREATOR": StringLit("sato"),
    "MODIFIER": StringLit("sato"),
    "STATUS_ASSIGNEE": StringLit("sato"),
    "ORGANIZATION_SELECT": StringLit("sales"),
    "GROUP_SELECT": StringLit("managers"),
    "STATUS": StringLit("Open"),
}


def _condition(code: str, field_type: str, op: Op) -> Condition:
    if op in (Op.IS_EMPTY, Op.IS_NOT_EMPTY):
        return Condition(FieldRef(code), op)
    value = SAMPLE_VALUE.get(field_type, StringLit("a"))
    values: tuple[Value, ...] = (value, value) if op in (Op.IN, Op.NOT_IN) else (value,)
    return Condition(FieldRef(code), op, values)


OPERATOR_MATRIX = [(field_type, code, op) for field_type, code in FIELD_OF_TYPE.items() for op in Op]


@pytest.mark.parametrize(
    ("field_type", "code", "op"), OPERATOR_MATRIX, ids=[f"{t}-{o.value}" for t, _, o in OPERATOR_MATRIX]
)
def test_operator_table(conn: sqlite3.Connection, field_type: str, code: str, op: Op) -> None:
    query = Query(where=_condition(code, field_type, op))
    allowed = OPERATORS_BY_TYPE.get(field_type, frozenset())
    uncertain = UNCERTAIN_OPERATORS_BY_TYPE.get(field_type, frozenset())
    if op in allowed:
        assert isinstance(run(conn, query, lenient=False), list)
    elif op in uncertain:
        assert isinstance(run(conn, query, lenient=True), list)
        assert _error(conn, query, lenient=False).code == "GAIA_IQ03"
    else:
        assert _error(conn, query).code == "GAIA_IQ03"


INNER_OF_TYPE = {
    "SINGLE_LINE_TEXT": "Product",
    "NUMBER": "Qty",
    "DROP_DOWN": "Kind",
    "DATE": "Shipped",
    "MULTI_LINE_TEXT": "Memo",
}
INNER_SAMPLE: dict[str, Value] = {"DROP_DOWN": StringLit("Hardware"), "NUMBER": NumberLit("3")}
INNER_MATRIX = [(field_type, code, op) for field_type, code in INNER_OF_TYPE.items() for op in Op]


@pytest.mark.parametrize(("field_type", "code", "op"), INNER_MATRIX, ids=[f"{t}-{o.value}" for t, _, o in INNER_MATRIX])
def test_operator_table_inside_a_table(conn: sqlite3.Connection, field_type: str, code: str, op: Op) -> None:
    if op in (Op.IS_EMPTY, Op.IS_NOT_EMPTY):
        cond = Condition(FieldRef(code), op)
    else:
        value = INNER_SAMPLE.get(field_type, SAMPLE_VALUE.get(field_type, StringLit("a")))
        cond = Condition(FieldRef(code), op, (value,))
    query = Query(where=cond)
    top_level = OPERATORS_BY_TYPE[field_type] | UNCERTAIN_OPERATORS_BY_TYPE.get(field_type, frozenset())
    if op in (Op.EQ, Op.NE) and op in top_level:
        assert _error(conn, query).code == "GAIA_IQ07"
    elif op in top_level or (op in (Op.IN, Op.NOT_IN) and top_level & {Op.EQ, Op.NE}):
        assert isinstance(run(conn, query), list)
    else:
        assert _error(conn, query).code == "GAIA_IQ03"


def test_unsortable_and_sortable_types() -> None:
    ctx = context()
    sortable = set()
    for field_type, code in FIELD_OF_TYPE.items():
        try:
            compile_query(Query(order_by=(OrderKey(FieldRef(code)),)), FIELDS, ctx)
        except ErrorReply as error:
            assert error.code == "GAIA_IQ03"
        else:
            sortable.add(field_type)
    assert sortable == {
        "__ID__", "__REVISION__", "RECORD_NUMBER", "NUMBER", "CALC", "SINGLE_LINE_TEXT", "LINK", "MULTI_LINE_TEXT",
        "RICH_TEXT", "RADIO_BUTTON", "DROP_DOWN", "DATE", "TIME", "DATETIME", "CREATED_TIME", "UPDATED_TIME",
        "CREATOR", "MODIFIER", "STATUS",
    }  # fmt: skip


def test_a_broken_related_records_filter_is_reported(conn: sqlite3.Connection) -> None:
    broken = dict(FIELDS)
    settings = dict(broken["SevereTickets"]["referenceTable"], filterCond="Severity >>> 2")
    broken["SevereTickets"] = {**broken["SevereTickets"], "referenceTable": settings}
    error = _error(conn, 'SevereTickets.Kind in ("Bug")', fields=broken)
    assert error.code == "CB_VA01"
    assert error.errors is not None
    assert "SevereTickets" in error.errors["query"]["messages"][0]
