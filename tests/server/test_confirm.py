"""Confirmation of destructive calls (server/confirm.py), through real ``mcp.Client`` instances of both protocol
eras: ``mode="legacy"`` (the 2025-11-25 handshake: ``elicitation/create`` mid-call) and the default ``mode="auto"``
(2026-07-28: an ``InputRequiredResult`` and a retry), each with an elicitation callback that accepts, declines or
cancels, or without the elicitation capability, under each KINTONE_CONFIRM value. Records are counted in the
sandbox before and after every call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import httpx2
import pytest
from mcp import Client
from mcp.types import CallToolResult, ElicitRequestFormParams, ElicitResult, InputRequiredResult

from kintone_mcp.client import KintoneClient
from kintone_mcp.sandbox import Sandbox
from kintone_mcp.server.confirm import QUESTION_KEY
from kintone_mcp.server.policy import Policy
from tests.server.conftest import BASE_URL, DEALS, ServerFactory, password_credentials
from tests.server.helpers import text_of

Era = Literal["legacy", "auto"]
Answer = Literal["accept", "decline", "cancel"] | None
ERAS: tuple[Era, ...] = ("legacy", "auto")
ANSWERS: tuple[Answer, ...] = ("accept", "decline", "cancel", None)
MODES = ("destructive", "writes", "never")


class Person:
    """An elicitation callback that answers every question the same way and remembers what it was asked."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.asked: list[str] = []

    async def __call__(self, context: Any, params: Any) -> ElicitResult:
        assert isinstance(params, ElicitRequestFormParams)
        # The form has no fields: the question is all there is to answer.
        assert params.requested_schema == {"type": "object", "properties": {}}
        self.asked.append(params.message)
        assert self.answer is not None
        return ElicitResult(action=self.answer, content={} if self.answer == "accept" else None)


def connect(server: Any, era: Era, person: Person) -> Client:
    return Client(server, mode=era, elicitation_callback=person if person.answer is not None else None)


async def count(sandbox: Sandbox, app: int = DEALS, query: str = "") -> int:
    async with KintoneClient(
        BASE_URL, credentials=password_credentials(), transport=httpx2.ASGITransport(app=sandbox.asgi_app)
    ) as kintone:
        page = await kintone.get_records(app, query=f"{query} limit 1", fields=["$id"], total_count=True)
    assert page.total_count is not None
    return page.total_count


async def first_ids(sandbox: Sandbox, n: int, app: int = DEALS) -> list[int]:
    async with KintoneClient(
        BASE_URL, credentials=password_credentials(), transport=httpx2.ASGITransport(app=sandbox.asgi_app)
    ) as kintone:
        page = await kintone.get_records(app, query=f"order by $id asc limit {n}", fields=["$id"])
    return [int(r.raw["$id"]["value"]) for r in page.records]


def asks(mode: str, answer: Answer, *, destructive: bool) -> bool:
    return answer is not None and (mode == "writes" or (mode == "destructive" and destructive))


def goes_ahead(mode: str, answer: Answer, *, destructive: bool) -> bool:
    if asks(mode, answer, destructive=destructive):
        return answer == "accept"
    # Not asked: runs, except a write under `writes` from a client that cannot ask.
    return not (mode == "writes" and answer is None)


