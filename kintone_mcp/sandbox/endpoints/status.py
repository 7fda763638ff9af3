"""Process management on records: record/status.json, records/status.json and record/assignees.json.

Facts (docs/kintone-api.md §4.2, §2.2): an action adds 2 to the revision (the action and the status change are two
recorded operations), an assignee change adds 1; records/status.json takes up to 100 records and is atomic;
record/assignees.json takes up to 100 logins (``[]`` clears) and needs the app-management permission. Errors:
process management off → GAIA_ST02, action not available from the current state → GAIA_IL03, caller not an
assignee → GAIA_NT01, unknown user → GAIA_IL26, stale revision → 409 GAIA_CO02. The rules themselves live in
``processflow``.

A missing ``assignee`` where the next state's assignee is chosen from candidates (type ONE) is GAIA_SA01, as measured
on a real Kintone. Kintone's documentation makes ``assignee`` required whenever there is any candidate; the sandbox asks
for it only when there are several unless ``SandboxConfig.status_assignee_required`` is on, since clients written
against earlier versions of the sandbox leave it out. A non-candidate ``assignee`` is CB_VA01 on ``assignee``
(Kintone's code is not documented).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kintone_mcp.query import QuerySyntaxError, parse
from kintone_mcp.sandbox.endpoints.records import check_record_revision, query_context
from kintone_mcp.sandbox.errors import ErrorReply, invalid
from kintone_mcp.sandbox.http.params import to_int
from kintone_mcp.sandbox.http.routing import RequestContext, Router
from kintone_mcp.sandbox.records import processflow
from kintone_mcp.sandbox.records.write import record_not_found
from kintone_mcp.sandbox.store.appstore import AppInfo
from kintone_mcp.sandbox.store.querysql import compile_query
from kintone_mcp.sandbox.store.recordstore import StoredRecord, load_record

router = Router()

MAX_RECORDS = 100
MAX_ASSIGNEES = 100


def _require_process(app: AppInfo) -> None:
    if not app.process_enabled:
        raise ErrorReply(
            400,
            "GAIA_ST02",
            f"Process management is not enabled for app {app.id}: turn it on in the app's process management "
            "settings (preview/app/status.json with enable: true, then deploy) before changing statuses.",
        )


def _unknown_user(login: str, key: str) -> ErrorReply:
    return ErrorReply(
        400,
        "GAIA_IL26",
        f'The user "{login}" does not exist: check {key}; give login names (user codes) of existing users.',
        params={"user": login},
    )


class StatusChanges:
    """Status and assignee changes of one app's records within one request (and its transaction)."""

    def __init__(self, ctx: RequestContext, app: AppInfo) -> None:
        _require_process(app)
        self.ctx = ctx
        self.app = app
        self.process = app.process
        self.directory = processflow.Directory(ctx.conn)
        self.now = ctx.services.now_text()

    def _record(self, item: Mapping[str, Any], prefix: str) -> StoredRecord:
        raw_id = item.get("id")
        if raw_id is None or raw_id == "":
            raise invalid(f"{prefix}id", "Required field.")
        record_id = to_int(raw_id, f"{prefix}id")
        record = load_record(self.ctx.conn, self.app.id, record_id)
        if record is None:
            raise record_not_found(self.app.id, record_id)
        check_record_revision(record, item.get("revision"), f"{prefix}revision")
        return record

    # -- actions -------------------------------------------------------------------------------------------------

    def act(self, item: Mapping[str, Any], prefix: str) -> tuple[int, int]:
        """Run one action on one record; returns (record id, new revision)."""
        name = item.get("action")
        if name is None or name == "":
            raise invalid(f"{prefix}action", "Required field.")
        if not isinstance(name, str):
            raise invalid(f"{prefix}action", "Specify the action's name as a string.")
        record = self._record(item, prefix)
        action = self._action(record, name, prefix)
        self._check_actor(record, action)
        state = str(record.status)
        pending = [u for u in record.assignees if u != self.ctx.login]
        if processflow.assignee_type(self.process, state) == "ALL" and self.ctx.login in record.assignees and pending:
            # Everyone assigned must act before an ALL state moves on: until then an action only records who did.
            revision = record.revision + 1
            processflow.save_status(self.ctx.conn, self.app.id, record, status=record.status, assignees=pending,
                                    revision=revision, modifier=self.ctx.login, now=self.now)
            return record.id, revision
        target = str(action["to"])
        assignees = self._next_assignees(record, target, item.get("assignee"), prefix)
        revision = record.revision + 2
        processflow.save_status(self.ctx.conn, self.app.id, record, status=target, assignees=assignees,
                                revision=revision, modifier=self.ctx.login, now=self.now)
        return record.id, revision

    def _action(self, record: StoredRecord, name: str, prefix: str) -> dict[str, Any]:
        available = processflow.actions_from(self.process, record.status)
        named = [a for a in available if a["name"] == name]
        if not named:
            choices = ", ".join(f'"{a["name"]}"' for a in available) or "none (it is a final state)"
            raise ErrorReply(
                400,
                "GAIA_IL03",
                f'The action "{name}" cannot be performed on record {record.id}: its status is '
                f'"{record.status}", whose actions are {choices}. Read the record again for its current status.',
                params={"action": name},
            )
        if len(named) > 1:
            raise invalid(
                f"{prefix}action",
                f'Several actions named "{name}" leave the status "{record.status}", so the name is ambiguous; '
                "give the actions distinct names in the process management settings.",
            )
        action = named[0]
        condition = str(action.get("filterCond") or "")
        if condition and not self._matches(record, condition):
            raise ErrorReply(
                400,
                "GAIA_IL03",
                f'The action "{name}" cannot be performed on record {record.id}: the record does not meet the '
                f"action's condition ({condition}). Change the record so that it does, or use another action.",
                params={"action": name},
            )
        return action

    def _matches(self, record: StoredRecord, condition: str) -> bool:
        try:
            query = parse(condition)
        except QuerySyntaxError as exc:
            raise ErrorReply(
                400, "GAIA_IL03", f"The action's condition cannot be read ({condition}): fix it in the settings."
            ) from exc
        compiled = compile_query(query, self.app.properties, query_context(self.ctx, self.app))
        return processflow.matches_condition(self.ctx.conn, self.app.id, record.id, compiled.where,
                                             list(compiled.params))

    def _check_actor(self, record: StoredRecord, action: Mapping[str, Any]) -> None:
        login = self.ctx.login
        if not record.assignees or login in record.assignees:
            return
        executable = (action.get("executableUser") or {}).get("entities") or []
        if executable and login in processflow.entity_users(executable, record, self.app.properties,
                                                            self.directory):
            return
        who = "an API token, which acts as Administrator," if self.ctx.principal.uses_token else login
        raise ErrorReply(
            400,
            "GAIA_NT01",
            f'Only an assignee of record {record.id} can perform "{action["name"]}": the assignees are '
            f"{', '.join(record.assignees)}, and {who} is not one of them. Act as an assignee, or change the "
            "assignees first (record/assignees.json).",
            params={"action": action["name"]},
        )

    def _next_assignees(self, record: StoredRecord, target: str, given: Any, prefix: str) -> list[str]:
        state = processflow.states_of(self.process).get(target) or {}
        entities = (state.get("assignee") or {}).get("entities") or []
        candidates = processflow.entity_users(entities, record, self.app.properties, self.directory)
        if processflow.assignee_type(self.process, target) != "ONE":
            return candidates
        key = f"{prefix}assignee"
        if given is None or given == "":
            required = 1 if self.ctx.services.config.status_assignee_required else 2
            if len(candidates) >= required:
                raise ErrorReply(
                    400,
                    "GAIA_SA01",
                    f'Specify the assignee: the status "{target}" takes one of {", ".join(candidates)}; name the '
                    f"one in {key}.",
                    params={"status": target},
                )
            return candidates
        if not isinstance(given, str):
            raise invalid(key, "Specify one login name as a string.")
        if given not in self.directory.users:
            raise _unknown_user(given, key)
        if given not in candidates:
            listed = ", ".join(candidates) if candidates else "nobody (the status has no assignees)"
            raise invalid(key, f'"{given}" cannot be assigned to status "{target}": the candidates are {listed}.')
        return [given]

    # -- assignees -----------------------------------------------------------------------------------------------

    def set_assignees(self, item: Mapping[str, Any]) -> int:
        record = self._record(item, "")
        raw = item.get("assignees")
        if raw is None:
            raise invalid("assignees", "Required field.")
        if not isinstance(raw, list):
            raise invalid("assignees", "Specify a list of login names ([] removes every assignee).")
        if len(raw) > MAX_ASSIGNEES:
            raise invalid("assignees", f"Specify at most {MAX_ASSIGNEES} assignees.")
        logins: list[str] = []
        for i, login in enumerate(raw):
            if not isinstance(login, str) or not login:
                raise invalid(f"assignees[{i}]", "Specify a login name as a string.")
            if login not in self.directory.users:
                raise _unknown_user(login, f"assignees[{i}]")
            if login not in logins:
                logins.append(login)
        revision = record.revision + 1
        processflow.save_status(self.ctx.conn, self.app.id, record, status=record.status, assignees=logins,
                                revision=revision, modifier=self.ctx.login, now=self.now)
        return revision


