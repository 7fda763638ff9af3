"""Japanese error answers (Accept-Language: ja) name what went wrong, as the English ones do.

The top-level ``message`` is filled from ``ErrorReply.params`` (the record id, the field, the value …); the
per-field sentences in ``errors`` carry their numbers and values over. English answers keep the sandbox's own,
more detailed text.
"""

from __future__ import annotations

from typing import Any

import pytest
from sandbox_api import Api, assert_error, create_app, password_headers, token_headers

from kintone_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio

JA = {"Accept-Language": "ja"}


def _messages(body: dict[str, Any]) -> dict[str, list[str]]:
    return {key: detail["messages"] for key, detail in body.get("errors", {}).items()}


async def test_unknown_app_and_record_name_their_ids(demo_api: Api) -> None:
    app = assert_error(await demo_api.get("app.json", {"id": 999}, headers=JA), 404, "GAIA_AP01")
    assert app["message"] == "指定したアプリ（id: 999）が見つかりません。削除されている可能性があります。"
    record = assert_error(await demo_api.get("record.json", {"app": 2, "id": 4242}, headers=JA), 404, "GAIA_RE01")
    assert record["message"] == "指定したレコード（id: 4242）が見つかりません。"
    # The same ids reach an update and a delete that name a missing record.
    updated = await demo_api.put("record.json", {"app": 2, "id": 777, "record": {}}, headers=JA)
    assert assert_error(updated, 404, "GAIA_RE01")["message"] == "指定したレコード（id: 777）が見つかりません。"
    english = assert_error(await demo_api.get("record.json", {"app": 2, "id": 4242}), 404, "GAIA_RE01")
    assert "4242" in english["message"] and "app 2" in english["message"]


@pytest.mark.parametrize(
    ("query", "code", "message"),
    [
        ('nope = "x"', "GAIA_IQ11", "クエリに指定されたフィールド「nope」は存在しません。"),
        ('stage in ("Nope")', "GAIA_IQ10", "「Nope」はフィールド「stage」の選択肢にありません。"),
        ('notes = "x"', "GAIA_IQ03", "フィールド「notes」には演算子「=」を使用できません。"),
        (
            'product = "x"',
            "GAIA_IQ07",
            "フィールド「product」はテーブル内のフィールドのため、= と != を使用できません。",
        ),
        (
            'title.x = "a"',
            "GAIA_IR02",
            "「title.x」: クエリでドット記法を使用できるのは、関連レコード一覧のフィールドだけです。",
        ),
        ("order by nope", "GAIA_IQ11", "クエリに指定されたフィールド「nope」は存在しません。"),
        ("close_date = LOGINUSER()", "GAIA_IL08", "クエリの関数 LOGINUSER() の引数が正しくありません。"),
        ("limit 501", "GAIA_QU01", "（指定値: 501）"),
        ("offset 10001", "GAIA_QU02", "（指定値: 10001）"),
    ],
)
async def test_query_errors_name_the_field(demo_api: Api, query: str, code: str, message: str) -> None:
    resp = await demo_api.get("records.json", {"app": 2, "query": query}, headers=JA)
    assert message in assert_error(resp, 400, code)["message"]


async def test_the_cursor_answers_query_errors_in_japanese_too(demo_api: Api) -> None:
    resp = await demo_api.post("records/cursor.json", {"app": 2, "query": 'nope = "x"'}, headers=JA)
    assert "「nope」" in assert_error(resp, 400, "GAIA_IQ11")["message"]


async def test_update_key_and_revision_errors(demo_api: Api) -> None:
    missing = await demo_api.put(
        "record.json",
        {"app": 1, "updateKey": {"field": "customer_code", "value": "C-NONE"}, "record": {}},
        headers=JA,
    )
    body = assert_error(missing, 400, "GAIA_RE20")
    assert body["message"] == "updateKeyに指定されたフィールド「customer_code」の値が「C-NONE」のレコードがありません。"
    stale = await demo_api.put("record.json", {"app": 2, "id": 3, "revision": 99, "record": {}}, headers=JA)
    assert assert_error(stale, 409, "GAIA_CO02")["message"].startswith(
        "レコード（ID: 3）のリビジョンが最新ではありません。"
    )


async def test_lookup_miss_names_the_field_and_value(demo_api: Api) -> None:
    resp = await demo_api.post(
        "record.json", {"app": 2, "record": {"title": {"value": "x"}, "customer_code": {"value": "C-NOPE"}}}, headers=JA
    )
    body = assert_error(resp, 400, "GAIA_LO04")
    assert body["message"] == (
        "フィールド「customer_code」の値「C-NOPE」が、ルックアップの参照先のフィールドにないか、"
        "またはアプリやフィールドの閲覧権限がありません。"
    )


async def test_unknown_users_and_tokens_for_one_app(demo_api: Api, demo_sandbox: Sandbox) -> None:
    resp = await demo_api.post(
        "record.json",
        {"app": 2, "record": {"title": {"value": "x"}, "owner": {"value": [{"code": "ghost"}]}}},
        headers=JA,
    )
    assert assert_error(resp, 400, "GAIA_IL26")["message"] == "ユーザー「ghost」は存在しません。"
    demo_sandbox.add_api_token(2, "second-token-for-deals")
    twice = demo_api.as_(token_headers(demo_sandbox.demo_tokens[2], "second-token-for-deals"))
    body = assert_error(await twice.get("app.json", {"id": 2}, headers=JA), 400, "GAIA_DA03")
    assert "（ID: 2）" in body["message"]