# --- the matrix: every era, answer and mode, on a destructive and on a plain write -----------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("answer", ANSWERS)
@pytest.mark.parametrize("era", ERAS)
async def test_delete_records_asks_and_obeys(
    make_server: ServerFactory, sandbox: Sandbox, era: Era, answer: Answer, mode: str
) -> None:
    ids = (await first_ids(sandbox, 5))[1:4]
    before = await count(sandbox)
    person = Person(answer)
    async with connect(make_server(confirm=mode), era, person) as mcp:
        result = await mcp.call_tool("delete_records", {"ids": ids})
    after = await count(sandbox)
    if asks(mode, answer, destructive=True):
        assert person.asked == [
            f"Delete 3 records from Deals (app 2; ids {ids[0]}-{ids[-1]})? Deleted records cannot be restored."
        ]
    else:
        assert person.asked == []
    if goes_ahead(mode, answer, destructive=True):
        assert result.is_error is False, text_of(result)
        assert after == before - 3
        return
    assert result.is_error is True
    assert after == before, "nothing may be deleted"
    text = text_of(result)
    if answer is None:
        assert "KINTONE_CONFIRM=writes" in text and "does not support MCP elicitation" in text
        assert "KINTONE_CONFIRM to destructive" in text and "Nothing was changed" in text
    else:
        assert text.startswith("Not done: delete_records was not run.")
        assert ("declined" if answer == "decline" else "dismissed the question") in text
        assert "Nothing was changed in Kintone" in text
        assert "Do not call delete_records again for this unless the user asks you to" in text


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("answer", ANSWERS)
@pytest.mark.parametrize("era", ERAS)
async def test_a_plain_write_asks_only_under_writes(
    make_server: ServerFactory, sandbox: Sandbox, era: Era, answer: Answer, mode: str
) -> None:
    before = await count(sandbox)
    person = Person(answer)
    async with connect(make_server(confirm=mode), era, person) as mcp:
        result = await mcp.call_tool("add_record", {"record": {"title": "Confirmed deal"}})
    after = await count(sandbox)
    if asks(mode, answer, destructive=False):
        assert person.asked == ["Add a record (add_record: record {\"title\": \"Confirmed deal\"})?"]
    else:
        assert person.asked == []
    if goes_ahead(mode, answer, destructive=False):
        assert result.is_error is False, text_of(result)
        assert after == before + 1
    else:
        assert result.is_error is True
        assert after == before
        assert "add_record was not run" in text_of(result)


# --- what the questions say, from the live data ----------------------------------------------------------------------


async def ask(make_server: ServerFactory, tool: str, args: dict[str, Any], **options: Any) -> tuple[list[str], Any]:
    """Call ``tool`` declining every question: what was asked, and the result."""
    person = Person("decline")
    async with Client(make_server(**options), mode="legacy", elicitation_callback=person) as mcp:
        result = await mcp.call_tool(tool, args)
    return person.asked, result


@pytest.mark.anyio
async def test_delete_records_counts_the_ids_that_exist(make_server: ServerFactory, sandbox: Sandbox) -> None:
    ids = await first_ids(sandbox, 2)
    asked, _ = await ask(make_server, "delete_records", {"ids": [*ids, 999_999]})
    assert asked == [
        f"Delete 2 records from Deals (app 2; ids {ids[0]}-{ids[1]}, 999999; 1 of the ids does not exist)? "
        "Deleted records cannot be restored."
    ]


@pytest.mark.anyio
async def test_update_record_asks_only_when_subtable_rows_are_deleted(
    make_server: ServerFactory, sandbox: Sandbox
) -> None:
    person = Person("accept")
    async with Client(make_server(), mode="legacy", elicitation_callback=person) as mcp:
        record = (await mcp.call_tool("get_record", {"id": 1})).structured_content
        assert record is not None
        rows = record["record"]["line_items"]
        # Changing a plain field deletes nothing: no question.
        done = await mcp.call_tool("update_record", {"id": 1, "record": {"title": "Renamed"}})
        assert done.is_error is False and person.asked == []
        # Keeping every row (by $id) and adding one: no question either.
        added = [*rows, {"product": "Support", "quantity": 1, "unit_price": 10}]
        done = await mcp.call_tool("update_record", {"id": 1, "record": {"line_items": added}})
        assert done.is_error is False and person.asked == []
        record = (await mcp.call_tool("get_record", {"id": 1})).structured_content
        assert record is not None
        rows = record["record"]["line_items"]
        assert len(rows) == len(added)
        # Leaving the first row out deletes it: asked, naming the row.
        person.answer = "decline"
        refused = await mcp.call_tool("update_record", {"id": 1, "record": {"line_items": rows[1:]}})
        assert person.asked == [
            f"Update record 1 of Deals (app 2), deleting 1 row of the table line_items ($id {rows[0]['$id']})? "
            "Deleted rows cannot be restored."
        ]
        assert refused.is_error is True
        after = (await mcp.call_tool("get_record", {"id": 1})).structured_content
        assert after is not None and len(after["record"]["line_items"]) == len(rows), "no row was deleted"


