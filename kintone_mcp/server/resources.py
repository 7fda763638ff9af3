"""MCP resources: each app's schema at ``kintone://app/{app}/schema``, for hosts that let users attach context."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from mcp.server.mcpserver import Context, MCPServer

from kintone_mcp.server.results import compact_json, dump
from kintone_mcp.server.state import ServerState, state_of
from kintone_mcp.server.tools.app_info.app_schema import build_app_schema

#: each resource -> the tool whose answer it exposes: the resource is offered only when that tool is
RESOURCE_TOOLS = {"app_schema": "get_app", "field_types": "add_fields"}


def register_resources(server: MCPServer[ServerState], offered: Collection[str]) -> None:
    """Registers the resources whose tool is in ``offered`` (the tools the settings let the server offer): a
    resource must not hand out what a tool switched off by KINTONE_TOOLS / KINTONE_DISABLE_TOOLS would have."""
    if RESOURCE_TOOLS["field_types"] in offered:
        _register_field_types(server)
    if RESOURCE_TOOLS["app_schema"] not in offered:
        return

    @server.resource(
        "kintone://app/{app}/schema",
        name="app_schema",
        title="Kintone app schema",
        description="An app's fields, query operators, process states and views (the same as get_app). "
        "{app} is an app id or alias.",
        mime_type="application/json",
    )
    async def app_schema(app: str, ctx: Context[ServerState, Any]) -> str:
        state = state_of(ctx)
        return compact_json(dump(await build_app_schema(state, state.policy.resolve_app(app))))


def _register_field_types(server: MCPServer[ServerState]) -> None:
    @server.resource(
        "kintone://docs/field-types",
        name="field_types",
        title="Kintone field types for add_fields",
        description="The field types add_fields takes and the keys of each, with examples.",
        mime_type="text/markdown",
    )
    def field_types() -> str:
        # Kept here, read on demand, rather than in every tools/list: the reference a model needs only when it
        # designs a form (the official server advertises ~40 KB of schema per field tool instead).
        from kintone_mcp.server.tools.apps._field_doc import FIELD_TYPES_DOC

        return FIELD_TYPES_DOC
