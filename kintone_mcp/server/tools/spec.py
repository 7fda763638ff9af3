"""The tool registration pattern: each tool module ends with its ``SPEC``, a ``ToolSpec`` beside the handler.

A spec says what a tool does to the world (read / write / destroy), and the server derives the MCP annotations, the
policy decisions (read-only mode, tool lists) and the Kind column of the README's tool table from that one
statement, so they cannot drift apart.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from mcp.types import CallToolResult, ToolAnnotations

ToolFn = Callable[..., Awaitable[CallToolResult]]
#: a line break inside a paragraph, unless the next line starts a list item
_LINE_BREAK = re.compile(r"\n(?![-*] )")


@dataclass(frozen=True)
class Effect:
    """What one call is about to do, in a line the person is asked to confirm (``server/confirm.py``)."""

    #: One line, a question: "Delete 37 records from Deals (app 2; ids 12-48)?"
    text: str
    #: This call destroys data (deletes, discards, replaces rows, writes in bulk): KINTONE_CONFIRM=destructive asks.
    #: False: only KINTONE_CONFIRM=writes asks.
    destructive: bool = True


#: A tool's summary of one call: called with the call's context and its validated arguments (the handler's own
#: parameter names), before the handler runs; it only reads. None: this call changes nothing (a dry run), so
#: nothing asks. Raising is answered like the handler raising.
Summarize = Callable[..., Awaitable[Effect | None]]


@dataclass(frozen=True)
class ToolSpec:
    fn: ToolFn
    title: str
    #: One line for people, in the README's tool table (not sent to models: they read the handler's docstring).
    summary: str
    #: Changes data in Kintone: hidden in read-only mode.
    writes: bool = False
    #: May destroy data (delete records, replace values).
    destructive: bool = False
    #: Repeating the same call has no further effect.
    idempotent: bool = True
    #: Changes something outside Kintone (a file on this machine) without touching Kintone.
    local_write: bool = False
    #: Credentials the tool needs beyond REST access (``server/needs.py``): "user_api" (a password or User API
    #: token), "password" (password authentication: the space APIs and search refuse tokens and OAuth). A tool
    #: whose needs the configuration lacks is withheld, with the reason.
    needs: tuple[str, ...] = ()
    #: The toolset the tool belongs to (``server/toolsets.py``); KINTONE_TOOLSETS decides which are offered.
    toolset: str = "records"
    #: The ``ui://`` view (``server/views``) that MCP Apps hosts render the result with; None: text and data only.
    ui: str | None = None
    #: How a call of this tool reads when the person is asked to confirm it (``server/confirm.py``), beside the
    #: handler in the tool's module. None: a line naming the tool and its arguments, destructive when the tool is.
    confirm: Summarize | None = None

    @property
    def name(self) -> str:
        return self.fn.__name__

    @property
    def description(self) -> str:
        """The docstring with its paragraphs unwrapped: the line breaks of the source are there for its reader, and
        a model reads a paragraph better whole (and a break costs two bytes of JSON in every tools/list). A line
        that starts a list item keeps its break."""
        paragraphs = inspect.cleandoc(self.fn.__doc__ or "").split("\n\n")
        return "\n\n".join(_LINE_BREAK.sub(" ", p) for p in paragraphs)

    @property
    def kind(self) -> str:
        """What the tool does to the world, in the words of the README's tool table."""
        if self.local_write:
            return "writes a local file"
        if self.writes:
            return "write, destructive" if self.destructive else "write"
        return "read"

    def annotations(self) -> ToolAnnotations:
        """Every hint whose value differs from MCP's default, and no hint the specification calls meaningless.

        Defaults (MCP ToolAnnotations): readOnlyHint false, destructiveHint true, idempotentHint false,
        openWorldHint true; destructiveHint and idempotentHint are "meaningful only when readOnlyHint == false".
        So a read tool says readOnlyHint true and nothing of the two; a write tool says destructiveHint false
        when it is not destructive and idempotentHint true when it is idempotent. A destructive tool still says
        destructiveHint true: a host that reads a missing hint as false must not take it for a harmless one.
        """
        read_only = not self.writes and not self.local_write
        return ToolAnnotations(
            read_only_hint=True if read_only else None,
            destructive_hint=None if read_only else self.destructive,
            idempotent_hint=None if read_only or not self.idempotent else True,
            # The tools reach one configured Kintone domain, a closed world of apps and records, not the open web.
            open_world_hint=False,
        )

    def meta(self) -> dict[str, object] | None:
        """The tool's ``_meta``: the MCP Apps link to its view (ext-apps spec, "Resource Discovery"), or none."""
        return {"ui": {"resourceUri": self.ui}} if self.ui else None


def read(fn: ToolFn, title: str, *, summary: str, **kw: Any) -> ToolSpec:
    return ToolSpec(fn=fn, title=title, summary=summary, **kw)


def write(
    fn: ToolFn, title: str, *, summary: str, idempotent: bool, destructive: bool = False, **kw: Any
) -> ToolSpec:
    return ToolSpec(
        fn=fn, title=title, summary=summary, writes=True, idempotent=idempotent, destructive=destructive, **kw
    )