@pytest.mark.anyio
async def test_bulk_updates_ask_above_the_threshold(make_server: ServerFactory, sandbox: Sandbox) -> None:
    ids = await first_ids(sandbox, 5)
    changes = [{"id": i, "record": {"title": f"Bulk {i}"}} for i in ids]
    asked, result = await ask(make_server, "update_records", {"records": changes}, confirm_bulk=5)
    assert asked == [] and result.is_error is False, "5 records are not more than 5"
    asked, result = await ask(make_server, "update_records", {"records": changes}, confirm_bulk=4)
    assert asked == [f"Update 5 records of Deals (app 2; ids {ids[0]}-{ids[-1]})?"]
    assert result.is_error is True
    asked, result = await ask(
        make_server, "upsert_records", {"key_field": "title", "records": [{"title": "x"}, {"title": "y"}]},
        confirm_bulk=1,
    )  # fmt: skip
    assert asked == [
        "Insert or update 2 records of Deals (app 2) by title? Existing records with those keys are changed, and "
        "tables given replace their rows."
    ]


@pytest.mark.anyio
async def test_update_records_counts_the_subtable_rows_it_deletes(make_server: ServerFactory, sandbox: Sandbox) -> None:
    async with Client(make_server()) as mcp:
        first = (await mcp.call_tool("get_record", {"id": 1})).structured_content
        second = (await mcp.call_tool("get_record", {"id": 2})).structured_content
    assert first is not None and second is not None
    rows = first["record"]["line_items"]
    kept = second["record"]["line_items"]
    changes = [{"id": 1, "record": {"line_items": rows[1:]}}, {"id": 2, "record": {"line_items": kept}}]
    asked, result = await ask(make_server, "update_records", {"records": changes})
    assert asked == ["Update 2 records of Deals (app 2; ids 1-2), deleting 1 subtable row in 1 record? "
                     "Deleted rows cannot be restored."]  # fmt: skip
    assert result.is_error is True


@pytest.mark.anyio
async def test_delete_fields_and_deploy_say_what_is_lost(make_server: ServerFactory, sandbox: Sandbox) -> None:
    policy = Policy.build(default_app=DEALS, toolsets=["all"])
    holding = await count(sandbox, query='title != ""')
    person = Person("accept")
    async with Client(make_server(policy=policy), mode="legacy", elicitation_callback=person) as mcp:
        deleted = await mcp.call_tool("delete_fields", {"app": DEALS, "codes": ["title"]})
        assert deleted.is_error is False, text_of(deleted)
        assert person.asked == [
            f"Delete the field title (values in {holding} records) from Deals (app 2)? deploy_app then deletes their "
            "values for good (a revert before it undoes this)."
        ]
        person.answer = "decline"
        refused = await mcp.call_tool("deploy_app", {"apps": [DEALS]})
        assert person.asked[-1] == "Deploy Deals (app 2), deleting the fields title and their values in every record?"
        assert refused.is_error is True
        reverted = await mcp.call_tool("deploy_app", {"apps": [DEALS], "revert": True})
        assert person.asked[-1] == "Discard the pending design changes of Deals (app 2)? They cannot be restored."
        assert reverted.is_error is True
    async with KintoneClient(
        BASE_URL, credentials=password_credentials(), transport=httpx2.ASGITransport(app=sandbox.asgi_app)
    ) as kintone:
        assert "title" not in (await kintone.get_fields(DEALS, preview=True)).raw(), "the preview still lacks it"
        assert "title" in (await kintone.get_fields(DEALS)).raw()
    assert await count(sandbox, query='title != ""') == holding, "the live field and its values are untouched"


