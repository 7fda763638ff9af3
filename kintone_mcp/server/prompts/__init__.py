"""Prompts: tasks a person picks from the host's menu, each one message that sets the model to work with our tools.

One module per prompt, ending with its ``SPEC`` (``_common.PromptSpec``: title, which arguments name apps, fields,
views, statuses or users, so that completions offer live values, and the tools it cannot do without). A prompt is
offered only when every tool it needs is (so ``design_app`` appears only with the ``apps`` toolset and writes
allowed); a prompt whose optional last step writes says so when this server cannot write.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, GetPromptRequestParams

from kintone_mcp.server.icons import toolset_icons
from kintone_mcp.server.prompts import design_app, explore_app, inconsistent_values, report, triage
from kintone_mcp.server.prompts._common import FIELD_KINDS, PromptSpec, StrictPrompt
from kintone_mcp.server.state import ServerState

__all__ = ["ALL_PROMPTS", "FIELD_KINDS", "PromptSpec", "register_prompts"]

ALL_PROMPTS: list[PromptSpec] = [explore_app.SPEC, report.SPEC, triage.SPEC, inconsistent_values.SPEC, design_app.SPEC]


def register_prompts(server: MCPServer[ServerState], offered: Collection[str]) -> dict[str, PromptSpec]:
    """Registers the prompts whose tools are all ``offered`` (the tools the policy lets the server offer, so
    read-only mode, toolsets and tool lists decide); returns them by name, for completions."""
    registered = {}
    for spec in ALL_PROMPTS:
        if not spec.needs <= set(offered):
            continue
        server.add_prompt(
            StrictPrompt.from_function(
                spec.fn,
                name=spec.name,
                title=spec.title,
                description=" ".join((spec.fn.__doc__ or "").split()),
                icons=toolset_icons(spec.toolset),
            )
        )
        registered[spec.name] = spec
    _name_unknown_prompts(server, registered)
    return registered


def _name_unknown_prompts(server: MCPServer[ServerState], registered: Collection[str]) -> None:
    """A prompts/get for a prompt not offered (design_app without the apps toolset) is refused with the names that
    are, where the SDK answers "Internal server error". Wraps the SDK's own handler, which does the rest."""
    sdk_handler = server._handle_get_prompt

    async def get_prompt(ctx: ServerRequestContext[ServerState, Any], params: GetPromptRequestParams) -> Any:
        if params.name not in registered:
            offered = ", ".join(registered) or "none"
            raise MCPError(code=INVALID_PARAMS, message=f"No prompt is named {params.name!r} here; prompts: {offered}.")
        return await sdk_handler(ctx, params)

    server._lowlevel_server.add_request_handler("prompts/get", GetPromptRequestParams, get_prompt)
