"""The stdio transport, with an answer for every malformed line.

The SDK's stdio transport turns a line that is not a JSON-RPC message (not JSON, ``"params": "x"``, JSON nested
deeper than its parser's limit) into an exception on the read stream, which the session drops with a debug log
line (``mcp/shared/jsonrpc_dispatcher.py``, ``_dispatch``): the client waits forever for an answer that never
comes, where Streamable HTTP answers 400. So the lines are screened here, before the SDK reads them: a malformed
request that carries an id is answered with a JSON-RPC error (parse error or invalid request), and every malformed
line is logged (what was wrong and how long it was, never its content, which may hold record data).

Passing our own stdin to ``stdio_server`` means the SDK does not point fd 0 at the null device while serving (it
still diverts fd 1 to stderr); nothing in this server reads stdin or starts a child process that would.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import anyio
import mcp.types as types
import pydantic
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage

if TYPE_CHECKING:
    from anyio.abc import ObjectSendStream
    from mcp.server.lowlevel import Server

logger = logging.getLogger(__name__)


class _UnownedText(io.TextIOWrapper):
    """Text over stdin's buffer that never closes it (closing would close the process's stdin)."""

    def close(self) -> None:
        with contextlib.suppress(ValueError):
            self.detach()


class ScreenedLines:
    """The lines of ``source`` that are JSON-RPC messages; the others are answered (through ``answers``, once
    set) or logged."""

    def __init__(self, source: AsyncIterator[str] | Any) -> None:
        self._source = source
        self._answers: ObjectSendStream[SessionMessage] | None = None
        self._ready = anyio.Event()

    def answer_through(self, stream: ObjectSendStream[SessionMessage]) -> None:
        self._answers = stream
        self._ready.set()

    def __aiter__(self) -> AsyncIterator[str]:
        return self._lines()

    async def _lines(self) -> AsyncIterator[str]:
        async for line in self._source:
            if not line.strip():
                continue  # a blank line is no message, and no client waits for it
            try:
                types.jsonrpc_message_adapter.validate_json(line, by_name=False)
            except pydantic.ValidationError as exc:
                await self._refuse(line, exc)
                continue
            yield line

    async def _refuse(self, line: str, exc: pydantic.ValidationError) -> None:
        errors = exc.errors(include_url=False)
        not_json = any(e["type"] == "json_invalid" for e in errors)
        if not_json:
            detail = str(errors[0].get("msg", "")).removeprefix("Invalid JSON: ")
            if "recursion limit" in detail:
                code, text = types.INVALID_REQUEST, "the message nests too deeply (JSON nesting limit exceeded)"
            else:
                code, text = types.PARSE_ERROR, f"the message is not valid JSON ({detail})"
        else:
            where = sorted({".".join(str(p) for p in e["loc"][1:]) or "message" for e in errors})[:4]
            code, text = types.INVALID_REQUEST, f"not a valid JSON-RPC request (check: {', '.join(where)})"
        request_id = _request_id(line)
        if request_id is not None:
            await self._ready.wait()
            assert self._answers is not None
            error = types.JSONRPCError(
                jsonrpc="2.0", id=request_id, error=types.ErrorData(code=code, message=f"Invalid request: {text}")
            )
            await self._answers.send(SessionMessage(error))
        logger.warning(
            "stdio: a malformed message (%d characters) %s: %s",
            len(line),
            f"with id {request_id!r} was answered with an error" if request_id is not None else "had no id to answer",
            text,
        )


def _request_id(line: str) -> str | int | None:
    """The id of a request in ``line``, when it is a JSON object with a ``method`` and a string or number id."""
    try:
        message = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(message, dict) or "method" not in message:
        return None
    ident = message.get("id")
    return ident if isinstance(ident, str | int) and not isinstance(ident, bool) else None


async def serve_stdio(server: Server[Any]) -> None:
    """Runs ``server`` over the process's stdin and stdout, every line screened (see the module docstring)."""
    raw = anyio.wrap_file(_UnownedText(sys.stdin.buffer, encoding="utf-8", errors="replace"))
    lines = ScreenedLines(raw)
    async with stdio_server(stdin=lines) as (read_stream, write_stream):  # type: ignore[arg-type]
        lines.answer_through(write_stream)
        await server.run(read_stream, write_stream, server.create_initialization_options())
