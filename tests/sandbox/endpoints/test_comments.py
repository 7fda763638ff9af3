"""Record comments through HTTP in process: posting, paging both ways, mentions, deleting, permissions, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx2
import pytest
from files_comments_helpers import (
    Clock,
    assert_error,
    client,
    create_app,
    error_messages,
    make_sandbox,
    ok,
    password,
    token,
)

from kintone_mcp.sandbox import Sandbox, SandboxConfig

pytestmark = pytest.mark.anyio

CUSTOMERS = 1  # demo app


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sandbox(clock: Clock) -> Iterator[Sandbox]:
    sb = make_sandbox(clock)
    yield sb
    sb.close()


@pytest.fixture
async def http(sandbox: Sandbox) -> AsyncIterator[httpx2.AsyncClient]:
    async with client(sandbox) as c:
        yield c


async def post(
    http: httpx2.AsyncClient, record: int, text: str, app: int = CUSTOMERS, mentions: list[dict[str, str]] | None = None
) -> httpx2.Response:
    comment: dict[str, Any] = {"text": text}
    if mentions is not None:
        comment["mentions"] = mentions
    return await http.post("/k/v1/record/comment.json", json={"app": app, "record": record, "comment": comment})


async def page(http: httpx2.AsyncClient, record: int, app: int = CUSTOMERS, **params: Any) -> dict[str, Any]:
    body: dict[str, Any] = ok(
        await http.get("/k/v1/record/comments.json", params={"app": app, "record": record, **params})
    )
    return body


def ids(body: dict[str, Any]) -> list[int]:
    return [int(c["id"]) for c in body["comments"]]


async def test_post_and_read_a_comment(http: httpx2.AsyncClient, clock: Clock) -> None:
    resp = await post(http, 1, "Called the customer.\nThey will reply tomorrow.")
    assert ok(resp) == {"id": "1"}
    body = await page(http, 1)
    assert body == {
        "comments": [
            {
                "id": "1",
                "text": "Called the customer.\nThey will reply tomorrow.",
                "createdAt": clock.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "creator": {"code": "Administrator", "name": "Administrator"},
                "mentions": [],
            }
        ],
        "older": False,
        "newer": False,
    }


async def test_ids_count_per_record_and_are_not_reused(http: httpx2.AsyncClient) -> None:
    assert [ok(await post(http, 1, f"a{i}"))["id"] for i in range(3)] == ["1", "2", "3"]
    assert ok(await post(http, 2, "b0"))["id"] == "1"
    ok(await http.request("DELETE", "/k/v1/record/comment.json", json={"app": CUSTOMERS, "record": 1, "comment": 3}))
    assert ok(await post(http, 1, "a3"))["id"] == "4"
    assert ids(await page(http, 1)) == [4, 2, 1]


async def test_the_creator_is_the_caller_with_their_name(sandbox: Sandbox) -> None:
    async with client(sandbox, password("sato")) as sato:
        ok(await post(sato, 1, "from sato"))
        [comment] = (await page(sato, 1))["comments"]
    assert comment["creator"]["code"] == "sato"
    assert comment["creator"]["name"] not in ("", "sato")  # the demo user's display name


async def test_created_at_follows_the_sandbox_clock(http: httpx2.AsyncClient, clock: Clock) -> None:
    ok(await post(http, 1, "first"))
    clock.advance(timedelta(hours=5, seconds=7))
    ok(await post(http, 1, "second"))
    comments = (await page(http, 1, order="asc"))["comments"]
    assert [c["createdAt"] for c in comments] == [
        (clock.now - timedelta(hours=5, seconds=7)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        clock.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    ]


# -- paging ----------------------------------------------------------------------------------------------------------


@pytest.fixture
async def twenty_five(http: httpx2.AsyncClient) -> httpx2.AsyncClient:
    for i in range(1, 26):
        ok(await post(http, 1, f"comment {i}"))
    return http


@pytest.mark.parametrize(
    ("params", "expected", "older", "newer"),
    [
        ({}, list(range(25, 15, -1)), True, False),  # newest first by default
        ({"order": "desc", "offset": 10}, list(range(15, 5, -1)), True, True),
        ({"order": "desc", "offset": 20}, [5, 4, 3, 2, 1], False, True),
        ({"order": "desc", "offset": 15, "limit": 10}, [10, 9, 8, 7, 6, 5, 4, 3, 2, 1], False, True),
        ({"order": "desc", "offset": 14, "limit": 10}, list(range(11, 1, -1)), True, True),
        ({"order": "asc"}, list(range(1, 11)), False, True),
        ({"order": "asc", "offset": 10, "limit": 5}, [11, 12, 13, 14, 15], True, True),
        ({"order": "asc", "offset": 20}, [21, 22, 23, 24, 25], True, False),
        ({"order": "asc", "offset": 15, "limit": 10}, list(range(16, 26)), True, False),
        ({"order": "asc", "offset": 0, "limit": 1}, [1], False, True),
        ({"order": "desc", "limit": 1}, [25], True, False),
        ({"order": "desc", "offset": 25}, [], False, True),  # past the end: everything is newer
        ({"order": "asc", "offset": 40}, [], True, False),  # past the end: everything is older
        ({"order": "desc", "limit": 0}, [], True, False),
        ({"order": "asc", "limit": 0, "offset": 3}, [], True, True),
    ],
)
async def test_paging_flags_at_the_edges(
    twenty_five: httpx2.AsyncClient, params: dict[str, Any], expected: list[int], older: bool, newer: bool
) -> None:
    body = await page(twenty_five, 1, **params)
    assert ids(body) == expected
    assert (body["older"], body["newer"]) == (older, newer)


async def test_exactly_one_page_has_neither_flag(http: httpx2.AsyncClient) -> None:
    for i in range(10):
        ok(await post(http, 1, f"c{i}"))
    for order in ("asc", "desc"):
        body = await page(http, 1, order=order)
        assert len(body["comments"]) == 10
        assert (body["older"], body["newer"]) == (False, False)


async def test_a_record_without_comments(http: httpx2.AsyncClient) -> None:
    assert await page(http, 3) == {"comments": [], "older": False, "newer": False}


async def test_paging_parameters_in_a_json_body(twenty_five: httpx2.AsyncClient) -> None:
    resp = await twenty_five.request(
        "GET",
        "/k/v1/record/comments.json",
        json={"app": CUSTOMERS, "record": 1, "order": "asc", "offset": 2, "limit": 3},
    )
    assert ids(ok(resp)) == [3, 4, 5]


async def test_comments_stay_on_their_record(http: httpx2.AsyncClient) -> None:
    ok(await post(http, 1, "on one"))
    ok(await post(http, 2, "on two"))
    assert [c["text"] for c in (await page(http, 2))["comments"]] == ["on two"]


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"limit": 11}, "limit"),
        ({"limit": -1}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"order": "newest"}, "order"),
    ],
)
async def test_bad_paging_parameters(http: httpx2.AsyncClient, params: dict[str, Any], key: str) -> None:
    resp = await http.get("/k/v1/record/comments.json", params={"app": CUSTOMERS, "record": 1, **params})
    assert list(error_messages(resp)) == [key]


# -- mentions --------------------------------------------------------------------------------------------------------


async def test_mentions_of_each_type_are_kept_in_order(http: httpx2.AsyncClient) -> None:
    mentions = [
        {"code": "sato", "type": "USER"},
        {"code": "managers", "type": "GROUP"},
        {"code": "sales", "type": "ORGANIZATION"},
    ]
    ok(await post(http, 1, "please check", mentions=mentions))
    [comment] = (await page(http, 1))["comments"]
    assert comment["mentions"] == mentions
    assert comment["text"] == "please check"


async def test_a_mention_without_a_type_names_a_user(http: httpx2.AsyncClient) -> None:
    ok(await post(http, 1, "fyi", mentions=[{"code": "tanaka"}]))
    assert (await page(http, 1))["comments"][0]["mentions"] == [{"code": "tanaka", "type": "USER"}]


async def test_ten_mentions_are_allowed_eleven_are_not(http: httpx2.AsyncClient) -> None:
    users = ["sato", "suzuki", "tanaka", "takahashi", "watanabe", "Administrator"]
    ten = [{"code": u, "type": "USER"} for u in users] + [
        {"code": "managers", "type": "GROUP"},
        {"code": "everyone", "type": "GROUP"},
        {"code": "sales", "type": "ORGANIZATION"},
        {"code": "support", "type": "ORGANIZATION"},
    ]
    ok(await post(http, 1, "all hands", mentions=ten))
    resp = await post(http, 1, "too many", mentions=[*ten, {"code": "engineering", "type": "ORGANIZATION"}])
    [message] = error_messages(resp)["comment.mentions"]
    assert "at most 10" in message


@pytest.mark.parametrize(
    ("mention", "status", "code", "key"),
    [
        ({"code": "nobody", "type": "USER"}, 400, "GAIA_IL26", "comment.mentions[0].code"),
        ({"code": "nobody", "type": "GROUP"}, 400, "GAIA_IL27", "comment.mentions[0].code"),
        ({"code": "nobody", "type": "ORGANIZATION"}, 400, "GAIA_IL28", "comment.mentions[0].code"),
        ({"code": "sato", "type": "TEAM"}, 400, "CB_VA01", "comment.mentions[0].type"),
        ({"code": "", "type": "USER"}, 400, "CB_VA01", "comment.mentions[0].code"),
        ({"type": "USER"}, 400, "CB_VA01", "comment.mentions[0].code"),
        # An existing code of the wrong kind: "sales" is an organisation, not a user.
        ({"code": "sales", "type": "USER"}, 400, "GAIA_IL26", "comment.mentions[0].code"),
    ],
)
async def test_bad_mentions(
    http: httpx2.AsyncClient, mention: dict[str, str], status: int, code: str, key: str
) -> None:
    body = assert_error(await post(http, 1, "hi", mentions=[mention]), status, code)
    assert list(body["errors"]) == [key]
    assert (await page(http, 1))["comments"] == []


async def test_mentions_must_be_a_list_of_objects(http: httpx2.AsyncClient) -> None:
    resp = await http.post(
        "/k/v1/record/comment.json",
        json={"app": CUSTOMERS, "record": 1, "comment": {"text": "x", "mentions": {"code": "sato"}}},
    )
    assert list(error_messages(resp)) == ["comment.mentions"]
    resp = await http.post(
        "/k/v1/record/comment.json",
        json={"app": CUSTOMERS, "record": 1, "comment": {"text": "x", "mentions": ["sato"]}},
    )
    assert list(error_messages(resp)) == ["comment.mentions[0]"]


async def test_an_inactive_user_cannot_be_mentioned(sandbox: Sandbox, http: httpx2.AsyncClient) -> None:
    with sandbox.store.transaction() as conn:
        conn.execute("UPDATE users SET valid = 0 WHERE code = 'watanabe'")
    assert_error(await post(http, 1, "hi", mentions=[{"code": "watanabe", "type": "USER"}]), 400, "GAIA_IL26")


# -- text ------------------------------------------------------------------------------------------------------------


async def test_text_length_limit(http: httpx2.AsyncClient) -> None:
    longest = "あ" * 65_535
    ok(await post(http, 1, longest))
    assert (await page(http, 1))["comments"][0]["text"] == longest
    resp = await post(http, 1, longest + "a")
    assert error_messages(resp) == {"comment.text": ["Enter less than 65536 characters."]}


@pytest.mark.parametrize(
    ("comment", "key"),
    [
        ({"text": ""}, "comment.text"),
        ({}, "comment.text"),
        ({"text": 12}, "comment.text"),
        ({"text": None}, "comment.text"),
        ("just text", "comment"),
        (None, "comment"),
    ],
)
async def test_bad_comment_bodies(http: httpx2.AsyncClient, comment: Any, key: str) -> None:
    resp = await http.post("/k/v1/record/comment.json", json={"app": CUSTOMERS, "record": 1, "comment": comment})
    assert list(error_messages(resp)) == [key]


# -- deleting --------------------------------------------------------------------------------------------------------


async def delete(http: httpx2.AsyncClient, record: int, comment: Any, app: int = CUSTOMERS) -> httpx2.Response:
    return await http.request(
        "DELETE", "/k/v1/record/comment.json", json={"app": app, "record": record, "comment": comment}
    )


async def test_only_the_author_deletes(sandbox: Sandbox) -> None:
    async with client(sandbox, password("sato")) as sato, client(sandbox, password("suzuki")) as suzuki:
        comment = ok(await post(sato, 1, "mine"))["id"]
        body = assert_error(await delete(suzuki, 1, comment), 403, "CB_NO02")
        assert "only the author (sato)" in body["message"]
        assert ids(await page(suzuki, 1)) == [1]
        assert ok(await delete(sato, 1, comment)) == {}
        assert (await page(suzuki, 1))["comments"] == []


async def test_even_the_administrator_cannot_delete_someone_elses_comment(
    sandbox: Sandbox, http: httpx2.AsyncClient
) -> None:
    async with client(sandbox, password("sato")) as sato:
        comment = ok(await post(sato, 1, "mine"))["id"]
    assert_error(await delete(http, 1, comment), 403, "CB_NO02")


async def test_delete_with_query_parameters(http: httpx2.AsyncClient) -> None:
    ok(await post(http, 1, "bye"))
    resp = await http.delete("/k/v1/record/comment.json", params={"app": CUSTOMERS, "record": 1, "comment": 1})
    assert ok(resp) == {}
    assert (await page(http, 1))["comments"] == []


async def test_unknown_comment(http: httpx2.AsyncClient) -> None:
    ok(await post(http, 1, "exists"))
    assert_error(await delete(http, 1, 99), 400, "GAIA_RE02")
    # Comment 1 exists on record 1, not on record 2.
    assert_error(await delete(http, 2, 1), 400, "GAIA_RE02")
    ok(await delete(http, 1, 1))
    assert_error(await delete(http, 1, 1), 400, "GAIA_RE02")


@pytest.mark.parametrize("comment", [None, "", "first", 1.5])
async def test_bad_comment_ids(http: httpx2.AsyncClient, comment: Any) -> None:
    assert list(error_messages(await delete(http, 1, comment))) == ["comment"]


# -- records, apps and permissions -----------------------------------------------------------------------------------


async def test_unknown_record_and_app_on_every_verb(http: httpx2.AsyncClient) -> None:
    assert_error(
        await http.get("/k/v1/record/comments.json", params={"app": CUSTOMERS, "record": 9999}), 404, "GAIA_RE01"
    )
    assert_error(await post(http, 9999, "x"), 404, "GAIA_RE01")
    assert_error(await delete(http, 9999, 1), 404, "GAIA_RE01")
    assert_error(await http.get("/k/v1/record/comments.json", params={"app": 999, "record": 1}), 404, "GAIA_AP01")
    assert_error(await post(http, 1, "x", app=999), 404, "GAIA_AP01")
    assert_error(await delete(http, 1, 1, app=999), 404, "GAIA_AP01")


async def test_app_and_record_are_required(http: httpx2.AsyncClient) -> None:
    assert list(error_messages(await http.get("/k/v1/record/comments.json", params={"record": 1}))) == ["app"]
    assert list(error_messages(await http.get("/k/v1/record/comments.json", params={"app": 1}))) == ["record"]
    resp = await http.post("/k/v1/record/comment.json", json={"app": 1, "comment": {"text": "x"}})
    assert list(error_messages(resp)) == ["record"]


async def test_comments_go_with_their_record(sandbox: Sandbox, http: httpx2.AsyncClient) -> None:
    ok(await post(http, 1, "doomed"))
    ok(await post(http, 2, "survivor"))
    ok(await http.request("DELETE", "/k/v1/records.json", json={"app": CUSTOMERS, "ids": [1]}))
    assert_error(await http.get("/k/v1/record/comments.json", params={"app": CUSTOMERS, "record": 1}), 404, "GAIA_RE01")
    with sandbox.store.reading() as conn:
        left = [(r["record"], r["text"]) for r in conn.execute("SELECT record, text FROM comments")]
    assert left == [(2, "survivor")]


async def test_tokens_act_as_administrator_and_need_view(sandbox: Sandbox) -> None:
    sandbox.add_api_token(CUSTOMERS, "view-only", ["view"])
    sandbox.add_api_token(CUSTOMERS, "add-only", ["add"])
    sandbox.add_api_token(2, "deals")
    async with (
        client(sandbox, token("view-only")) as viewer,
        client(sandbox, password("Administrator")) as admin,
        client(sandbox, token("add-only")) as adder,
        client(sandbox, token("deals")) as deals,
    ):
        comment = ok(await post(viewer, 1, "via token"))["id"]
        [posted] = (await page(viewer, 1))["comments"]
        assert posted["creator"] == {"code": "Administrator", "name": "Administrator"}
        assert_error(await post(adder, 1, "no view"), 403, "GAIA_NO01")
        assert_error(
            await adder.get("/k/v1/record/comments.json", params={"app": CUSTOMERS, "record": 1}), 403, "GAIA_NO01"
        )
        assert_error(await post(deals, 1, "wrong app"), 403, "GAIA_NO01")
        # The token wrote as Administrator, so the Administrator user may delete it, and vice versa.
        ok(await delete(admin, 1, comment))
        by_admin = ok(await post(admin, 1, "by the admin user"))["id"]
        ok(await delete(viewer, 1, by_admin))
        async with client(sandbox, password("sato")) as sato:
            by_sato = ok(await post(sato, 1, "by sato"))["id"]
        assert_error(await delete(viewer, 1, by_sato), 403, "CB_NO02")


async def test_users_outside_the_app_cannot_comment(sandbox: Sandbox) -> None:
    sandbox.set_allowed_users(CUSTOMERS, ["suzuki"])
    async with client(sandbox, password("sato")) as sato, client(sandbox, password("suzuki")) as suzuki:
        assert_error(await post(sato, 1, "x"), 403, "CB_NO02")
        assert_error(
            await sato.get("/k/v1/record/comments.json", params={"app": CUSTOMERS, "record": 1}), 403, "CB_NO02"
        )
        ok(await post(suzuki, 1, "allowed"))


async def test_guest_space_records_are_commented_through_the_guest_path(http: httpx2.AsyncClient) -> None:
    guest = "/k/guest/2/v1/"  # demo space 2 is a guest space
    app = await create_app(
        http, "Partner notes", {"t": {"type": "SINGLE_LINE_TEXT", "code": "t", "label": "T"}}, prefix=guest
    )
    record = ok(await http.post(f"{guest}record.json", json={"app": app, "record": {}}))["id"]
    body = {"app": app, "record": record, "comment": {"text": "hello partner"}}
    assert ok(await http.post(f"{guest}record/comment.json", json=body)) == {"id": "1"}
    assert_error(await http.post("/k/v1/record/comment.json", json=body), 400, "GAIA_IL23")
    assert_error(await http.get("/k/v1/record/comments.json", params={"app": app, "record": record}), 400, "GAIA_IL23")
    listed = ok(await http.get(f"{guest}record/comments.json", params={"app": app, "record": record}))
    assert [c["text"] for c in listed["comments"]] == ["hello partner"]
    assert_error(
        await http.post(
            "/k/guest/2/v1/record/comment.json", json={"app": CUSTOMERS, "record": 1, "comment": {"text": "x"}}
        ),
        403,
        "CB_NO02",
    )


# -- revision --------------------------------------------------------------------------------------------------------


async def revision(http: httpx2.AsyncClient, record: int) -> str:
    body = ok(await http.get("/k/v1/record.json", params={"app": CUSTOMERS, "id": record}))
    return str(body["record"]["$revision"]["value"])


async def test_comments_leave_the_revision_alone_by_default(http: httpx2.AsyncClient) -> None:
    before = await revision(http, 1)
    ok(await post(http, 1, "no bump"))
    ok(await delete(http, 1, 1))
    assert await revision(http, 1) == before


async def test_comments_can_bump_the_revision() -> None:
    sb = make_sandbox(comment_bumps_revision=True)
    try:
        async with client(sb) as http:
            before = int(await revision(http, 1))
            ok(await post(http, 1, "bump"))
            assert int(await revision(http, 1)) == before + 1
            assert_error(await post(http, 1, ""), 400, "CB_VA01")
            assert int(await revision(http, 1)) == before + 1
    finally:
        sb.close()


async def test_the_default_sandbox_serves_comments() -> None:
    assert SandboxConfig().comment_bumps_revision is False
    sb = Sandbox(SandboxConfig(demo=True, demo_records=3))
    try:
        async with client(sb) as http:
            assert ok(await post(http, 1, "wired")) == {"id": "1"}
            assert ids(await page(http, 1)) == [1]
    finally:
        sb.close()
