"""When nothing matched a condition on the process-management status: was the status spelt as the app spells it?

Kintone compares status names exactly, so ``Status = "in progress"`` matches nothing where the state is called
"In progress", and a silent zero reads as "no such tickets". Drop-down options are checked before sending (the
field list holds them); states are not in the field list, so they are read (one call) only once a query has matched
nothing and names a status.
"""

from __future__ import annotations

from kintone_mcp.client.errors import ApiError
from kintone_mcp.query.ast import And, Condition, Expr, Or, StringLit
from kintone_mcp.server.fieldinfo import Properties, field_type
from kintone_mcp.server.state import ServerState


def _status_values(where: Expr | None, properties: Properties) -> list[str]:
    found: list[str] = []

    def walk(expr: Expr | None) -> None:
        if isinstance(expr, And | Or):
            for item in expr.items:
                walk(item)
        elif isinstance(expr, Condition) and (field_type(properties, expr.field.code) or ("", None))[0] == "STATUS":
            found.extend(v.value for v in expr.values if isinstance(v, StringLit))

    walk(where)
    return found


async def status_hint(state: ServerState, app_id: int, where: Expr | None, properties: Properties) -> str | None:
    """For a query that matched nothing: the status values it names that are not states of the app, with the state
    they probably mean. None when every value is a state, or the states cannot be read."""
    values = _status_values(where, properties)
    if not values:
        return None
    try:
        settings = await state.client.get_process_settings(app_id)
    except ApiError:
        return None
    states = [s.name for s in settings.ordered_states()]
    if not states:
        return None
    folded = {s.casefold(): s for s in states}
    wrong = []
    for value in dict.fromkeys(values):
        if value in states:
            continue
        meant = folded.get(value.casefold())
        wrong.append(f"{value!r}" + (f" (did you mean {meant!r}?)" if meant else ""))
    if not wrong:
        return None
    return (
        f"Nothing matched, and the status is compared exactly: {', '.join(wrong)} is not a state of this app. "
        f"Its states: {', '.join(repr(s) for s in states)}."
    )