async def test_guest_space_app_on_the_normal_path(demo_api: Api) -> None:
    body = assert_error(await demo_api.get("app.json", {"id": 4}, headers=JA), 400, "GAIA_IL23")
    assert "/k/guest/2/v1/" in body["message"]


async def test_field_messages_carry_their_numbers_and_values(demo_api: Api) -> None:
    app = await create_app(
        demo_api,
        "Limits",
        {
            "text": {"type": "SINGLE_LINE_TEXT", "maxLength": "5", "minLength": "2"},
            "short": {"type": "SINGLE_LINE_TEXT", "minLength": "3"},
            "num": {"type": "NUMBER", "minValue": "10", "maxValue": "100"},
            "low": {"type": "NUMBER", "minValue": "10"},
            "drop": {"type": "DROP_DOWN", "options": {"A": {"label": "A", "index": "0"}}},
            "checks": {"type": "CHECK_BOX", "options": {"A": {"label": "A", "index": "0"}}},
            "key": {"type": "SINGLE_LINE_TEXT", "unique": True},
        },
    )
    await demo_api.ok("POST", "record.json", {"app": app, "record": {"key": {"value": "taken"}}})
    resp = await demo_api.post(
        "record.json",
        {
            "app": app,
            "record": {
                "text": {"value": "toolong"},
                "short": {"value": "ab"},
                "num": {"value": "150"},
                "low": {"value": "5"},
                "drop": {"value": "Z"},
                "checks": {"value": ["A", "Q"]},
                "key": {"value": "taken"},
            },
        },
        headers=JA,
    )
    body = assert_error(resp, 400, "CB_VA01")
    assert body["message"] == "入力内容が正しくありません。"
    assert _messages(body) == {
        "record.text.value": ["6文字より短くなければなりません。"],
        "record.short.value": ["2文字より長くなければなりません。"],
        "record.num.value": ["100以下である必要があります。"],
        "record.low.value": ["10以上である必要があります。"],
        "record.drop.value": ['"Z"は選択肢にありません。'],
        "record.checks.values[1].value": ['"Q"は選択肢にありません。'],
        "record.key.value": ["値がほかのレコードと重複しています。"],
    }


async def test_write_limits_in_japanese(demo_api: Api) -> None:
    too_many = [{"title": {"value": str(i)}} for i in range(101)]
    added = await demo_api.post("records.json", {"app": 2, "records": too_many}, headers=JA)
    assert _messages(assert_error(added, 400, "CB_VA01")) == {"records": ["一度に100件までのレコードを追加できます。"]}
    updates = [{"id": i + 1, "record": {}} for i in range(101)]
    updated = await demo_api.put("records.json", {"app": 2, "records": updates}, headers=JA)
    assert _messages(assert_error(updated, 400, "CB_VA01")) == {
        "records": ["一度に100件までのレコードを更新できます。"]
    }
    missing = await demo_api.get("record.json", {"app": 2}, headers=JA)
    assert _messages(assert_error(missing, 400, "CB_VA01")) == {"id": ["必須です。"]}


async def test_a_failed_bulk_request_answers_in_japanese(demo_api: Api) -> None:
    resp = await demo_api.post(
        "bulkRequest.json",
        {
            "requests": [
                {
                    "method": "POST",
                    "api": "/k/v1/record.json",
                    "payload": {"app": 2, "record": {"title": {"value": "a"}}},
                },
                {"method": "PUT", "api": "/k/v1/record.json", "payload": {"app": 2, "id": 9999, "record": {}}},
            ]
        },
        headers=JA,
    )
    assert resp.status_code == 404
    results = resp.json()["results"]
    assert results[0] == {} and results[1]["message"] == "指定したレコード（id: 9999）が見つかりません。"


async def test_a_users_language_setting_beats_accept_language(demo_api: Api, demo_sandbox: Sandbox) -> None:
    await demo_api.ok("PUT", "/v1/users.json", {"users": [{"code": "sato", "locale": "ja"}]})
    sato = demo_api.as_(password_headers("sato"))
    for headers in ({}, {"Accept-Language": "en"}):
        body = assert_error(await sato.get("record.json", {"app": 2, "id": 4242}, headers=headers), 404, "GAIA_RE01")
        assert body["message"] == "指定したレコード（id: 4242）が見つかりません。"
    # "auto", the default, follows the header; and tokens follow the header too.
    await demo_api.ok("PUT", "/v1/users.json", {"users": [{"code": "sato", "locale": "auto"}]})
    english = assert_error(await sato.get("record.json", {"app": 2, "id": 4242}), 404, "GAIA_RE01")
    assert "4242" in english["message"] and english["message"].isascii()
    await demo_api.ok("PUT", "/v1/users.json", {"users": [{"code": "Administrator", "locale": "ja"}]})
    token = demo_api.as_(token_headers(demo_sandbox.demo_tokens[2]))
    assert assert_error(await token.get("record.json", {"app": 2, "id": 4242}), 404, "GAIA_RE01")["message"].isascii()
    # Before the caller is known (no or wrong credentials) only the header can decide.
    anonymous = await demo_api.as_({}).get("record.json", {"app": 2, "id": 1}, headers=JA)
    assert assert_error(anonymous, 401, "CB_AU01")["message"] == "ログインしてください。"
