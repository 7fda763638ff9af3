"""The ``update_process`` tool: process management (on/off, states with assignees, actions) in an app's preview."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from mcp.types import CallToolResult
from pydantic import BaseModel, ConfigDict, Field

from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import ServerState, state_of
from kintone_mcp.server.tools.arguments import Ctx
from kintone_mcp.server.tools.confirming import app_named, counted, names_shown
from kintone_mcp.server.tools.spec import Effect, ToolSpec, write


class StateDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64)
    assignee_mode: Literal["one", "all", "any"] = Field("one", description="one acts, all must, or any may")
    users: list[str] = Field(default_factory=list)
    groups: list[str] = Field(default_factory=list)
    organizations: list[str] = Field(default_factory=list)
    fields: list[str] = Field(default_factory=list, description="user-picker fields")
    creator: bool = False


class ActionDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    source: str = Field(alias="from")
    to: str
    condition: str = Field("", description="query condition")


class ProcessUpdated(Out):
    app: int
    enabled: bool
    states: list[str]
    actions: list[str]
    removed_states: list[str] | None = None
    revision: int
    note: str


def _entities(s: StateDef) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"entity": {"type": "CREATOR"}}] if s.creator else []
    for kind, codes in (("USER", s.users), ("GROUP", s.groups), ("ORGANIZATION", s.organizations),
                        ("FIELD_ENTITY", s.fields)):
        out += [{"entity": {"type": kind, "code": code}, "includeSubs": False} for code in codes]
    return out


async def update_process(
    ctx: Ctx,
    app: Annotated[int | str, Field(description="App id or alias.")],
    enable: bool | None = None,
    states: Annotated[
        list[StateDef] | None, Field(max_length=64, description="In order; records start in the first.")
    ] = None,
    actions: Annotated[list[ActionDef] | None, Field(max_length=256)] = None,
) -> Annotated[CallToolResult, ProcessUpdated]:
    """Set process management (preview; deploy_app makes it live): on/off, states with their assignees, actions
    between states. states and actions replace the current ones whole; a state left out is deleted."""
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    if enable is None and states is None and actions is None:
        raise ToolInputError("Nothing to change: give enable, states or actions.")
    current = await state.client.get_process_settings(app_id, preview=True)
    current_names = [s.name for s in current.ordered_states()]
    names = [s.name for s in states] if states is not None else current_names
    problems: list[str] = []
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"the state {dup!r} is given twice.")
    properties = dict((await state.client.get_fields(app_id, preview=True)).raw())
    pickers = {c for c, p in properties.items() if p.get("type") == "USER_SELECT"}
    for s in states or ():
        for code in s.fields:
            if code not in pickers:
                problems.append(f"{s.name}: {code!r} is no user-picker field of the app (pickers: {sorted(pickers)}).")
    for a in actions or ():
        for end in (a.source, a.to):
            if end not in names:
                problems.append(f"the action {a.name!r} names the state {end!r}, which is not among {names}.")
        if a.source == a.to:
            problems.append(f"the action {a.name!r} goes from {a.source!r} to itself.")
    turned_on = enable if enable is not None else current.enable
    if turned_on and not names:
        problems.append("process management needs at least one state to be on.")
    if problems:
        raise ToolInputError("Nothing was sent:\n- " + "\n- ".join(problems))
    body: dict[str, Any] = {}
    if enable is not None:
        body["enable"] = enable
    if states is not None:
        body["states"] = {
            s.name: {"name": s.name, "index": str(i),
                     "assignee": {"type": s.assignee_mode.upper(), "entities": _entities(s)}}
            for i, s in enumerate(states)
        }
    if actions is not None:
        body["actions"] = [{"name": a.name, "from": a.source, "to": a.to, "filterCond": a.condition}
                           for a in actions]
    revision = await state.client.update_process_settings(app_id, body, revision=current.revision or -1)
    after = await state.client.get_process_settings(app_id, preview=True)
    removed = [n for n in current_names if n not in names]
    note = f"Changed in preview; deploy_app (apps=[{app_id}]) makes it live."
    if removed:
        note += (
            f" The states {removed} are deleted at the deploy: records in them now should be looked at first "
            "(get_records with a filter on Status)."
        )
    return ok(
        ProcessUpdated(
            app=app_id,
            enabled=after.enable,
            states=[s.name for s in after.ordered_states()],
            actions=[a.name for a in after.actions or ()],
            removed_states=removed or None,
            revision=revision,
            note=note,
        )
    )


async def confirm_update_process(
    ctx: Ctx,
    app: int | str,
    enable: bool | None = None,
    states: list[StateDef] | None = None,
    actions: list[ActionDef] | None = None,
) -> Effect:
    """Destructive when states given leave current ones out (the deploy deletes them): "Change the process of Deals
    (app 2), deleting the states Review, Done (12 records are in them now)?"."""
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    where = await app_named(state, app_id)
    current = await state.client.get_process_settings(app_id, preview=True)
    given = {s.name for s in states or ()}
    removed = [s.name for s in current.ordered_states() if s.name not in given] if states is not None else []
    if not removed:
        return Effect(f"Change the process management of {where} (preview until deploy_app)?", destructive=False)
    return Effect(
        f"Change the process management of {where}, deleting the {'state' if len(removed) == 1 else 'states'} "
        f"{names_shown(removed)}{await _in_states(state, app_id, removed)}? deploy_app makes it live."
    )


async def _in_states(state: ServerState, app_id: int, names: list[str]) -> str:
    """ " (12 records are in them now)", counted through the app's status field; "" when it cannot be counted."""
    from kintone_mcp.client.errors import KintoneError

    try:
        live = dict((await state.client.get_fields(app_id)).raw())
        code = next((c for c, p in live.items() if p.get("type") == "STATUS"), None)
        if code is None:
            return ""
        listed = ", ".join(json.dumps(n, ensure_ascii=False) for n in names)
        query = f"{code} in ({listed}) limit 1"
        page = await state.client.get_records(app_id, query=query, fields=["$id"], total_count=True)
    except KintoneError:
        return ""
    n = page.total_count or 0
    return f" ({counted(n, 'record is', 'records are')} in {'it' if len(names) == 1 else 'them'} now)"


SPEC: ToolSpec = write(
    update_process,
    "Change an app's process management",
    summary="Turn process management on or off; set its states, assignees (who, one/all/any) and actions",
    idempotent=True,
    destructive=True,
    toolset="apps",
    confirm=confirm_update_process,
)
