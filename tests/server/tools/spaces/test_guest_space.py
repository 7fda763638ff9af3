"""A guest space is reached on its guest path: the client learns it from the normal path's refusal (GAIA_IL23).
Its guests are a list of their own, set whole."""

from __future__ import annotations

import base64

import httpx2
import pytest
from mcp import Client

from kintone_mcp.sandbox import Sandbox
from tests.server.conftest import BASE_URL
from tests.server.helpers import call_error, call_ok
from tests.server.tools.spaces.conftest import GUEST, SALES

ADMIN = {"X-Cybozu-Authorization": base64.b64encode(b"Administrator:sandbox").decode()}

pytestmark = pytest.mark.anyio


async def test_read_and_post_in_the_guest_space(spaces_mcp: Client) -> None:
    space = await call_ok(spaces_mcp, "get_space", space=GUEST)
    assert space["guest"] is True and space["name"] == "Partner portal"
    assert space["apps"] == {"4": "Partner requests"}
    posted = await call_ok(spaces_mcp, "add_thread_comment", space=GUEST, thread=space["default_thread"],
                           text="Welcome, partners: the marigold programme starts in May.")
    # The normal path's search leaves guest spaces out; the guest path searches that space.
    assert (await call_ok(spaces_mcp, "search", keywords=["marigold"]))["hits"] == []
    inside = await call_ok(spaces_mcp, "search", keywords=["marigold"], guest_space=GUEST)
    assert [(h["kind"], h["comment"]) for h in inside["hits"]] == [("THREAD_COMMENT", posted["id"])]


def guests_of(sandbox: Sandbox, space: int) -> list[str]:
    with sandbox.store.reading() as conn:
        return [str(r[0]) for r in conn.execute("SELECT code FROM space_guests WHERE space = ?", (space,))]


async def test_guests_are_set_whole_on_a_guest_space_only(spaces_mcp: Client, sandbox: Sandbox) -> None:
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=sandbox.asgi_app), base_url=BASE_URL) as http:
        body = {"guests": [{"code": "ito@hikari.example", "password": "x", "timezone": "Asia/Tokyo",
                            "name": "Ito (Hikari)"}]}
        (await http.post("/k/v1/guests.json", json=body, headers=ADMIN)).raise_for_status()
    done = await call_ok(spaces_mcp, "update_space_members", space=GUEST,
                         guests=["mori@aoba.example", "ito@hikari.example"])
    assert done["admins"] == ["Administrator"]
    assert sorted(guests_of(sandbox, GUEST)) == ["ito@hikari.example", "mori@aoba.example"]
    # Guests are not members in Kintone's answer, so get_space does not list them.
    assert "ito@hikari.example" not in (await call_ok(spaces_mcp, "get_space", space=GUEST))["members"]
    text = await call_error(spaces_mcp, "update_space_members", space=GUEST, guests=["stranger@x.example"])
    assert "stranger@x.example" in text and "not a guest user" in text
    assert sorted(guests_of(sandbox, GUEST)) == ["ito@hikari.example", "mori@aoba.example"]
    before = await call_ok(spaces_mcp, "get_space", space=SALES)
    text = await call_error(spaces_mcp, "update_space_members", space=SALES, add=["tanaka"],
                            guests=["mori@aoba.example"])
    assert "not a guest space" in text
    assert (await call_ok(spaces_mcp, "get_space", space=SALES))["members"] == before["members"]  # nothing half done