@pytest.mark.anyio
async def test_a_destructive_tool_without_a_summary_gets_the_default_question(sandbox: Sandbox) -> None:
    """Tools added later (delete_space, …) are covered by being marked destructive: the question names the tool
    and its arguments."""
    from dataclasses import replace

    from kintone_mcp.server.app import build_server
    from kintone_mcp.server.state import ServerOptions
    from kintone_mcp.server.tools.registry import ALL_TOOLS

    specs = [replace(s, confirm=None) if s.name == "delete_records" else s for s in ALL_TOOLS]
    ids = await first_ids(sandbox, 2)
    before = await count(sandbox)
    server = build_server(
        policy=Policy.build(default_app=DEALS), options=ServerOptions(base_url=BASE_URL, user_api=True),
        client_factory=client_of(sandbox), specs=specs,
    )  # fmt: skip
    person = Person("decline")
    async with Client(server, mode="legacy", elicitation_callback=person) as mcp:
        result = await mcp.call_tool("delete_records", {"ids": ids})
    assert person.asked == [f"Delete records (delete_records: ids [{ids[0]}, {ids[1]}])?"]
    assert result.is_error is True and await count(sandbox) == before


def client_of(sandbox: Sandbox) -> Callable[[], KintoneClient]:
    def factory() -> KintoneClient:
        return KintoneClient(
            BASE_URL, credentials=password_credentials(), transport=httpx2.ASGITransport(app=sandbox.asgi_app)
        )

    return factory


@pytest.mark.anyio
async def test_a_summary_that_fails_is_answered_as_the_tool_and_changes_nothing(
    make_server: ServerFactory, sandbox: Sandbox
) -> None:
    before = await count(sandbox)
    person = Person("accept")
    policy = Policy.build(default_app=DEALS, deny_apps=[1])
    async with Client(make_server(policy=policy), mode="legacy", elicitation_callback=person) as mcp:
        blocked = await mcp.call_tool("delete_records", {"ids": [1], "app": 1})
        invalid = await mcp.call_tool("delete_records", {"ids": []})
    assert person.asked == [], "nothing is asked about a call that cannot run"
    assert blocked.is_error is True and "blocked by this server's app allow/deny settings" in text_of(blocked)
    assert invalid.is_error is True and "ids" in text_of(invalid)
    assert await count(sandbox) == before


@pytest.mark.anyio
async def test_imports_ask_by_mode_and_size_and_a_dry_run_never(
    make_server: ServerFactory, sandbox: Sandbox, tmp_path: Any
) -> None:
    (tmp_path / "deals.csv").write_text('"title"\n"a"\n"b"\n', encoding="utf-8")
    person = Person("decline")
    async with Client(
        make_server(confirm="writes", download_dir=tmp_path), mode="legacy", elicitation_callback=person
    ) as mcp:
        dry = await mcp.call_tool("import_records", {"file": "deals.csv", "mode": "add", "dry_run": True})
        assert dry.is_error is False and person.asked == []
        wet = await mcp.call_tool("import_records", {"file": "deals.csv", "mode": "add"})
        assert person.asked == ["Add the records of deals.csv to Deals (app 2)?"]
        assert wet.is_error is True
        person.asked.clear()
        upsert = await mcp.call_tool("import_records", {"file": "deals.csv", "mode": "upsert", "key": "title"})
    assert person.asked == ["Add or update 2 records of Deals (app 2) from deals.csv by title?"]
    assert upsert.is_error is True
    # Under the default, an import asks only when it updates more than KINTONE_CONFIRM_BULK records.
    for bulk, asked in ((2, []), (1, ["Add or update 2 records of Deals (app 2) from deals.csv by title?"])):
        person.asked.clear()
        async with Client(
            make_server(confirm_bulk=bulk, download_dir=tmp_path), mode="legacy", elicitation_callback=person
        ) as mcp:
            await mcp.call_tool("import_records", {"file": "deals.csv", "mode": "upsert", "key": "title"})
        assert person.asked == asked


