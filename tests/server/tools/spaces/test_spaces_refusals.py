"""Bad input to the space tools is refused with a text naming the problem, and nothing is half done: unknown
member codes, a template that does not exist, a thread of another space, changes that name nobody."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client

from kintone_mcp.auth import Credentials, PasswordAuth
from kintone_mcp.sandbox import Sandbox
from kintone_mcp.server.policy import Policy
from tests.server.conftest import ServerFactory
from tests.server.helpers import call_error, call_ok
from tests.server.tools.spaces.conftest import BOARD, PROJECT_TEMPLATE, SALES, WITH_SPACES

pytestmark = pytest.mark.anyio


def count(sandbox: Sandbox, table: str) -> int:
    with sandbox.store.reading() as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


async def test_unknown_member_codes_create_nothing(spaces_mcp: Client, sandbox: Sandbox) -> None:
    before = count(sandbox, "spaces")
    text = await call_error(spaces_mcp, "create_space", template=PROJECT_TEMPLATE, name="X",
                            admins=["Administrator"], members=["nobody"])
    assert "nobody" in text
    text = await call_error(spaces_mcp, "create_space", template=PROJECT_TEMPLATE, name="X",
                            admins=["Administrator"], members=["org:nowhere"])
    assert "nowhere" in text
    assert count(sandbox, "spaces") == before


async def test_a_template_that_does_not_exist(spaces_mcp: Client, sandbox: Sandbox) -> None:
    before = count(sandbox, "spaces"), count(sandbox, "space_threads")
    text = await call_error(spaces_mcp, "create_space", template=99, name="X", admins=["Administrator"])
    assert "template" in text and "99" in text
    assert (count(sandbox, "spaces"), count(sandbox, "space_threads")) == before


async def test_admins_need_a_user(spaces_mcp: Client, sandbox: Sandbox) -> None:
    before = count(sandbox, "spaces")
    text = await call_error(spaces_mcp, "create_space", template=PROJECT_TEMPLATE, name="X", admins=["org:sales"])
    assert "user" in text and "admin" in text
    text = await call_error(spaces_mcp, "create_space", template=PROJECT_TEMPLATE, name="X",
                            admins=["sato"], members=["sato"])
    assert "both" in text
    assert count(sandbox, "spaces") == before


async def test_a_thread_of_another_space(spaces_mcp: Client, sandbox: Sandbox) -> None:
    sales = await call_ok(spaces_mcp, "get_space", space=SALES)
    other = await call_ok(spaces_mcp, "create_space", template=PROJECT_TEMPLATE, name="Other",
                          admins=["Administrator"])
    foreign = int(next(iter((await call_ok(spaces_mcp, "get_space", space=other["id"]))["threads"])))
    assert str(foreign) not in sales["threads"]
    before = count(sandbox, "thread_comments")
    text = await call_error(spaces_mcp, "add_thread_comment", space=SALES, thread=foreign, text="hello")
    assert str(foreign) in text and "not found" in text
    assert count(sandbox, "thread_comments") == before
    text = await call_error(spaces_mcp, "update_thread", space=SALES, thread=foreign, name="Renamed")
    assert f"Thread {foreign} is not in space {SALES}" in text
    again = await call_ok(spaces_mcp, "get_space", space=other["id"])
    assert "Renamed" not in again["threads"].values()


async def test_member_changes_that_name_nobody_change_nothing(spaces_mcp: Client) -> None:
    before = await call_ok(spaces_mcp, "get_space", space=SALES)
    assert "suzuki" in await call_error(spaces_mcp, "update_space_members", space=SALES, remove=["suzuki"])
    assert "nobody" in await call_error(spaces_mcp, "update_space_members", space=SALES, add=["nobody"])
    assert "both" in await call_error(spaces_mcp, "update_space_members", space=SALES, add=["tanaka"],
                                      remove=["tanaka"])
    assert "Already" in await call_error(spaces_mcp, "update_space_members", space=SALES, add=["sato"])
    assert "Nothing to change" in await call_error(spaces_mcp, "update_space_members", space=SALES)
    last = await call_error(spaces_mcp, "update_space_members", space=SALES,
                            remove_admin=["Administrator", "sato"])
    assert "no user would be a space admin" in last
    after = await call_ok(spaces_mcp, "get_space", space=SALES)
    assert (after["members"], after["admins"]) == (before["members"], before["admins"])


async def test_nothing_to_change_and_unknown_arguments(spaces_mcp: Client) -> None:
    assert "Nothing to change" in await call_error(spaces_mcp, "update_space", space=SALES)
    assert "Nothing to change" in await call_error(spaces_mcp, "update_thread", space=SALES, thread=1)
    assert "colour" in await call_error(spaces_mcp, "update_space", space=SALES, colour="red")


async def test_a_private_space_is_not_readable_by_non_members(spaces_mcp: Client) -> None:
    text = await call_error(spaces_mcp, "get_space", space=BOARD)
    assert "private" in text or "privilege" in text
    assert "privilege" in await call_error(spaces_mcp, "add_thread_comment", space=BOARD, thread=5, text="hi")


async def test_only_admins_change_a_space(make_server: ServerFactory) -> None:
    watanabe = Credentials(rest=PasswordAuth("watanabe", "sandbox"))
    async with Client(make_server(Policy.build(toolsets=WITH_SPACES), credentials=watanabe)) as mcp:
        # A member of the Sales space through the sales organization: may read and post, not change it.
        assert (await call_ok(mcp, "get_space", space=SALES))["name"] == "Sales team"
        assert "admin" in await call_error(mcp, "update_space", space=SALES, name="Mine")
        assert "admin" in await call_error(mcp, "delete_space", space=SALES)
        await call_ok(mcp, "add_thread_comment", space=SALES, thread=3, text="Posted by a member.")


async def test_settings_and_body(spaces_mcp: Client) -> None:
    done = await call_ok(spaces_mcp, "update_space", space=SALES, name="Sales", body="<p>Team <b>plans</b></p>",
                         show_members=False, multi_thread=True)
    assert set(done["changed"]) == {"name", "body", "show_members", "multi_thread"}
    read = await call_ok(spaces_mcp, "get_space", space=SALES)
    assert (read["name"], read["body"]) == ("Sales", "Team plans")
    await call_ok(spaces_mcp, "update_thread", space=SALES, thread=3, name="Pipeline review")
    assert (await call_ok(spaces_mcp, "get_space", space=SALES))["threads"]["3"] == "Pipeline review"


async def test_attachments_come_from_the_download_folder(make_server: ServerFactory, tmp_path: Path,
                                                         sandbox: Sandbox) -> None:
    (tmp_path / "plan.pdf").write_bytes(b"%PDF-1.4 plan")
    outside = tmp_path.parent / "secret.txt"
    outside.write_text("no")
    async with Client(make_server(Policy.build(toolsets=WITH_SPACES), download_dir=tmp_path)) as mcp:
        before = count(sandbox, "thread_comments"), count(sandbox, "stored_files")
        text = await call_error(mcp, "add_thread_comment", space=SALES, thread=3, text="x",
                                files=["plan.pdf", str(outside)])
        assert "outside the download folder" in text
        assert (count(sandbox, "thread_comments"), count(sandbox, "stored_files")) == before
        posted = await call_ok(mcp, "add_thread_comment", space=SALES, thread=3, text="The plan.",
                               files=["plan.pdf"], mentions=["group:managers"])
        assert posted["files"] == 1
        found = await call_ok(mcp, "search", keywords=["plan.pdf"], kinds=["ATTACHMENT"])
    assert [(h["kind"], h["title"], h["comment"]) for h in found["hits"]] == [
        ("ATTACHMENT", "plan.pdf", posted["id"])
    ]


async def test_no_download_folder_no_attachments(spaces_mcp: Client) -> None:
    text = await call_error(spaces_mcp, "add_thread_comment", space=SALES, thread=3, text="x", files=["a.txt"])
    assert "download folder" in text
