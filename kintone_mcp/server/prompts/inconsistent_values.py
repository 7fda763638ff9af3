"""``inconsistent_values``: find the ways one thing was written differently in a field ("(株)アオバ" and
"株式会社アオバ", "Tokyo" and "tokyo "), and propose one spelling for each."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from kintone_mcp.server.prompts._common import (
    TEXTUAL,
    PromptSpec,
    app_label,
    message,
    resolve_app,
    resolve_field,
    write_note,
)
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import Ctx


async def inconsistent_values(
    ctx: Ctx,
    app: Annotated[str, Field(description="The app: its name, id or alias.")],
    field: Annotated[str, Field(description="The field to check (code or label): text or choice.")],
) -> str:
    """Find values of a field that mean the same thing but are written differently, with how many records have each,
    and propose one spelling for each group."""
    state = state_of(ctx)
    entry = await resolve_app(state, app)
    code, prop = await resolve_field(state, entry, field, TEXTUAL)
    label = prop.get("label") or code
    fix = write_note(
        state.policy, "update_records", "records", "list the changes as a table I can apply myself, and stop there."
    )
    return message(f"""\
Check the field {label} ({code}) of the Kintone app {app_label(entry)} for values that mean the same thing but are
written differently.

1. Call aggregate_records for app {entry.id} with group_by ["{code}"] and limit 200: every distinct value with its
   record count. If the answer is cut, say how many values were left out.
2. Group the values that are the same thing: case, full-width and half-width forms (ＡＢＣ / ABC, ｶﾅ / カナ), spaces,
   company forms (株式会社 / (株) / Inc.), abbreviations and typos. Leave alone values that only look alike.
3. Show each group as a table: the spellings, their counts, and the one to keep (the most common, unless it is
   clearly wrong). Give two or three record ids of each spelling to change (get_records with a filter on {code}).
4. Ask me before changing anything; then change only the records I approve, with update_records.{fix}""")


SPEC = PromptSpec(
    inconsistent_values,
    "Find inconsistent values",
    completes={"app": "app", "field": "text_field"},
    needs=frozenset({"aggregate_records", "get_records"}),
)