@pytest.mark.anyio
async def test_an_import_in_shift_jis_is_counted_in_its_encoding(
    make_server: ServerFactory, sandbox: Sandbox, tmp_path: Any
) -> None:
    """The question counts the file as the import reads it: a Shift_JIS file is decoded as Shift_JIS (read as UTF-8 it
    would be refused), and the encoding argument reaches the summary like every other argument."""
    (tmp_path / "deals.csv").write_bytes('"title"\n"株式会社カゼ"\n"二"\n"三"\n'.encode("shift_jis"))
    before = await count(sandbox)
    person = Person("decline")
    async with Client(
        make_server(confirm_bulk=1, download_dir=tmp_path), mode="legacy", elicitation_callback=person
    ) as mcp:
        answer = await mcp.call_tool(
            "import_records", {"file": "deals.csv", "mode": "upsert", "key": "title", "encoding": "shift_jis"}
        )
    assert person.asked == ["Add or update 3 records of Deals (app 2) from deals.csv by title?"]
    assert answer.is_error is True and await count(sandbox) == before


# --- the 2026-07-28 era on the wire ----------------------------------------------------------------------------------


async def first_round(mcp: Client, tool: str, args: dict[str, Any], **kw: Any) -> CallToolResult | InputRequiredResult:
    return await mcp.session.call_tool(tool, args, allow_input_required=True, **kw)


@pytest.mark.anyio
async def test_modern_era_asks_with_input_required_and_binds_the_answer_to_the_question(
    make_server: ServerFactory, sandbox: Sandbox
) -> None:
    ids = (await first_ids(sandbox, 3))[1:]
    before = await count(sandbox)
    accept = {QUESTION_KEY: ElicitResult(action="accept", content={})}
    async with Client(make_server(), elicitation_callback=Person("accept")) as mcp:
        asked = await first_round(mcp, "delete_records", {"ids": ids})
        assert isinstance(asked, InputRequiredResult), "the 2026 era asks by answering input_required"
        assert asked.input_requests is not None and list(asked.input_requests) == [QUESTION_KEY]
        assert asked.request_state is not None
        # An accept without our state (a client that made the answer up) is not taken: asked again.
        again = await first_round(mcp, "delete_records", {"ids": ids}, input_responses=accept)
        assert isinstance(again, InputRequiredResult)
        assert await count(sandbox) == before
        # The state is bound to the arguments: replayed on another call it is refused by the SDK's boundary.
        from mcp.shared.exceptions import MCPError

        with pytest.raises(MCPError):
            await first_round(
                mcp, "delete_records", {"ids": ids[:1]}, input_responses=accept, request_state=asked.request_state
            )
        # The data changed since the question: one of the records is gone, so the question would read otherwise.
        async with KintoneClient(
            BASE_URL, credentials=password_credentials(), transport=httpx2.ASGITransport(app=sandbox.asgi_app)
        ) as kintone:
            await kintone.delete_records(DEALS, [ids[0]])
        changed = await first_round(
            mcp, "delete_records", {"ids": ids}, input_responses=accept, request_state=asked.request_state
        )
        assert isinstance(changed, InputRequiredResult), "an answer to an older question is not taken"
        assert await count(sandbox) == before - 1
        # Answered in full by the client's own loop: done.
        done = await mcp.call_tool("delete_records", {"ids": ids[1:]})
        assert done.is_error is False, text_of(done)
    assert await count(sandbox) == before - 2


