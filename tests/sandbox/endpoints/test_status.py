"""Process management on records over HTTP: record/status.json, records/status.json, record/assignees.json, and the
STATUS / STATUS_ASSIGNEE fields in record JSON and queries. The demo TICKETS app: Open (suzuki, tanaka) -> "Start
work" -> In progress (the assigned_to field) -> "Resolve" -> Resolved (the creator) -> "Close" -> Closed (nobody);
"Reopen" goes back from Resolved to In progress."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sandbox_api import Api, assert_error, create_app, error_keys, password_headers, token_headers

from kintone_mcp.sandbox import Sandbox, SandboxConfig

pytestmark = pytest.mark.anyio

CUSTOMERS, TICKETS = 1, 3


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    # These tests are about transitions, so a lone candidate is taken without being named; Kintone's documented
    # rule that even a lone candidate be named (the sandbox's default) is tested in test_api_fidelity.py.
    sb = Sandbox(SandboxConfig(demo=True, demo_records=10, status_assignee_required=False))
    yield sb
    sb.close()


def user(api: Api, login: str) -> Api:
    return api.as_(password_headers(login))


async def new_ticket(api: Api, login: str = "sato", assigned_to: list[str] | None = None) -> int:
    record: dict[str, Any] = {"subject": {"value": "Printer on fire"}}
    if assigned_to is not None:
        record["assigned_to"] = {"value": [{"code": c} for c in assigned_to]}
    created = await user(api, login).ok("POST", "record.json", {"app": TICKETS, "record": record})
    return int(created["id"])


async def state(api: Api, record_id: int, app: int = TICKETS) -> tuple[str, list[str], int]:
    record = (await api.ok("GET", "record.json", params={"app": app, "id": record_id}))["record"]
    assignees = [a["code"] for a in record["Assignee"]["value"]]
    return record["Status"]["value"], assignees, int(record["$revision"]["value"])


async def act(api: Api, login: str, record_id: int, action: str, **extra: Any) -> Any:
    return await user(api, login).ok(
        "PUT", "record/status.json", {"app": TICKETS, "id": record_id, "action": action, **extra}
    )


# -- record JSON and new records -------------------------------------------------------------------------------------


async def test_new_records_start_in_the_first_state_with_its_assignees(api: Api) -> None:
    record_id = await new_ticket(api)
    assert await state(api, record_id) == ("Open", ["suzuki", "tanaka"], 1)
    record = (await api.ok("GET", "record.json", params={"app": TICKETS, "id": record_id}))["record"]
    assert record["Status"]["type"] == "STATUS"
    assert record["Assignee"] == {
        "type": "STATUS_ASSIGNEE",
        "value": [{"code": "suzuki", "name": "Suzuki Yui"}, {"code": "tanaka", "name": "Tanaka Ren"}],
    }


async def test_status_fields_are_absent_without_process_management(api: Api) -> None:
    record = (await api.ok("GET", "record.json", params={"app": CUSTOMERS, "id": 1}))["record"]
    assert "Status" not in record and "Assignee" not in record
    assert "customer_code" in record


async def test_enabling_and_disabling_process_management_on_an_existing_app(api: Api) -> None:
    app = await create_app(api, "Requests", {"title": {"type": "SINGLE_LINE_TEXT", "code": "title", "label": "T"}})
    old = int((await api.ok("POST", "record.json", {"app": app, "record": {"title": {"value": "old"}}}))["id"])
    await api.ok(
        "PUT",
        "preview/app/status.json",
        {
            "app": app,
            "enable": True,
            "states": {
                "New": {
                    "index": "0",
                    "assignee": {
                        "type": "ONE",
                        "entities": [{"entity": {"type": "USER", "code": "watanabe"}, "includeSubs": False}],
                    },
                },
                "Done": {"index": "1", "assignee": {"type": "ONE", "entities": []}},
            },
            "actions": [{"name": "Finish", "from": "New", "to": "Done"}],
        },
    )
    assert "Status" not in (await api.ok("GET", "record.json", params={"app": app, "id": old}))["record"]
    await api.ok("POST", "preview/app/deploy.json", {"apps": [{"app": app}]})
    # Existing records enter the first state with nobody assigned, new ones get the first state's assignees.
    assert await state(api, old, app) == ("New", [], 1)
    new = int((await api.ok("POST", "record.json", {"app": app, "record": {"title": {"value": "new"}}}))["id"])
    assert await state(api, new, app) == ("New", ["watanabe"], 1)
    result = await api.ok("PUT", "record/status.json", {"app": app, "id": old, "action": "Finish"})
    assert result == {"revision": "3"}
    await api.ok("PUT", "preview/app/status.json", {"app": app, "enable": False})
    await api.ok("POST", "preview/app/deploy.json", {"apps": [{"app": app}]})
    record = (await api.ok("GET", "record.json", params={"app": app, "id": old}))["record"]
    assert "Status" not in record and "Assignee" not in record
    resp = await api.put("record/status.json", {"app": app, "id": new, "action": "Finish"})
    assert_error(resp, 400, "GAIA_ST02")


# -- the demo ticket flow --------------------------------------------------------------------------------------------


async def test_a_ticket_through_its_whole_process(api: Api) -> None:
    record_id = await new_ticket(api, "sato", assigned_to=["tanaka"])
    assert await act(api, "suzuki", record_id, "Start work") == {"revision": "3"}
    assert await state(api, record_id) == ("In progress", ["tanaka"], 3)
    assert await act(api, "tanaka", record_id, "Resolve") == {"revision": "5"}
    assert await state(api, record_id) == ("Resolved", ["sato"], 5)  # the CREATOR entity
    assert await act(api, "sato", record_id, "Reopen") == {"revision": "7"}
    assert await state(api, record_id) == ("In progress", ["tanaka"], 7)
    await act(api, "tanaka", record_id, "Resolve")
    assert await act(api, "sato", record_id, "Close", revision=9) == {"revision": "11"}
    assert await state(api, record_id) == ("Closed", [], 11)
    record = (await api.ok("GET", "record.json", params={"app": TICKETS, "id": record_id}))["record"]
    assert record["Updated_by"]["value"]["code"] == "sato"


async def test_an_action_not_leaving_the_current_state_is_gaia_il03(api: Api) -> None:
    record_id = await new_ticket(api)
    for action in ("Resolve", "Close", "Fly to the moon"):
        resp = await user(api, "suzuki").put("record/status.json", {"app": TICKETS, "id": record_id, "action": action})
        body = assert_error(resp, 400, "GAIA_IL03")
        assert '"Open"' in body["message"] and '"Start work"' in body["message"]
    assert await state(api, record_id) == ("Open", ["suzuki", "tanaka"], 1)


async def test_a_final_state_has_no_actions(api: Api) -> None:
    closed = (await api.ok("GET", "records.json", params={"app": TICKETS, "query": 'Status = "Closed" limit 1'}))[
        "records"
    ][0]
    resp = await api.put("record/status.json", {"app": TICKETS, "id": closed["$id"]["value"], "action": "Reopen"})
    assert "final state" in assert_error(resp, 400, "GAIA_IL03")["message"]


async def test_only_an_assignee_may_act(api: Api) -> None:
    record_id = await new_ticket(api, assigned_to=["tanaka"])
    for login in ("sato", "Administrator"):
        resp = await user(api, login).put(
            "record/status.json", {"app": TICKETS, "id": record_id, "action": "Start work"}
        )
        body = assert_error(resp, 400, "GAIA_NT01")
        assert "suzuki, tanaka" in body["message"]
    assert await state(api, record_id) == ("Open", ["suzuki", "tanaka"], 1)


async def test_anyone_may_act_on_a_record_without_assignees(api: Api) -> None:
    record_id = await new_ticket(api, assigned_to=["tanaka"])
    await api.ok("PUT", "record/assignees.json", {"app": TICKETS, "id": record_id, "assignees": []})
    assert await act(api, "watanabe", record_id, "Start work") == {"revision": "4"}


async def test_api_tokens_act_as_administrator(api: Api, sandbox: Sandbox) -> None:
    token = api.as_(token_headers(sandbox.demo_tokens[TICKETS]))
    record_id = await new_ticket(api, assigned_to=["tanaka"])
    resp = await token.put("record/status.json", {"app": TICKETS, "id": record_id, "action": "Start work"})
    assert "API token" in assert_error(resp, 400, "GAIA_NT01")["message"]
    await token.ok("PUT", "record/assignees.json", {"app": TICKETS, "id": record_id, "assignees": ["Administrator"]})
    # Kintone documents record view as the permission a status change needs; the assignee rule does the rest.
    sandbox.add_api_token(TICKETS, "view-only-ticket-token", ["view"])
    viewer = api.as_(token_headers("view-only-ticket-token"))
    assert await viewer.ok("PUT", "record/status.json", {"app": TICKETS, "id": record_id, "action": "Start work"}) == {
        "revision": "4"
    }
    resp = await viewer.put("record/assignees.json", {"app": TICKETS, "id": record_id, "assignees": []})
    assert_error(resp, 403, "GAIA_NO01")
    resp = await api.as_(token_headers(sandbox.demo_tokens[CUSTOMERS])).put(
        "record/status.json", {"app": TICKETS, "id": record_id, "action": "Resolve"}
    )
    assert_error(resp, 403, "GAIA_NO01")


async def test_one_of_several_candidates_must_be_chosen(api: Api) -> None:
    record_id = await new_ticket(api, assigned_to=["tanaka", "watanabe"])
    resp = await user(api, "suzuki").put(
        "record/status.json", {"app": TICKETS, "id": record_id, "action": "Start work"}
    )
    body = assert_error(resp, 400, "GAIA_SA01")
    assert "tanaka, watanabe" in body["message"]
    resp = await user(api, "suzuki").put(
        "record/status.json", {"app": TICKETS, "id": record_id, "action": "Start work", "assignee": "sato"}
    )
    assert "candidates are tanaka, watanabe" in error_keys(resp)["assignee"][0]
    resp = await user(api, "suzuki").put(
        "record/status.json", {"app": TICKETS, "id": record_id, "action": "Start work", "assignee": "nobody"}
    )
    assert '"nobody"' in assert_error(resp, 400, "GAIA_IL26")["message"]
    assert await state(api, record_id) == ("Open", ["suzuki", "tanaka"], 1)
    assert await act(api, "suzuki", record_id, "Start work", assignee="watanabe") == {"revision": "3"}
    assert await state(api, record_id) == ("In progress", ["watanabe"], 3)


async def test_a_single_candidate_is_taken_and_may_be_named(api: Api) -> None:
    first = await new_ticket(api, assigned_to=["tanaka"])
    second = await new_ticket(api, assigned_to=["tanaka"])
    await act(api, "suzuki", first, "Start work")
    await act(api, "suzuki", second, "Start work", assignee="tanaka")
    assert (await state(api, first))[1] == (await state(api, second))[1] == ["tanaka"]


async def test_revision_is_checked(api: Api) -> None:
    record_id = await new_ticket(api, assigned_to=["tanaka"])
    resp = await user(api, "suzuki").put(
        "record/status.json", {"app": TICKETS, "id": record_id, "action": "Start work", "revision": 2}
    )
    assert_error(resp, 409, "GAIA_CO02")
    assert await act(api, "suzuki", record_id, "Start work", revision=-1) == {"revision": "3"}
    resp = await api.put(
        "record/assignees.json", {"app": TICKETS, "id": record_id, "assignees": ["sato"], "revision": 1}
    )
    assert_error(resp, 409, "GAIA_CO02")
    assert await api.ok(
        "PUT", "record/assignees.json", {"app": TICKETS, "id": record_id, "assignees": ["sato"], "revision": "3"}
    ) == {"revision": "4"}


async def test_request_errors(api: Api) -> None:
    assert_error(
        await api.put("record/status.json", {"app": CUSTOMERS, "id": 1, "action": "Start work"}), 400, "GAIA_ST02"
    )
    assert_error(
        await api.put("record/status.json", {"app": TICKETS, "id": 99999, "action": "Start work"}), 404, "GAIA_RE01"
    )
    assert_error(await api.put("record/status.json", {"app": 999, "id": 1, "action": "Start work"}), 404, "GAIA_AP01")
    assert "action" in error_keys(await api.put("record/status.json", {"app": TICKETS, "id": 1}))
    assert "id" in error_keys(await api.put("record/status.json", {"app": TICKETS, "action": "Start work"}))
    assert "assignee" in error_keys(
        await user(api, "suzuki").put(
            "record/status.json",
            {
                "app": TICKETS,
                "id": await new_ticket(api, assigned_to=["tanaka"]),
                "action": "Start work",
                "assignee": ["tanaka"],
            },
        )
    )


# -- several records at once -----------------------------------------------------------------------------------------


async def test_records_status_changes_several_records(api: Api) -> None:
    first = await new_ticket(api, assigned_to=["tanaka"])
    second = await new_ticket(api, assigned_to=["watanabe", "sato"])
    result = await user(api, "suzuki").ok(
        "PUT",
        "records/status.json",
        {
            "app": TICKETS,
            "records": [
                {"id": first, "action": "Start work", "revision": 1},
                {"id": str(second), "action": "Start work", "assignee": "sato"},
            ],
        },
    )
    assert result == {"records": [{"id": str(first), "revision": "3"}, {"id": str(second), "revision": "3"}]}
    assert await state(api, first) == ("In progress", ["tanaka"], 3)
    assert await state(api, second) == ("In progress", ["sato"], 3)


async def test_records_status_is_all_or_nothing(api: Api) -> None:
    first = await new_ticket(api, assigned_to=["tanaka"])
    second = await new_ticket(api, assigned_to=["tanaka"])
    suzuki = user(api, "suzuki")
    resp = await suzuki.put(
        "records/status.json",
        {"app": TICKETS, "records": [{"id": first, "action": "Start work"}, {"id": second, "action": "Resolve"}]},
    )
    assert_error(resp, 400, "GAIA_IL03")
    resp = await suzuki.put(
        "records/status.json",
        {
            "app": TICKETS,
            "records": [{"id": first, "action": "Start work"}, {"id": second, "action": "Start work", "revision": 5}],
        },
    )
    assert_error(resp, 409, "GAIA_CO02")
    resp = await suzuki.put(
        "records/status.json", {"app": TICKETS, "records": [{"id": first, "action": "Start work"}, {"id": second}]}
    )
    assert "records[1].action" in error_keys(resp)
    assert await state(api, first) == ("Open", ["suzuki", "tanaka"], 1)


async def test_records_status_limits(api: Api) -> None:
    items = [{"id": 1, "action": "Start work"}] * 101
    assert "100" in error_keys(await api.put("records/status.json", {"app": TICKETS, "records": items}))["records"][0]
    assert "records" in error_keys(await api.put("records/status.json", {"app": TICKETS, "records": []}))
    assert "records[0]" in error_keys(await api.put("records/status.json", {"app": TICKETS, "records": ["1"]}))
    resp = await api.put("records/status.json", {"app": CUSTOMERS, "records": [{"id": 1, "action": "x"}]})
    assert_error(resp, 400, "GAIA_ST02")


# -- assignees -------------------------------------------------------------------------------------------------------


async def test_assignees_are_replaced_and_revision_goes_up_by_one(api: Api) -> None:
    record_id = await new_ticket(api)
    assert await api.ok(
        "PUT", "record/assignees.json", {"app": TICKETS, "id": record_id, "assignees": ["watanabe", "sato", "watanabe"]}
    ) == {"revision": "2"}
    assert await state(api, record_id) == ("Open", ["watanabe", "sato"], 2)
    assert await act(api, "watanabe", record_id, "Start work") == {"revision": "4"}
    await api.ok("PUT", "record/assignees.json", {"app": TICKETS, "id": record_id, "assignees": []})
    assert await state(api, record_id) == ("In progress", [], 5)


async def test_assignees_errors(api: Api) -> None:
    record_id = await new_ticket(api)
    resp = await api.put("record/assignees.json", {"app": TICKETS, "id": record_id, "assignees": ["sato", "ghost"]})
    assert '"ghost"' in assert_error(resp, 400, "GAIA_IL26")["message"]
    assert "assignees" in error_keys(await api.put("record/assignees.json", {"app": TICKETS, "id": record_id}))
    assert "assignees" in error_keys(
        await api.put("record/assignees.json", {"app": TICKETS, "id": record_id, "assignees": "sato"})
    )
    assert (
        "100"
        in error_keys(
            await api.put("record/assignees.json", {"app": TICKETS, "id": record_id, "assignees": ["sato"] * 101})
        )["assignees"][0]
    )
    assert "assignees[1]" in error_keys(
        await api.put("record/assignees.json", {"app": TICKETS, "id": record_id, "assignees": ["sato", 7]})
    )
    assert_error(await api.put("record/assignees.json", {"app": CUSTOMERS, "id": 1, "assignees": []}), 400, "GAIA_ST02")
    assert_error(
        await api.put("record/assignees.json", {"app": TICKETS, "id": 99999, "assignees": []}), 404, "GAIA_RE01"
    )
    assert await state(api, record_id) == ("Open", ["suzuki", "tanaka"], 1)


# -- queries on STATUS and STATUS_ASSIGNEE ---------------------------------------------------------------------------


async def test_status_and_assignee_queries(api: Api) -> None:
    every = (await api.ok("GET", "records.json", params={"app": TICKETS, "query": "limit 500"}))["records"]

    async def matching(query: str, login: str = "Administrator") -> set[int]:
        found = await user(api, login).ok(
            "GET", "records.json", params={"app": TICKETS, "query": query + " limit 500", "fields": ["$id"]}
        )
        return {int(r["$id"]["value"]) for r in found["records"]}

    def where(test: Any) -> set[int]:
        return {int(r["$id"]["value"]) for r in every if test(r)}

    def assignees(r: dict[str, Any]) -> set[str]:
        return {a["code"] for a in r["Assignee"]["value"]}

    open_ids = where(lambda r: r["Status"]["value"] == "Open")
    assert open_ids and await matching('Status = "Open"') == open_ids
    assert await matching('Status in ("Open", "Closed")') == where(lambda r: r["Status"]["value"] in ("Open", "Closed"))
    assert await matching('Status != "Open"') == where(lambda r: r["Status"]["value"] != "Open")
    tanaka = where(lambda r: "tanaka" in assignees(r))
    assert tanaka and await matching('Assignee in ("tanaka")') == tanaka
    assert await matching("Assignee in (LOGINUSER())", "tanaka") == tanaka
    assert await matching('Assignee not in ("tanaka")') == where(lambda r: "tanaka" not in assignees(r))

    record_id = await new_ticket(api, assigned_to=["watanabe"])
    assert record_id in await matching('Status = "Open" and Assignee in ("suzuki")')
    await act(api, "tanaka", record_id, "Start work")
    assert record_id not in await matching('Status = "Open"')
    assert record_id in await matching('Status = "In progress" and Assignee in ("watanabe")')


# -- process settings beyond the demo: ALL, ANY, groups, organisations, conditions, executable users ----------------


def entity(kind: str, code: str | None) -> dict[str, Any]:
    return {"entity": {"type": kind, "code": code}, "includeSubs": False}


@pytest.fixture
async def approvals(api: Api) -> int:
    app = await create_app(
        api,
        "Approvals",
        {
            "amount": {"type": "NUMBER", "code": "amount", "label": "Amount"},
            "approvers": {"type": "USER_SELECT", "code": "approvers", "label": "Approvers"},
        },
        deploy=False,
    )
    await api.ok(
        "PUT",
        "preview/app/status.json",
        {
            "app": app,
            "enable": True,
            "states": {
                "Draft": {"index": "0", "assignee": {"type": "ONE", "entities": [entity("CREATOR", None)]}},
                "Review": {"index": "1", "assignee": {"type": "ONE", "entities": [entity("GROUP", "managers")]}},
                "Approval": {
                    "index": "2",
                    "assignee": {"type": "ALL", "entities": [entity("FIELD_ENTITY", "approvers")]},
                },
                "Sign-off": {
                    "index": "3",
                    "assignee": {"type": "ANY", "entities": [entity("ORGANIZATION", "support")]},
                },
                "Done": {"index": "4", "assignee": {"type": "ONE", "entities": []}},
            },
            "actions": [
                {"name": "Submit", "from": "Draft", "to": "Review"},
                {"name": "Fast track", "from": "Draft", "to": "Sign-off", "filterCond": "amount < 100"},
                {"name": "Approve", "from": "Review", "to": "Approval"},
                {"name": "Agree", "from": "Approval", "to": "Sign-off"},
                {"name": "Sign", "from": "Sign-off", "to": "Done"},
                {
                    "name": "Override",
                    "from": "Sign-off",
                    "to": "Done",
                    "executableUser": {"entities": [entity("USER", "Administrator")]},
                },
            ],
        },
    )
    await api.ok("POST", "preview/app/deploy.json", {"apps": [{"app": app}]})
    return app


async def new_request(api: Api, app: int, amount: int) -> int:
    created = await user(api, "watanabe").ok(
        "POST",
        "record.json",
        {
            "app": app,
            "record": {"amount": {"value": amount}, "approvers": {"value": [{"code": "sato"}, {"code": "takahashi"}]}},
        },
    )
    return int(created["id"])


async def run(api: Api, app: int, login: str, record_id: int, action: str, **extra: Any) -> Any:
    return await user(api, login).ok(
        "PUT", "record/status.json", {"app": app, "id": record_id, "action": action, **extra}
    )


async def test_group_all_and_any_assignees(api: Api, approvals: int) -> None:
    app = approvals
    record_id = await new_request(api, app, 500)
    assert await state(api, record_id, app) == ("Draft", ["watanabe"], 1)
    resp = await user(api, "watanabe").put("record/status.json", {"app": app, "id": record_id, "action": "Submit"})
    assert "sato, takahashi" in assert_error(resp, 400, "GAIA_SA01")["message"]  # the managers group's members
    await run(api, app, "watanabe", record_id, "Submit", assignee="takahashi")
    assert await state(api, record_id, app) == ("Review", ["takahashi"], 3)
    await run(api, app, "takahashi", record_id, "Approve")
    assert await state(api, record_id, app) == ("Approval", ["sato", "takahashi"], 5)
    # ALL: the state holds until every assignee has acted; each earlier action only records who did.
    assert await run(api, app, "sato", record_id, "Agree") == {"revision": "6"}
    assert await state(api, record_id, app) == ("Approval", ["takahashi"], 6)
    resp = await user(api, "sato").put("record/status.json", {"app": app, "id": record_id, "action": "Agree"})
    assert_error(resp, 400, "GAIA_NT01")
    assert await run(api, app, "takahashi", record_id, "Agree") == {"revision": "8"}
    assert await state(api, record_id, app) == ("Sign-off", ["suzuki", "tanaka"], 8)  # the support organisation
    # ANY: one of them is enough.
    await run(api, app, "tanaka", record_id, "Sign")
    assert await state(api, record_id, app) == ("Done", [], 10)


async def test_action_conditions(api: Api, approvals: int) -> None:
    app = approvals
    big = await new_request(api, app, 500)
    resp = await user(api, "watanabe").put("record/status.json", {"app": app, "id": big, "action": "Fast track"})
    assert "amount < 100" in assert_error(resp, 400, "GAIA_IL03")["message"]
    small = await new_request(api, app, 50)
    await run(api, app, "watanabe", small, "Fast track")
    assert await state(api, small, app) == ("Sign-off", ["suzuki", "tanaka"], 3)


async def test_executable_users_may_run_an_action_without_being_assigned(api: Api, approvals: int) -> None:
    app = approvals
    record_id = await new_request(api, app, 50)
    await run(api, app, "watanabe", record_id, "Fast track")
    resp = await api.put("record/status.json", {"app": app, "id": record_id, "action": "Sign"})
    assert_error(resp, 400, "GAIA_NT01")
    resp = await user(api, "sato").put("record/status.json", {"app": app, "id": record_id, "action": "Override"})
    assert_error(resp, 400, "GAIA_NT01")
    assert await api.ok("PUT", "record/status.json", {"app": app, "id": record_id, "action": "Override"}) == {
        "revision": "5"
    }
    assert await state(api, record_id, app) == ("Done", [], 5)
