"""The spaces toolset end to end through mcp.Client against the sandbox: a space from a template, members, a thread,
a comment with a mention found by search, the space read back, a member removed, the space deleted."""

from __future__ import annotations

import pytest
from mcp import Client

from kintone_mcp.server.policy import Policy
from tests.server.conftest import ServerFactory
from tests.server.helpers import call_error, call_ok
from tests.server.tools.spaces.conftest import PROJECT_TEMPLATE, SALES, WITH_SPACES

pytestmark = pytest.mark.anyio


async def test_a_space_from_start_to_end(spaces_mcp: Client) -> None:
    mcp = spaces_mcp
    space = (await call_ok(mcp, "create_space", template=PROJECT_TEMPLATE, name="Launch of Kaze EV",
                           admins=["Administrator"]))["id"]
    members = await call_ok(mcp, "update_space_members", space=space, add=["sato", "org:support"],
                            add_admins=["takahashi"])
    assert set(members["admins"]) == {"Administrator", "takahashi"}
    assert set(members["members"]) == {"sato", "org:support"}
    thread = (await call_ok(mcp, "create_thread", space=space, name="Press kit", body="Drafts go here."))["id"]
    comment = (await call_ok(mcp, "add_thread_comment", space=space, thread=thread,
                             text="Sato, the zephyrine brochure is ready for review.", mentions=["sato"]))["id"]

    found = await call_ok(mcp, "search", keywords=["zephyrine"])
    assert found["hits"] == [
        {"kind": "THREAD_COMMENT", "space": space, "thread": thread, "comment": comment, "title": "Press kit",
         "snippet": "Sato, the zephyrine brochure is ready for review.", "at": found["hits"][0]["at"],
         "by": "Administrator"}
    ]

    read = await call_ok(mcp, "get_space", space=space)
    assert read["name"] == "Launch of Kaze EV" and read["private"] is False and read["guest"] is False
    assert "Kick-off" in read["threads"].values()  # from the template
    assert read["threads"][str(thread)] == "Press kit"
    assert read["names"]["sato"] == "Sato Haruto"
    assert "goals, owners, dates" in read["body"]  # the template's body

    after = await call_ok(mcp, "update_space_members", space=space, remove=["sato"])
    assert "sato" not in after["members"] and "org:support" in after["members"]
    assert "sato" not in (await call_ok(mcp, "get_space", space=space))["members"]

    assert (await call_ok(mcp, "delete_space", space=space)) == {"deleted": space}
    gone = await call_error(mcp, "get_space", space=space)
    assert "not found" in gone
    assert (await call_ok(mcp, "search", keywords=["zephyrine"]))["hits"] == []


async def test_get_space_hides_apps_the_server_does_not_allow(make_server: ServerFactory) -> None:
    async with Client(make_server(Policy.build(deny_apps=[2], toolsets=WITH_SPACES))) as mcp:
        space = await call_ok(mcp, "get_space", space=SALES)
    assert space["apps"] == {} and space["hidden_apps"] == 1
