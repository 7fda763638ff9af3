"""search through mcp.Client: records by a word in a text field, comments by their text, the app allow and deny
lists, paging, and privacy (nothing from a private space the caller is not in)."""

from __future__ import annotations

import pytest
from mcp import Client

from kintone_mcp.auth import Credentials, PasswordAuth
from kintone_mcp.server.policy import Policy
from tests.server.conftest import ServerFactory
from tests.server.helpers import call_error, call_ok

pytestmark = pytest.mark.anyio


async def test_a_word_in_a_text_field_finds_the_record(mcp: Client) -> None:
    found = await call_ok(mcp, "search", keywords=["Kaze Motors"], kinds=["RECORD"], limit=5)
    assert found["hits"], "the demo deals name Kaze Motors"
    hit = found["hits"][0]
    assert hit["kind"] == "RECORD" and "Kaze Motors" in hit["snippet"]
    record = await call_ok(mcp, "get_record", app=hit["app"], id=hit["record"])
    assert "Kaze Motors" in str(record)


async def test_a_comment_is_found_by_its_text(mcp: Client) -> None:
    await call_ok(mcp, "add_comment", app=3, id=7, text="Customer confirmed the quillwort workaround.")
    found = await call_ok(mcp, "search", keywords=["quillwort"])
    assert [(h["kind"], h["app"], h["record"]) for h in found["hits"]] == [("RECORD_COMMENT", 3, 7)]
    assert found["hits"][0]["comment"] >= 1 and found["hits"][0]["by"] == "Administrator"


async def test_and_or_not(mcp: Client) -> None:
    both = await call_ok(mcp, "search", keywords=["Osaka", "leads"])
    assert {h["kind"] for h in both["hits"]} <= {"THREAD", "THREAD_COMMENT"} and both["hits"]
    neither = await call_ok(mcp, "search", keywords=["Osaka"], exclude=["leads", "brochure", "booth"])
    assert neither["hits"] == []
    either = await call_ok(mcp, "search", any_of=["quote", "brochure"], kinds=["THREAD_COMMENT"])
    assert len(either["hits"]) == 2


async def test_the_allow_list_drops_and_counts_other_apps_hits(make_server: ServerFactory) -> None:
    async with Client(make_server(Policy.build(allow_apps=[3], default_app=3))) as mcp:
        found = await call_ok(mcp, "search", keywords=["Kaze"], kinds=["RECORD"], limit=100)
    assert found["hits"] and {h["app"] for h in found["hits"]} == {3}
    assert found["dropped"] > 0  # Deals and Customers name Kaze companies too
    async with Client(make_server(Policy.build(deny_apps=[2], default_app=3))) as mcp:
        denied = await call_ok(mcp, "search", keywords=["Kaze"], kinds=["RECORD"], limit=100)
        refused = await call_error(mcp, "search", keywords=["Kaze"], apps=[2])
    assert 2 not in {h["app"] for h in denied["hits"]} and denied["dropped"] > 0
    assert "2" in refused


async def test_pages_go_past_the_first(mcp: Client) -> None:
    seen: list[tuple[object, ...]] = []
    page = await call_ok(mcp, "search", keywords=["Kaze"], kinds=["RECORD"], limit=7)
    pages = 1
    while True:
        assert len(page["hits"]) <= 7
        seen += [(h["app"], h["record"]) for h in page["hits"]]
        if "next" not in page:
            break
        page = await call_ok(mcp, "search", keywords=["Kaze"], kinds=["RECORD"], limit=7, next=page["next"])
        pages += 1
    assert pages > 2 and len(seen) == len(set(seen))
    everything = await call_ok(mcp, "search", keywords=["Kaze"], kinds=["RECORD"], limit=100)
    assert len(everything["hits"]) == len(seen) or "next" in everything


async def test_a_token_from_another_search_is_refused(mcp: Client) -> None:
    page = await call_ok(mcp, "search", keywords=["Kaze"], limit=2)
    text = await call_error(mcp, "search", keywords=["Osaka"], limit=2, next=page["next"])
    assert "pageToken" in text or "page token" in text


async def test_nothing_from_a_private_space_the_user_is_not_in(mcp: Client, make_server: ServerFactory) -> None:
    outsider = await call_ok(mcp, "search", keywords=["budget"])
    assert outsider["hits"] == []  # the Administrator is not in the Board room
    sato = Credentials(rest=PasswordAuth("sato", "sandbox"), user_api=PasswordAuth("sato", "sandbox"))
    async with Client(make_server(credentials=sato)) as member:
        inside = await call_ok(member, "search", keywords=["budget"])
    assert {h["space"] for h in inside["hits"]} == {3}
    assert {"SPACE", "THREAD_COMMENT"} <= {h["kind"] for h in inside["hits"]}


async def test_refusals(mcp: Client) -> None:
    assert "keywords" in await call_error(mcp, "search", exclude=["x"])
    assert "20" in await call_error(mcp, "search", keywords=[f"w{i}" for i in range(15)],
                                    any_of=[f"v{i}" for i in range(6)])
    assert "kinds" in await call_error(mcp, "search", keywords=["x"], kinds=["PEOPLE"])
    assert "createdAfter" in await call_error(mcp, "search", keywords=["x"], created_after="last week")


async def test_created_range_and_creators(mcp: Client) -> None:
    early = await call_ok(mcp, "search", keywords=["Kaze"], kinds=["THREAD_COMMENT"], creators=["sato"])
    assert [h["by"] for h in early["hits"]] == ["sato"]
    none = await call_ok(mcp, "search", keywords=["Kaze"], kinds=["THREAD_COMMENT"],
                         created_before="2020-01-01")
    assert none["hits"] == []
    oldest = await call_ok(mcp, "search", keywords=["Kaze"], kinds=["RECORD"], sort="oldest", limit=3)
    assert [h["at"] for h in oldest["hits"]] == sorted(h["at"] for h in oldest["hits"])
