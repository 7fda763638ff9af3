"""The tool registration pattern: each tool module ends with its ``SPEC``, a ``ToolSpec`` beside the handler.

A spec says what a tool does to the world (read / write / destroy), and the server derives the MCP annotations, the
policy decisions (read-only mode, tool lists) and the Kind column of the README's tool table from that one
statement, so they cannot drift apart.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from mcp.types import CallToolResult, ToolAnnotations

ToolFn = Callable[..., Awaitable[CallToolResult]]


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

    @property
    def name(self) -> str:
        return self.fn.__name__

    @property
    def description(self) -> str:
        return inspect.cleandoc(self.fn.__doc__ or "")

    @property
    def kind(self) -> str:
        """What the tool does to the world, in the words of the README's tool table."""
        if self.local_write:
            return "writes a local file"
        if self.writes:
            return "write, destructive" if self.destructive else "write"
        return "read"

    def annotations(self) -> ToolAnnotations:
        read_only = not self.writes and not self.local_write
        return ToolAnnotations(
            read_only_hint=read_only,
            destructive_hint=self.destructive if not read_only else False,
            idempotent_hint=self.idempotent,
            # The tools reach one configured Kintone domain, a closed world of apps and records, not the open web.
            open_world_hint=False,
        )


def read(fn: ToolFn, title: str, *, summary: str, **kw: Any) -> ToolSpec:
    return ToolSpec(fn=fn, title=title, summary=summary, **kw)


def write(
    fn: ToolFn, title: str, *, summary: str, idempotent: bool, destructive: bool = False, **kw: Any
) -> ToolSpec:
    return ToolSpec(
        fn=fn, title=title, summary=summary, writes=True, idempotent=idempotent, destructive=destructive, **kw
    )
