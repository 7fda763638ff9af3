"""``triage``: the open process-management items assigned to a user (the signed-in one by default), in order, with
the next action proposed for each."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from kintone_mcp.query import quote
from kintone_mcp.server.lookups import process_states, ranked, users
from kintone_mcp.server.prompts._common import (
    PromptSpec,
    app_label,
    field_of_type,
    kintone,
    message,
    refuse,
    resolve_app,
    write_note,
)
from kintone_mcp.server.state import ServerState, state_of
from kintone_mcp.server.tools.arguments import Ctx


async def _user_code(state: ServerState, given: str) -> str:
    """The user code ``given`` is, checked against the directory when the connection can read it."""
    code = given.strip()
    if not state.options.user_api:
        return code  # API tokens cannot read users: Kintone itself will refuse an unknown code in the query
    people = await kintone(users(state))
    if any(c.value == code for c in people):
        return code
    near = ranked(people, code)[:5]
    hint = f" Did you mean {' or '.join(near)}?" if near else ""
    refuse(f"No user has the code {code!r} (the login name).{hint}")


async def triage(
    ctx: Ctx,
    app: Annotated[str, Field(description="An app with process management: its name, id or alias.")],
    status: Annotated[str | None, Field(description="Only items in this status.")] = None,
    user: Annotated[str | None, Field(description="Whose items (a user code); default: me.")] = None,
) -> str:
    """Triage the open items of an app's process that are assigned to me (or to a user): what each is, how urgent,
    and the next action."""
    state = state_of(ctx)
    entry = await resolve_app(state, app)
    states = await kintone(process_states(state, entry.id))
    if not states:
        refuse(f"{entry.name} (app {entry.id}) does not use process management, so nothing is assigned in it.")
    properties = await kintone(state.fields(entry.id))
    status_field = field_of_type(properties, "STATUS") or "Status"
    assignee_field = field_of_type(properties, "STATUS_ASSIGNEE") or "Assignee"
    who = "LOGINUSER()" if not user else quote(await _user_code(state, user))
    query = f"{assignee_field} in ({who})"
    if status:
        if status.strip() not in states:
            refuse(f"{entry.name} has no status {status.strip()!r}; its statuses: {', '.join(states)}.")
        query += f" and {status_field} in ({quote(status.strip())})"
    whose = "me" if not user else f"the user {user.strip()}"
    act = write_note(state.policy, "update_status", "records", "propose each next action; do not try to take it.")
    return message(f"""\
Triage the items of the Kintone app {app_label(entry)} that are waiting for {whose}.

1. Call get_app for app {entry.id} if you do not know its fields: the process goes {" → ".join(states)}.
2. Call get_records with the query `{query} order by $id asc` (oldest first) and only the fields that say what
   an item is, who it is for and when it is due. Page on with `next` if there are more.
3. Group the items by urgency (overdue or due soon first, then by priority if the app has one) and give each one
   line: record id, what it is, its status, and the next action (one of the process actions from its status).
4. Ask me which to act on; take an action (update_status) only after I say so.{act}""")


SPEC = PromptSpec(
    triage,
    "Triage my open items",
    completes={"app": "app", "status": "status", "user": "user"},
    needs=frozenset({"get_app", "get_records"}),
)