@pytest.mark.anyio
async def test_a_client_whose_elicitation_fails_gets_nothing_done(make_server: ServerFactory, sandbox: Sandbox) -> None:
    from mcp.types import ErrorData

    async def broken(context: Any, params: Any) -> ErrorData:
        return ErrorData(code=-32603, message="the dialog crashed")

    ids = await first_ids(sandbox, 1)
    before = await count(sandbox)
    async with Client(make_server(), mode="legacy", elicitation_callback=broken) as mcp:
        result = await mcp.call_tool("delete_records", {"ids": ids})
    assert result.is_error is True and "answered with an error" in text_of(result)
    assert await count(sandbox) == before


# --- settings shown --------------------------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("mode", "shown"),
    [
        ("destructive", "asks the user before destructive calls (bulk writes: over 100 records) when the client can"),
        ("writes", "asks the user before every write (refused where the client cannot ask)"),
        ("never", "never asks the user to confirm"),
    ],
)
async def test_test_connection_names_the_confirmation_setting(
    make_server: ServerFactory, mode: str, shown: str
) -> None:
    async with Client(make_server(confirm=mode)) as mcp:
        report = (await mcp.call_tool("test_connection", {})).structured_content
    assert report is not None
    policy = next(s for s in report["steps"] if s["step"] == "policy")
    assert f"{shown} (KINTONE_CONFIRM={mode})" in policy["detail"]



# --- app design and process tools ------------------------------------------------------------------------------------

TICKETS = 3


@pytest.mark.anyio
async def test_process_and_view_changes_ask_when_they_delete(make_server: ServerFactory, sandbox: Sandbox) -> None:
    async with KintoneClient(
        BASE_URL, credentials=password_credentials(), transport=httpx2.ASGITransport(app=sandbox.asgi_app)
    ) as kintone:
        fields = (await kintone.get_fields(TICKETS)).raw()
    status = next(code for code, prop in fields.items() if prop.get("type") == "STATUS")
    resolved = await count(sandbox, TICKETS, f'{status} in ("Resolved")')
    policy = Policy.build(default_app=DEALS, toolsets=["all"])
    states = [{"name": "Open"}, {"name": "In progress"}, {"name": "Closed"}]
    actions = [{"name": "Start work", "from": "Open", "to": "In progress"},
               {"name": "Close", "from": "In progress", "to": "Closed"}]  # fmt: skip
    asked, result = await ask(
        make_server, "update_process", {"app": TICKETS, "states": states, "actions": actions}, policy=policy
    )
    assert asked == [
        f"Change the process management of Support tickets (app 3), deleting the state Resolved ({resolved} records "
        "are in it now)? deploy_app makes it live."
    ]
    assert result.is_error is True
    asked, _ = await ask(make_server, "update_process", {"app": TICKETS, "enable": True}, policy=policy)
    assert asked == [], "a change that deletes no state does not ask"
    asked, _ = await ask(make_server, "update_views", {"app": DEALS, "remove": ["Won deals"]}, policy=policy)
    assert asked == ["Change the views of Deals (app 2), deleting the view Won deals (preview until deploy_app)?"]
    view = {"name": "Mine", "fields": ["title"]}
    asked, _ = await ask(make_server, "update_views", {"app": DEALS, "views": [view]}, policy=policy)
    assert asked == [], "adding a view deletes nothing"
    moves = [{"id": 1, "action": "Start work"}, {"id": 2, "action": "Start work"}]
    asked, _ = await ask(make_server, "update_statuses", {"app": TICKETS, "records": moves}, confirm_bulk=1)
    assert asked == ['Run process actions ("Start work") on 2 records of Support tickets (app 3; ids 1-2)?']
    asked, _ = await ask(make_server, "update_status", {"app": TICKETS, "id": 1, "action": "Start work"})
    assert asked == [], "one record's action asks only under writes"
    asked, _ = await ask(
        make_server, "update_status", {"app": TICKETS, "id": 1, "action": "Start work"}, confirm="writes"
    )
    assert asked == ['Run the action "Start work" on record 1 of Support tickets (app 3)?']
