"""Process management (status actions, assignees) and record comments."""

from __future__ import annotations

import pytest

from kintone_mcp.client import (
    ConflictError,
    KintoneClient,
    Mention,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from kintone_mcp.sandbox import Sandbox

from .conftest import client_for, password_credentials

pytestmark = pytest.mark.anyio


async def new_ticket(client: KintoneClient) -> int:
    written = await client.add_record(3, {"subject": {"value": "Printer on fire"}})
    await client.update_assignees(3, written.id, ["Administrator"], revision=1)
    return written.id


async def test_status_action_and_assignees(admin: KintoneClient) -> None:
    ticket = await new_ticket(admin)
    record = await admin.get_record(3, ticket)
    assert (record.value("Status"), record.revision) == ("Open", 2)
    assert [e["code"] for e in record.value("Assignee")] == ["Administrator"]
    moved = await admin.update_status(3, ticket, "Start work", revision=2)
    assert (moved.id, moved.revision) == (ticket, 4)
    assert (await admin.get_record(3, ticket)).value("Status") == "In progress"
    reassigned = await admin.update_assignees(3, ticket, ["sato", "suzuki"])
    assert reassigned.revision == 5
    assert [e["code"] for e in (await admin.get_record(3, ticket)).value("Assignee")] == ["sato", "suzuki"]


async def test_process_management_errors(admin: KintoneClient) -> None:
    ticket = await new_ticket(admin)
    with pytest.raises(ValidationError) as wrong_action:
        await admin.update_status(3, ticket, "Close")
    assert wrong_action.value.code == "GAIA_IL03"
    with pytest.raises(ConflictError):
        await admin.update_status(3, ticket, "Start work", revision=1)
    with pytest.raises(ValidationError) as disabled:
        await admin.update_status(1, 1, "Start")
    assert disabled.value.code == "GAIA_ST02"


async def test_only_an_assignee_may_act(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as admin:
        ticket = await new_ticket(admin)
    async with client_for(sandbox, password_credentials("sato", "sandbox")) as sato:
        with pytest.raises(ValidationError) as info:
            await sato.update_status(3, ticket, "Start work")
    assert info.value.code == "GAIA_NT01"


async def test_comments_add_page_and_delete(admin: KintoneClient) -> None:
    ids = [await admin.add_comment(2, 1, f"note {i}") for i in range(12)]
    assert ids == sorted(ids)
    newest = await admin.get_comments(2, 1)
    assert [c.text for c in newest.comments] == [f"note {i}" for i in range(11, 1, -1)]
    assert (newest.older, newest.newer) == (True, False)
    oldest = await admin.get_comments(2, 1, order="asc", limit=3)
    assert [c.id for c in oldest.comments] == ids[:3]
    assert oldest.comments[0].creator is not None and oldest.comments[0].creator.code == "Administrator"
    await admin.delete_comment(2, 1, ids[0])
    assert ids[0] not in [c.id for c in (await admin.get_comments(2, 1, order="asc", limit=10)).comments]
    with pytest.raises(NotFoundError) as info:
        await admin.delete_comment(2, 1, ids[0])
    assert info.value.code == "GAIA_RE02"


async def test_comment_mentions(admin: KintoneClient) -> None:
    comment = await admin.add_comment(
        2, 2, "please look", mentions=[Mention(code="sato"), Mention(code="sales", type="ORGANIZATION")]
    )
    page = await admin.get_comments(2, 2, limit=1)
    assert page.comments[0].id == comment
    assert [(m.code, m.type) for m in page.comments[0].mentions] == [("sato", "USER"), ("sales", "ORGANIZATION")]


async def test_only_the_author_deletes_a_comment(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as admin:
        comment = await admin.add_comment(2, 3, "mine")
    async with client_for(sandbox, password_credentials("sato", "sandbox")) as sato:
        with pytest.raises(PermissionDeniedError) as info:
            await sato.delete_comment(2, 3, comment)
    assert info.value.code == "CB_NO02"
