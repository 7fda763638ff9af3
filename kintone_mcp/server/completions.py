"""``completion/complete``: live values for every prompt argument that names an app, a field, a view, a status or a
user, and for the ``app`` of the ``kintone://app/{app}/schema`` resource template.

Values come from what the connection can see, with the app allow / deny lists applied (``lookups``); a field, view
or status completes from the app already chosen (the request's context arguments, else the default app). At most
``MAX_VALUES`` values are sent (the MCP limit), with ``total`` and ``hasMore``. A completion that cannot be made (no
app chosen yet, an app the lists block, Kintone failing) answers no values: a menu being typed into is no place for
an error, and the prompt itself explains when it is run.

Registered on the low-level server because the SDK's ``@completion()`` decorator does not hand the handler its
request context, and completing from live data needs the lifespan's state (docs/mcp-sdk.md §1.7).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp.types import (
    INVALID_PARAMS,
    CompleteRequestParams,
    CompleteResult,
    Completion,
    PromptReference,
    ResourceTemplateReference,
)

from kintone_mcp.client.errors import KintoneError
from kintone_mcp.server import lookups
from kintone_mcp.server.lookups import Choice, ranked
from kintone_mcp.server.policy import AppNotAllowedError
from kintone_mcp.server.prompts import FIELD_KINDS, PromptSpec
from kintone_mcp.server.state import ServerState

logger = logging.getLogger(__name__)

#: the most values one completion may carry (MCP: "must not exceed 100 items")
MAX_VALUES = 100
SCHEMA_TEMPLATE = "kintone://app/{app}/schema"


def register_completions(server: MCPServer[ServerState], prompts: Mapping[str, PromptSpec]) -> None:
    async def handle(ctx: ServerRequestContext[ServerState, Any], params: CompleteRequestParams) -> CompleteResult:
        kind = await _kind_of(server, prompts, params)
        values: list[str] = []
        if kind is not None:
            context = (params.context.arguments if params.context else None) or {}
            try:
                values = ranked(await _choices(ctx.lifespan_context, kind, context), params.argument.value)
            except (KintoneError, AppNotAllowedError, MCPError) as exc:
                logger.info("no completions for %s: %s", params.argument.name, type(exc).__name__)
        return CompleteResult(
            completion=Completion(values=values[:MAX_VALUES], total=len(values), has_more=len(values) > MAX_VALUES)
        )

    server._lowlevel_server.add_request_handler("completion/complete", CompleteRequestParams, handle)


async def _kind_of(
    server: MCPServer[ServerState], prompts: Mapping[str, PromptSpec], params: CompleteRequestParams
) -> str | None:
    """What the argument names ("app", "text_field", …), or None for one that takes free text. An unknown prompt
    or resource is refused, as the protocol asks."""
    ref = params.ref
    if isinstance(ref, PromptReference):
        spec = prompts.get(ref.name)
        if spec is None:
            raise MCPError(code=INVALID_PARAMS, message=f"No prompt is named {ref.name!r}.")
        return spec.completes.get(params.argument.name)
    assert isinstance(ref, ResourceTemplateReference)
    templates = {t.uri_template for t in await server.list_resource_templates()}
    if ref.uri not in templates:
        raise MCPError(code=INVALID_PARAMS, message=f"No resource template is {ref.uri!r}.")
    return "app_uri" if ref.uri == SCHEMA_TEMPLATE and params.argument.name == "app" else None


async def _choices(state: ServerState, kind: str, context: Mapping[str, str]) -> list[Choice]:
    if kind in ("app", "app_uri"):
        return lookups.app_choices(await lookups.apps(state), uri_safe=kind == "app_uri")
    if kind == "user":
        return await lookups.users(state)
    app_id = await _context_app(state, context.get("app"))
    if app_id is None:
        return []
    if kind == "view":
        return [Choice(name, (name,)) for name, _ in await lookups.views(state, app_id)]
    if kind == "status":
        return [Choice(name, (name,)) for name in await lookups.process_states(state, app_id)]
    return lookups.field_choices(await state.fields(app_id), FIELD_KINDS.get(kind))


async def _context_app(state: ServerState, given: str | None) -> int | None:
    """The app the arguments chosen so far name (id, alias or name, as the prompts take it), or the default app;
    None when there is none. An app the lists block raises AppNotAllowedError (no values)."""
    text = (given or "").strip()
    policy = state.policy
    if not text:
        return policy.resolve_app(None) if policy.default_app is not None else None
    if lookups.names_id_or_alias(policy, text):
        return policy.resolve_app(text)
    hits = [
        e.id for e in await lookups.apps(state) if lookups.fold(text) in (lookups.fold(e.name), lookups.fold(e.code))
    ]
    return hits[0] if len(hits) == 1 else None
