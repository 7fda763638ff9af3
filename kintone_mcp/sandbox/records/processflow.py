"""Process management rules applied to one record: which action runs, who may run it, who is assigned next.

Settings are the app's LIVE ``status`` settings (``app/status.json`` form, written through
``preview/app/status.json`` and deployed). Facts from docs/kintone-api.md §4.2 and the record/status.json page:

* An action is chosen by name among the actions leaving the record's current state; its ``filterCond`` (a query
  condition) must match the record.
* The caller must be one of the record's assignees, unless the record has none; an action with ``executableUser``
  may also be run by the users it names. API tokens act as Administrator.
* The next state's assignees come from its entities. With type ONE the caller picks one of the candidates
  (``assignee``); the first state (lowest index) always behaves as ONE. ALL and ANY assign every candidate.

Unconfirmed details, chosen here and named in the README: a ONE state with exactly one candidate takes it without
``assignee``; in an ALL state each assignee's action only removes them from the assignees (revision +1) until the
last one moves the record on; CUSTOM_FIELD entities resolve to nobody.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from kintone_mcp.sandbox.store import recordstore
from kintone_mcp.sandbox.store.appdefs import JsonDict
from kintone_mcp.sandbox.store.directory import group_members, org_members, org_parents, valid_users
from kintone_mcp.sandbox.store.recordstore import StoredRecord


def states_of(process: Mapping[str, Any]) -> dict[str, JsonDict]:
    states: dict[str, JsonDict] = process.get("states") or {}
    return states


def is_first_state(process: Mapping[str, Any], name: str) -> bool:
    states = states_of(process)
    if name not in states:
        return False
    return int(states[name]["index"]) == min(int(s["index"]) for s in states.values())


def assignee_type(process: Mapping[str, Any], name: str) -> str:
    """ONE, ALL or ANY; the first state always answers ONE, as Kintone's own API reports it."""
    if is_first_state(process, name):
        return "ONE"
    state = states_of(process).get(name) or {}
    return str((state.get("assignee") or {}).get("type", "ONE"))


def actions_from(process: Mapping[str, Any], state: str | None) -> list[JsonDict]:
    return [a for a in process.get("actions") or [] if a.get("from") == state]


class Directory:
    """The users, group members and organisation members that entities expand to, read once per request."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.users = valid_users(conn)
        self._org_parent = org_parents(conn)

    def group_members(self, code: str) -> list[str]:
        return group_members(self.conn, code)

    def org_members(self, code: str, *, include_subs: bool) -> list[str]:
        orgs = [code]
        if include_subs:
            orgs += [c for c in self._org_parent if c != code and self._descends_from(c, code)]
        members: list[str] = []
        for org in orgs:
            members += org_members(self.conn, org)
        return members

    def _descends_from(self, org: str, ancestor: str) -> bool:
        seen: set[str] = set()
        parent = self._org_parent.get(org)
        while parent is not None and parent not in seen:
            if parent == ancestor:
                return True
            seen.add(parent)
            parent = self._org_parent.get(parent)
        return False


def entity_users(
    entities: Iterable[Mapping[str, Any]],
    record: StoredRecord,
    props: Mapping[str, Any],
    directory: Directory,
) -> list[str]:
    """The existing users an assignee / executableUser entity list names, in order, without duplicates."""
    result: list[str] = []
    for item in entities:
        entity = item.get("entity") or {}
        etype, code = entity.get("type"), entity.get("code")
        include_subs = bool(item.get("includeSubs"))
        users: list[str] = []
        if etype == "USER" and code:
            users = [str(code)]
        elif etype == "CREATOR":
            users = [record.creator]
        elif etype == "GROUP" and code:
            users = directory.group_members(str(code))
        elif etype == "ORGANIZATION" and code:
            users = directory.org_members(str(code), include_subs=include_subs)
        elif etype == "FIELD_ENTITY" and code:
            users = _field_users(str(code), record, props, directory, include_subs=include_subs)
        for user in users:
            if user in directory.users and user not in result:
                result.append(user)
    return result


def _field_users(
    code: str, record: StoredRecord, props: Mapping[str, Any], directory: Directory, *, include_subs: bool
) -> list[str]:
    prop = props.get(code) or {}
    ftype = prop.get("type")
    if ftype == "CREATOR":
        return [record.creator]
    if ftype == "MODIFIER":
        return [record.modifier]
    value = record.data.get(code)
    codes = [str(v) for v in value] if isinstance(value, list) else []
    if ftype == "ORGANIZATION_SELECT":
        return [u for org in codes for u in directory.org_members(org, include_subs=include_subs)]
    if ftype == "GROUP_SELECT":
        return [u for group in codes for u in directory.group_members(group)]
    return codes


def matches_condition(conn: sqlite3.Connection, app: int, record_id: int, where: str, params: list[object]) -> bool:
    return recordstore.matches(conn, app, record_id, where, params)


def save_status(
    conn: sqlite3.Connection,
    app: int,
    record: StoredRecord,
    *,
    status: str | None,
    assignees: list[str],
    revision: int,
    modifier: str,
    now: str,
) -> None:
    recordstore.update_status(
        conn, app, record.id, status=status, assignees=assignees, revision=revision, modifier=modifier, updated_at=now
    )
