"""The ``test_connection`` tool: the connection checked step by step, for a model that meets errors it cannot
explain (and for first-time setup).
"""

from __future__ import annotations

from typing import Annotated

from mcp.types import CallToolResult

from kintone_mcp.server.results import ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import Ctx
from kintone_mcp.server.tools.connection.report import ConnectionReport
from kintone_mcp.server.tools.spec import ToolSpec, read
from kintone_mcp.settings import ConfigurationError


async def test_connection(ctx: Ctx) -> Annotated[CallToolResult, ConnectionReport]:
    """Check the Kintone connection step by step: address, TLS, credentials, usable apps, records, users.

    Use it when calls fail with authentication, permission or network errors, or when asked whether the setup
    works. A failed step carries the fix to tell the user.
    """
    # Imported here: it is only needed when the tool runs, and the server imports this module before it starts.
    from kintone_mcp.server.tools.connection.diagnose import diagnose, unusable_configuration

    state = state_of(ctx)
    try:
        client = state.client
    except ConfigurationError as exc:
        return ok(unusable_configuration(state.options, state.policy, exc.problems))
    return ok(await diagnose(client, state.options, state.policy))


SPEC: ToolSpec = read(
    test_connection,
    "Check the Kintone connection",
    summary=(
        "Checks address, answer, TLS, credentials, usable apps, record permissions and User API access step "
        "by step; each failed step carries its fix"
    ),
    toolset="core",
)
