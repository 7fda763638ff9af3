"""``design_app``: design a new app from a description, agree on it with the person, then build and deploy it.
Offered only when the ``apps`` toolset is on and writes are allowed."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from kintone_mcp.server.prompts._common import PromptSpec, message
from kintone_mcp.server.tools.arguments import Ctx


async def design_app(
    ctx: Ctx,
    description: Annotated[
        str, Field(description='What the app is for, e.g. "track equipment loans: who, what, due back".')
    ],
    name: Annotated[str | None, Field(description="The app's name (default: one you propose).")] = None,
) -> str:
    """Design a Kintone app from a description: propose its fields, views and process, and build it once I agree."""
    named = f' named "{name.strip()}"' if name and name.strip() else ""
    return message(f"""\
Design a Kintone app{named} for this: {description.strip()}

1. Propose the design first and change nothing yet: a table of fields (label in my language, a short ASCII field
   code, type, required, options for choice fields), one or two list views, and a process (states and actions) only
   if the description involves steps or approvals. Use Kintone's own types: DROP_DOWN for one choice, USER_SELECT
   for people, DATE for dates, SUBTABLE for repeating rows. Read kintone://docs/field-types for the keys of each.
2. Wait for me to agree or to change it.
3. Then build it: create_app, add_fields, update_views, update_process if agreed, and deploy_app, which makes the
   changes live. If a call fails, fix what its error names and go on; never start over with a second app.
4. Tell me the new app's id, and what to try first.""")


SPEC = PromptSpec(
    design_app,
    "Design an app",
    needs=frozenset({"create_app", "add_fields", "deploy_app"}),
    toolset="apps",
)
