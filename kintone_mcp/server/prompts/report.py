"""``report``: answer a question about an app's records with figures: aggregate first, read records only as examples."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from kintone_mcp.query import quote
from kintone_mcp.server.lookups import fold, views
from kintone_mcp.server.prompts._common import (
    GROUPABLE,
    PromptSpec,
    app_label,
    kintone,
    message,
    refuse,
    resolve_app,
    resolve_field,
)
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import Ctx


async def report(
    ctx: Ctx,
    app: Annotated[str, Field(description="The app: its name, id or alias.")],
    question: Annotated[
        str, Field(description='What the report should answer, e.g. "won deals per owner this quarter".')
    ],
    group_by: Annotated[str | None, Field(description="A field to break the figures down by (code or label).")] = None,
    view: Annotated[str | None, Field(description="Only the records of this saved view.")] = None,
) -> str:
    """A report on an app's records: the figures come from aggregating every matching record, and only a few records
    are read, as examples."""
    state = state_of(ctx)
    entry = await resolve_app(state, app)
    lines = [f"Write a short report on the Kintone app {app_label(entry)} that answers: {question.strip()}", ""]
    steps = ["Call get_app for the field codes, types and options you need (skip it if you already have them)."]
    if group_by:
        code, _ = await resolve_field(state, entry, group_by, GROUPABLE)
        steps.append(f"Break the figures down by the field {code}.")
    if view:
        saved = await kintone(views(state, entry.id))
        chosen = next(((n, c) for n, c in saved if fold(n) == fold(view)), None)
        if chosen is None:
            names = ", ".join(repr(n) for n, _ in saved) or "none"
            refuse(f"{entry.name} has no view named {view.strip()!r}; its views: {names}.")
        name, condition = chosen
        steps.append(
            f"Only the records of the view {quote(name)}"
            + (f": pass its condition as the query, {condition}" if condition else " (it has no filter: every record)")
            + "."
        )
    steps += [
        "Get every figure with aggregate_records (count, sum, avg, min, max, grouped as needed; date fields by month "
        "or quarter, e.g. close_date:month). Never count or add up records you have read yourself.",
        "Only then read 3 to 5 records with get_records, asking only for the fields that illustrate the figures.",
        "Write the report: the answer first, then a small table of the figures, the examples, and the query used. "
        "If an answer says records were cut or not all scanned, say so.",
    ]
    lines += [f"{i}. {s}" for i, s in enumerate(steps, 1)]
    return message("\n".join(lines))


SPEC = PromptSpec(
    report,
    "Report on records",
    completes={"app": "app", "group_by": "group_field", "view": "view"},
    needs=frozenset({"aggregate_records", "get_records"}),
)
