"""The client's space and search methods against the sandbox: shapes decoded, guest paths learnt, errors typed."""

from __future__ import annotations

import pytest

from kintone_mcp.client import KintoneClient
from kintone_mcp.client.errors import NotFoundError, PermissionDeniedError
from kintone_mcp.client.models.spaces import MemberEntity, SpaceMember

pytestmark = pytest.mark.anyio


async def test_a_guest_space_is_learnt_once(admin: KintoneClient) -> None:
    assert not admin._conn.spaces.is_guest(2)
    space = await admin.get_space(2)
    assert space.is_guest and space.attached_apps[0].app_id == 4
    assert admin._conn.spaces.is_guest(2)  # the next call goes to /k/guest/2/v1/ at once
    assert [m.entity.code for m in await admin.get_space_members(2)] == ["Administrator"]


async def test_members_round_trip(admin: KintoneClient) -> None:
    members = await admin.get_space_members(1)
    extra = SpaceMember(entity=MemberEntity(type="GROUP", code="managers"))
    await admin.update_space_members(1, [*members, extra])
    after = await admin.get_space_members(1)
    assert [(m.entity.type, m.entity.code) for m in after][-1] == ("GROUP", "managers")
    assert after[0].entity.name  # names come with the codes


async def test_search_pages_and_hit_details(admin: KintoneClient) -> None:
    page = await admin.search({"query": [{"operator": "AND", "keywords": ["Kaze"]}], "limit": 3})
    assert len(page.hits) == 3 and page.next_page_token
    details = page.hits[0].details()
    assert page.hits[0].type == "RECORD" and int(details["recordId"]) >= 1
    nxt = await admin.search({"query": [{"operator": "AND", "keywords": ["Kaze"]}], "limit": 3,
                              "pageToken": page.next_page_token})
    assert {h.url for h in nxt.hits}.isdisjoint(h.url for h in page.hits)


async def test_errors_are_typed(admin: KintoneClient) -> None:
    with pytest.raises(NotFoundError):
        await admin.get_space(99)
    with pytest.raises(PermissionDeniedError):
        await admin.get_space(3)  # private; the Administrator is not a member
