"""``explore_app``: get to know an app before using it: its fields, process, views and a few real records."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from kintone_mcp.server.prompts._common import PromptSpec, app_label, message, resolve_app
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import Ctx

AppName = Annotated[str, Field(description="The app: its name, id or alias.")]


async def explore_app(ctx: Ctx, app: AppName) -> str:
    """Get to know a Kintone app before working with it: what its fields mean, how records move through its process,
    its saved views, and a few real records."""
    entry = await resolve_app(state_of(ctx), app)
    return message(f"""\
I want to work with the Kintone app {app_label(entry)}. Before we use it, show me what it holds:

1. Call get_app for app {entry.id}. Summarise its fields as a short table (label, field code, type; required ones
   marked; the options of choice fields), then its process management states and actions, if any, and its views.
2. Call get_records with limit 3 and show those records briefly, so I can see what real values look like.
3. If it has a choice or status field, call aggregate_records grouped by it to show how records are spread.
4. End with three questions this app could answer for me, phrased as I would ask them.

Use field codes in tool calls but labels when you talk to me. Change nothing.""")


SPEC = PromptSpec(explore_app, "Explore an app", completes={"app": "app"}, needs=frozenset({"get_app"}), toolset="core")