@router.route("PUT", "record/status.json")
def update_status(ctx: RequestContext) -> dict[str, str]:
    # Viewing the record is the permission Kintone documents; the assignee rule does the rest.
    app = ctx.app_param("view")
    _, revision = StatusChanges(ctx, app).act(ctx.params.data, "")
    return {"revision": str(revision)}


@router.route("PUT", "records/status.json")
def update_statuses(ctx: RequestContext) -> dict[str, Any]:
    app = ctx.app_param("view")
    items = ctx.params.raw("records")
    if items is None or items == []:
        raise invalid("records", "Required field.")
    if not isinstance(items, list):
        raise invalid("records", "Specify a list of {id, action, assignee?, revision?} objects.")
    if len(items) > MAX_RECORDS:
        raise invalid("records", f"A maximum of {MAX_RECORDS} records can be updated at one time.")
    changes = StatusChanges(ctx, app)
    results: list[dict[str, str]] = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise invalid(f"records[{i}]", "Specify each item as {id, action, assignee?, revision?}.")
        record_id, revision = changes.act(item, f"records[{i}].")
        results.append({"id": str(record_id), "revision": str(revision)})
    return {"records": results}


@router.route("PUT", "record/assignees.json")
def update_assignees(ctx: RequestContext) -> dict[str, str]:
    app = ctx.app_param("manage")
    return {"revision": str(StatusChanges(ctx, app).set_assignees(ctx.params.data))}
