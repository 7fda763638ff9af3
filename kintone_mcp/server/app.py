"""The MCP server object: which tools are offered (policy), how they are advertised (slim schemas), how failures
are answered (one place), and the lifespan that owns the Kintone client.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

import pydantic
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, InputRequiredResult
from mcp.types import Tool as MCPTool

from kintone_mcp import __version__
from kintone_mcp.server import needs
from kintone_mcp.server.errors import describe
from kintone_mcp.server.policy import Policy
from kintone_mcp.server.results import failure
from kintone_mcp.server.schema_slim import slim
from kintone_mcp.server.state import REQUEST_STATE, ServerOptions, ServerState
from kintone_mcp.server.strict import refusal, unknown_keys

if TYPE_CHECKING:
    from kintone_mcp.client import KintoneClient

    # Only named in annotations: importing the tools package loads every tool, which build_server does when called.
    from kintone_mcp.server.tools.spec import ToolSpec

logger = logging.getLogger(__name__)

INSTRUCTIONS = """\
Kintone holds business data in apps (numbered tables) of records. Start with list_apps, then get_app to learn an \
app's field codes, types, options and the query operators each field allows; use field codes (not labels) \
everywhere. A tool's `app` takes an app id or alias; left out, it is the default app, if one is configured. Read \
with get_records (prefer the structured `filter`; pass `next` to page) and summarise with aggregate_records \
instead of reading many records. Records use plain values: numbers as numbers, dates as \
"YYYY-MM-DD", users/organizations/groups as codes (list_users finds them), subtables as lists of row objects \
(keep a row's "$id" to update it). Writes are checked against the app's schema first; on an error, read it: it says \
which field is wrong and what would be accepted."""


class KintoneMCPServer(MCPServer[ServerState]):
    """MCPServer with lean advertised schemas and model-facing error results."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        with _sdk_logging_skipped_when_configured():
            super().__init__(*args, **kwargs)
        self._listed: list[MCPTool] | None = None
        #: tools advertised from the shipped advertisement but not built yet: built at their first call
        self.deferred: dict[str, ToolSpec] = {}
        self._schemas: dict[str, dict[str, Any]] | None = None
        #: tools the settings leave out -> why, so that a call to one is answered with the reason, not "unknown"
        self.withheld: dict[str, str] = {}
        #: tool name -> (toolset, writes): what a request's narrowed policy is checked against (remote mode)
        self.kinds: dict[str, tuple[str, bool]] = {}
        #: the offered tools' specs by name: what confirmation of a call reads (server/confirm.py)
        self.specs: dict[str, ToolSpec] = {}

    def _narrowed_out(self, name: str) -> str | None:
        """Why the request's own policy (narrowed by X-MCP-* headers, remote mode) leaves this tool out."""
        request = REQUEST_STATE.get()
        if request is None or name not in self.kinds:
            return None
        toolset, writes = self.kinds[name]
        if request.policy.tool_enabled(name, writes=writes, toolset=toolset):
            return None
        why = "read-only" if writes and request.policy.read_only else f"limited to other toolsets than {toolset!r}"
        return (
            f"{name} is not offered on this connection: its X-MCP-* headers make it {why}. Tell the user; the "
            "connector's settings in the assistant decide these headers."
        )

    async def list_tools(self) -> list[MCPTool]:
        # The tool set is fixed at start-up, so the slimmed list is computed once, on first demand. Output schemas
        # are advertised as their outline (schema_outline: the top level, typed).
        if self._listed is None:
            self._listed = [
                t.model_copy(
                    update={
                        "input_schema": slim(t.input_schema, "input"),
                        "output_schema": slim(t.output_schema, "output"),
                    }
                )
                for t in await super().list_tools()
            ]
        if REQUEST_STATE.get() is not None:
            return [t for t in self._listed if self._narrowed_out(t.name) is None]
        return self._listed

    async def run_stdio_async(self) -> None:
        """Stdio with an answer for every malformed line, where the SDK's transport drops them (server/stdio.py)."""
        from kintone_mcp.server.stdio import serve_stdio

        await serve_stdio(self._lowlevel_server)

    async def _input_schema(self, name: str) -> dict[str, Any] | None:
        """The advertised (slimmed) input schema of a tool: what the strictness check holds arguments to."""
        if self._schemas is None:
            await self.list_tools()
            self._schemas = {t.name: t.input_schema for t in self._listed or []}
        return self._schemas.get(name)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[ServerState, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        if name in self.withheld:
            return failure(self.withheld[name])
        if (narrowed := self._narrowed_out(name)) is not None:
            return failure(narrowed)
        spec = self.deferred.pop(name, None)
        if spec is not None:
            add_tool(self, spec)
        schema = await self._input_schema(name)
        if schema is not None and (problems := list(unknown_keys(schema, arguments or {}))):
            logger.info("tool %s refused: unknown arguments", name)
            return failure(shorten_echoes(refusal(name, problems), arguments))
        try:
            if (instead := await self._confirmation(name, arguments or {}, context)) is not None:
                return instead
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            return _error_result(name, exc, arguments)

    async def _confirmation(
        self, name: str, arguments: dict[str, Any], context: Context[ServerState, Any] | None
    ) -> CallToolResult | InputRequiredResult | None:
        """The person's confirmation, when this call needs one (server/confirm.py): None lets the call run. A summary
        that fails is answered as the tool failing (raised as the SDK raises a tool's own failure)."""
        from kintone_mcp.server.confirm import gate

        spec, tool = self.specs.get(name), self._tool_manager.get_tool(name)
        if spec is None or tool is None:
            return None
        try:
            return await gate(spec, arguments, context, tool.fn_metadata.validate_arguments)
        except (ToolError, MCPError):
            raise
        except Exception as exc:
            raise UnexpectedToolError(f"Error executing tool {name}") from exc


@contextmanager
def _sdk_logging_skipped_when_configured() -> Iterator[None]:
    """MCPServer's constructor calls the SDK's configure_logging, which imports rich to build a RichHandler for a
    logging.basicConfig that does nothing once the root logger has a handler (ours, commands/serve.py). The rich import
    alone was ~40 ms of a loaded machine's start-up (python -X importtime, issue 12), so it is skipped then; with no
    logging configured (tests, embedding) the SDK's behaviour is kept."""
    import mcp.server.mcpserver.server as sdk_server

    configure = getattr(sdk_server, "configure_logging", None)
    if configure is None or not logging.getLogger().handlers:
        yield
        return
    setattr(sdk_server, "configure_logging", lambda *args, **kwargs: None)  # noqa: B010 (not exported)
    try:
        yield
    finally:
        setattr(sdk_server, "configure_logging", configure)  # noqa: B010


#: an argument string longer than this is not echoed back whole in an error
_ECHO_LIMIT = 200
#: an error text is cut past this many characters (a backstop: messages are meant to be short)
MAX_ERROR_CHARS = 8000


def _long_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if len(value) > _ECHO_LIMIT:
            yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _long_strings(key)
            yield from _long_strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _long_strings(item)


def shorten_echoes(text: str, arguments: Any) -> str:
    """Error texts quote what was wrong; a 100,000-character argument quoted whole (sometimes twice, once by us
    and once by Kintone) would flood the model's context. Quote its start and say how long it was."""
    for value in sorted(set(_long_strings(arguments)), key=len, reverse=True):
        short = f"{value[:40]}…[{len(value):,} characters]"
        for form in (value, repr(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]):
            text = text.replace(form, short)
    if len(text) > MAX_ERROR_CHARS:
        text = f"{text[:MAX_ERROR_CHARS]}… [cut: {len(text) - MAX_ERROR_CHARS:,} more characters]"
    return text


def _error_result(name: str, exc: ToolError, arguments: Any = None) -> CallToolResult:
    """One place for every failed call: anticipated failures explained, bugs logged and reported without internals.

    The SDK wraps what a tool raises in UnexpectedToolError (cause: the original); argument validation failures
    and unknown tools come as plain ToolError.
    """
    cause = exc.__cause__
    # Concurrent requests inside a tool fail as a task group; one failure is that failure.
    while isinstance(cause, BaseExceptionGroup) and len(cause.exceptions) == 1:
        cause = cause.exceptions[0]
    if isinstance(exc, UnexpectedToolError):
        # A pydantic ValidationError raised *inside* a tool is a bug, not the caller's bad arguments.
        text = None if cause is None or isinstance(cause, pydantic.ValidationError) else describe(name, cause)
        if text is None:
            logger.error("tool %s failed unexpectedly", name, exc_info=cause)
            return failure(
                f"{name} failed because of an internal error in kintone-mcp (logged on the server). "
                "Retrying the same call will fail again; try another way or tell the user."
            )
    else:
        text = (describe(name, cause) if cause is not None else None) or str(exc)
    text = shorten_echoes(text, arguments)
    logger.info("tool %s refused: %s", name, text.splitlines()[0][:500])
    return failure(text)


def _withheld_reason(spec: ToolSpec, policy: Policy, options: ServerOptions) -> str:
    if spec.toolset not in policy.toolsets:
        from kintone_mcp.server.toolsets import describe

        return (
            f"{spec.name} is not offered: it is in the {spec.toolset!r} toolset, which this server does not turn on "
            f"(toolsets on: {describe(policy.toolsets)}). Tell the user: adding {spec.toolset} to KINTONE_TOOLSETS "
            "(or --toolsets) offers it."
        )
    if spec.writes and policy.read_only:
        return (
            f"{spec.name} is not offered: this server is read-only, so nothing in Kintone can be changed through "
            "it. Tell the user."
        )
    lacking = needs.missing(options, spec.needs)
    if lacking is not None:
        return needs.reason(spec.name, lacking)
    return f"{spec.name} is turned off by this server's tool settings (KINTONE_TOOLS / KINTONE_DISABLE_TOOLS)."


def add_tool(server: KintoneMCPServer, spec: ToolSpec) -> None:
    """Build and register one tool with the SDK (at start-up, or at its first call when advertised from the file)."""
    from kintone_mcp.server.icons import toolset_icons

    server.add_tool(
        spec.fn,
        name=spec.name,
        title=spec.title,
        description=spec.description,
        annotations=spec.annotations(),
        meta=spec.meta(),
        icons=toolset_icons(spec.toolset),
    )


def enabled_tools(specs: Sequence[ToolSpec], policy: Policy, options: ServerOptions) -> list[ToolSpec]:
    policy.check_tool_names([s.name for s in specs], {s.name: s.toolset for s in specs})
    return [
        s
        for s in specs
        if policy.tool_enabled(s.name, writes=s.writes, toolset=s.toolset) and needs.missing(options, s.needs) is None
    ]


def build_server(
    *,
    policy: Policy,
    options: ServerOptions,
    client_factory: Callable[[], KintoneClient],
    specs: Sequence[ToolSpec] | None = None,
    lazy: bool = True,
) -> KintoneMCPServer:
    """The server, with the tools the policy allows. ``client_factory`` runs at the first tool call of a lifespan
    that needs the client (once per lifespan) and must not do I/O.

    With ``lazy`` (and the shipped tools, not ``specs``), tools/list is answered from the shipped advertisement when
    it is current and each tool is built at its first call (server/advertisement.py).

    Raises PolicyConfigError for a tool list naming an unknown tool.
    """
    from kintone_mcp.server.icons import SERVER_ICONS
    from kintone_mcp.server.resources import register_resources
    from kintone_mcp.server.tools.registry import ALL_TOOLS

    @asynccontextmanager
    async def lifespan(_: MCPServer[ServerState]) -> AsyncIterator[ServerState]:
        # No client yet: the state builds it on the first tool call that needs it (see ServerState.client).
        state = ServerState(client_factory=client_factory, policy=policy, options=options)
        try:
            yield state
        finally:
            await state.aclose()

    every = ALL_TOOLS if specs is None else specs
    enabled = enabled_tools(every, policy, options)
    # MCP Apps (server/views): the pages of the offered tools' views, served through the SDK's extension, which also
    # advertises it; the SDK takes extensions only when the server is built.
    views = {s.ui for s in enabled if s.ui}
    extensions = []
    if views:
        from kintone_mcp.server.views.pages import apps_extension

        extensions.append(apps_extension(views))
    server = KintoneMCPServer(
        "kintone-mcp",
        title="Kintone",
        version=__version__,
        instructions=INSTRUCTIONS,
        icons=SERVER_ICONS,
        lifespan=lifespan,
        log_level="WARNING",
        extensions=extensions,
    )
    server.withheld = {s.name: _withheld_reason(s, policy, options) for s in every if s not in enabled}
    server.kinds = {s.name: (s.toolset, s.writes) for s in enabled}
    server.specs = {s.name: s for s in enabled}
    cached = None
    if lazy and specs is None:
        from kintone_mcp.server import advertisement

        cached = advertisement.load()
    if cached is not None and all(s.name in cached for s in enabled):
        server._listed = [MCPTool.model_validate(cached[s.name]) for s in enabled]
        server.deferred = {s.name: s for s in enabled}
    else:
        for spec in enabled:
            add_tool(server, spec)
    register_resources(server, offered={s.name for s in enabled})
    # Prompts and completions (issue 16): what a person picks from the host's menu, and its arguments' values.
    from kintone_mcp.server.completions import register_completions
    from kintone_mcp.server.prompts import register_prompts

    register_completions(server, prompts=register_prompts(server, offered={s.name for s in enabled}))
    return server
