"""Field validation and normalisation on write, one table row per case (docs/kintone-api.md §5)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sandbox_api import Api, assert_error, client_for, create_app, error_keys

from kintone_mcp.sandbox import Sandbox, SandboxConfig

pytestmark = pytest.mark.anyio

OPTIONS = {
    "Red": {"label": "Red", "index": "0"},
    "Green": {"label": "Green", "index": "1"},
    "Blue": {"label": "Blue", "index": "2"},
}

PROPERTIES: dict[str, Any] = {
    "text": {"type": "SINGLE_LINE_TEXT", "minLength": "2", "maxLength": "5"},
    "must": {"type": "SINGLE_LINE_TEXT", "required": True, "defaultValue": "filled"},
    "uniq": {"type": "SINGLE_LINE_TEXT", "unique": True},
    "memo": {"type": "MULTI_LINE_TEXT"},
    "rich": {"type": "RICH_TEXT"},
    "link": {"type": "LINK", "maxLength": "10"},
    "num": {"type": "NUMBER", "minValue": "-10", "maxValue": "100.5"},
    "checks": {"type": "CHECK_BOX", "options": OPTIONS},
    "multi": {"type": "MULTI_SELECT", "options": OPTIONS},
    "radio": {"type": "RADIO_BUTTON", "options": OPTIONS, "defaultValue": "Green"},
    "drop": {"type": "DROP_DOWN", "options": OPTIONS},
    "day": {"type": "DATE"},
    "clock": {"type": "TIME"},
    "moment": {"type": "DATETIME"},
    "people": {"type": "USER_SELECT"},
    "orgs": {"type": "ORGANIZATION_SELECT"},
    "teams": {"type": "GROUP_SELECT"},
    "files": {"type": "FILE"},
}

# (field, written value, stored value as read back)
ACCEPTED: list[tuple[str, Any, Any]] = [
    ("text", "abc", "abc"),
    ("text", "", ""),
    ("text", 42, "42"),
    ("memo", "line 1\nline 2", "line 1\nline 2"),
    ("rich", "<b>bold</b>", "<b>bold</b>"),
    ("link", "http://x", "http://x"),
    ("num", "15", "15"),
    ("num", 12.5, "12.5"),
    ("num", " 1.5e1 ", "15"),
    ("num", "-0.50", "-0.5"),
    ("num", "+3", "3"),
    ("num", "", ""),
    ("num", None, ""),
    ("num", "100.5", "100.5"),
    ("checks", ["Blue", "Red"], ["Red", "Blue"]),  # option order, as Kintone stores them
    ("checks", [], []),
    ("multi", ["Green"], ["Green"]),
    ("radio", "Blue", "Blue"),
    ("drop", "Red", "Red"),
    ("drop", "", None),
    ("drop", None, None),
    ("day", "2024-02-29", "2024-02-29"),
    ("day", None, None),
    ("clock", "09:30", "09:30"),
    ("clock", "23:59:58", "23:59"),
    ("moment", "2024-05-01T10:20:30Z", "2024-05-01T10:20:00Z"),
    ("moment", "2024-05-01T10:20:30+09:00", "2024-05-01T01:20:00Z"),
    ("moment", "2024-05-01T00:10:00-05:30", "2024-05-01T05:40:00Z"),
    ("moment", "2024-05-01T10:20:30.123Z", "2024-05-01T10:20:00Z"),
    ("moment", "2024-05-01T10:20", "2024-05-01T10:20:00Z"),  # no offset: read as UTC
    ("moment", "", None),
    ("people", [{"code": "sato"}, {"code": "sato"}], [{"code": "sato", "name": "Sato Haruto"}]),
    ("orgs", [{"code": "sales"}], [{"code": "sales", "name": "Sales"}]),
    ("teams", [{"code": "managers"}], [{"code": "managers", "name": "Managers"}]),
    ("files", [], []),
]

# (field, written value, error key suffix after "record.", message)
REJECTED: list[tuple[str, Any, str, str]] = [
    ("text", "abcdef", "text.value", "Enter less than 6 characters."),
    ("text", "a", "text.value", "Enter more than 1 characters."),
    ("must", "", "must.value", "Required."),
    ("must", None, "must.value", "Required."),
    ("must", "   ", "must.value", "Required."),
    ("link", "http://toolong", "link.value", "Enter less than 11 characters."),
    ("text", ["x"], "text.value", "Enter text."),
    # Kintone keys this one error with brackets (measured).
    ("num", "abc", "[num].value", "Only numbers are allowed."),
    ("num", "1,000", "[num].value", "Only numbers are allowed."),
    ("num", True, "[num].value", "Only numbers are allowed."),
    ("num", "-11", "num.value", "The value must be -10 or more."),
    ("num", "100.51", "num.value", "The value must be 100.5 or less."),
    ("checks", ["Purple"], "checks.values[0].value", 'The value, "Purple", is not in options.'),
    ("checks", "Red", "checks.value", "Specify a list of option labels."),
    ("multi", ["Red", "Nope"], "multi.values[1].value", 'The value, "Nope", is not in options.'),
    ("radio", "Nope", "radio.value", 'The value, "Nope", is not in options.'),
    ("drop", "red", "drop.value", 'The value, "red", is not in options.'),
    ("day", "2023-02-29", "day.value", "Invalid value '2023-02-29': enter it in the format YYYY-MM-DD."),
    ("day", "2024/01/01", "day.value", "Invalid value '2024/01/01': enter it in the format YYYY-MM-DD."),
    ("clock", "24:00", "clock.value", "Invalid value '24:00': enter it in the format HH:MM."),
    ("people", "sato", "people.value", 'Specify a list of objects such as [{"code": "sato"}].'),
    ("people", [{"name": "x"}], "people.value[0].code", 'Specify each entry as {"code": "..."}.'),
    (
        "files",
        [{"fileKey": "nope"}],
        "files.value",
        "File 1: unknown file key 'nope'. Upload the file with POST file.json and use the fileKey it returns (once, "
        "within the retention period), or keep a fileKey read from this app's record.",
    ),
]


@pytest.fixture
async def typed() -> AsyncIterator[tuple[Api, int]]:
    sb = Sandbox(SandboxConfig(demo=True))
    async with client_for(sb) as client:
        api = Api(client)
        app = await create_app(api, "Types", PROPERTIES)
        yield api, app


@pytest.mark.parametrize(("code", "written", "stored"), ACCEPTED)
async def test_accepted_values(typed: tuple[Api, int], code: str, written: Any, stored: Any) -> None:
    api, app = typed
    created = await api.ok("POST", "record.json", {"app": app, "record": {code: {"value": written}}})
    record = (await api.ok("GET", "record.json", params={"app": app, "id": created["id"]}))["record"]
    assert record[code] == {"type": PROPERTIES[code]["type"], "value": stored}
    # The same value is accepted by update, too.
    await api.ok("PUT", "record.json", {"app": app, "id": created["id"], "record": {code: {"value": written}}})
    record = (await api.ok("GET", "record.json", params={"app": app, "id": created["id"]}))["record"]
    assert record[code]["value"] == stored


@pytest.mark.parametrize(("code", "written", "key", "message"), REJECTED)
async def test_rejected_values(typed: tuple[Api, int], code: str, written: Any, key: str, message: str) -> None:
    api, app = typed
    dot = "" if key.startswith("[") else "."
    added = await api.post("record.json", {"app": app, "record": {code: {"value": written}}})
    assert error_keys(added) == {f"record{dot}{key}": [message]}
    bulk = await api.post("records.json", {"app": app, "records": [{}, {code: {"value": written}}]})
    assert error_keys(bulk) == {f"records[1]{dot}{key}": [message]}
    existing = await api.ok("POST", "record.json", {"app": app, "record": {}})
    updated = await api.put(
        "records.json", {"app": app, "records": [{"id": existing["id"], "record": {code: {"value": written}}}]}
    )
    # Bulk updates address the record object inside each item.
    assert error_keys(updated) == {f"records[0].record{dot}{key}": [message]}


async def test_defaults_on_add_only(typed: tuple[Api, int]) -> None:
    api, app = typed
    created = await api.ok("POST", "record.json", {"app": app, "record": {}})
    record = (await api.ok("GET", "record.json", params={"app": app, "id": created["id"]}))["record"]
    assert record["must"]["value"] == "filled" and record["radio"]["value"] == "Green"
    assert record["drop"]["value"] is None and record["checks"]["value"] == [] and record["num"]["value"] == ""
    # Update leaves omitted fields alone rather than re-applying defaults.
    await api.ok("PUT", "record.json", {"app": app, "id": created["id"], "record": {"radio": {"value": "Red"}}})
    record = (await api.ok("GET", "record.json", params={"app": app, "id": created["id"]}))["record"]
    assert record["radio"]["value"] == "Red" and record["must"]["value"] == "filled"


async def test_unknown_entity_codes_have_their_own_codes(typed: tuple[Api, int]) -> None:
    api, app = typed
    for code, value, expected in (
        ("people", "ghost", "GAIA_IL26"),
        ("teams", "ghosts", "GAIA_IL27"),
        ("orgs", "ghost-org", "GAIA_IL28"),
    ):
        resp = await api.post("record.json", {"app": app, "record": {code: {"value": [{"code": value}]}}})
        body = assert_error(resp, 400, expected)
        assert value in body["message"]


async def test_unique_ignores_empty_values(typed: tuple[Api, int]) -> None:
    api, app = typed
    await api.ok("POST", "records.json", {"app": app, "records": [{"uniq": {"value": ""}}, {"uniq": {"value": ""}}]})
    await api.ok("POST", "record.json", {"app": app, "record": {"uniq": {"value": "one"}}})
    dup = await api.post("record.json", {"app": app, "record": {"uniq": {"value": "one"}}})
    assert error_keys(dup) == {"record.uniq.value": ["This value already exists in another record."]}


async def test_all_errors_of_a_record_are_reported_together(typed: tuple[Api, int]) -> None:
    api, app = typed
    resp = await api.post(
        "record.json", {"app": app, "record": {"must": {"value": ""}, "num": {"value": "x"}, "drop": {"value": "no"}}}
    )
    assert set(error_keys(resp)) == {"record.must.value", "record[num].value", "record.drop.value"}


async def test_japanese_accept_language_localises_messages(typed: tuple[Api, int]) -> None:
    api, app = typed
    resp = await api.post(
        "record.json", {"app": app, "record": {"must": {"value": ""}}}, headers={"Accept-Language": "ja"}
    )
    body = assert_error(resp, 400, "CB_VA01")
    assert body["errors"]["record.must.value"]["messages"] == ["必須です。"]
    assert body["message"] != "Missing or invalid input."
