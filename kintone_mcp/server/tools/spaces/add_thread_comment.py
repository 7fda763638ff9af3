"""The ``add_thread_comment`` tool: a post in a space's thread, with mentions and files from the download folder.

Files are read under upload_file's rules (``files/_local.py``): inside the download folder, opened once without
following links, checked on the descriptor. Every file is checked before anything is uploaded, so a bad name
refuses the whole post; uploads that are never attached expire in Kintone on their own.
"""

from __future__ import annotations

import mimetypes
import os
from typing import Annotated

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import Ctx
from kintone_mcp.server.tools.files._local import OpenedFile, open_inside, parts_inside, read_chunks
from kintone_mcp.server.tools.spaces._common import NEEDS, CodesArg, SpaceArg, ThreadArg, mentions_of
from kintone_mcp.server.tools.spec import ToolSpec, write


class ThreadCommentAdded(Out):
    id: int
    files: int | None = None


async def add_thread_comment(
    ctx: Ctx,
    space: SpaceArg,
    thread: ThreadArg,
    text: Annotated[str, Field(min_length=1)],
    mentions: Annotated[CodesArg, Field(max_length=10)] = None,
    files: Annotated[
        list[str] | None, Field(max_length=5, description="Files in the download folder.")
    ] = None,
) -> Annotated[CallToolResult, ThreadCommentAdded]:
    """Post in a space's thread, with mentions (notified) and files from the download folder. Password sign-in only."""
    state = state_of(ctx)
    opened: list[OpenedFile] = []
    try:
        if files:
            folder = state.options.download_dir
            for name in files:
                parts = parts_inside(name, folder)
                assert folder is not None  # parts_inside refused otherwise
                opened.append(open_inside(folder, parts, name))
        keys = []
        for source in opened:
            content_type = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
            keys.append(await state.client.upload_file(
                read_chunks(source.fd, source.size), filename=source.name, size=source.size, content_type=content_type,
            ))
    finally:
        for source in opened:
            os.close(source.fd)
    comment = await state.client.add_thread_comment(space, thread, text, mentions=mentions_of(mentions),
                                                    file_keys=keys)
    return ok(ThreadCommentAdded(id=comment, files=len(keys) or None))


SPEC: ToolSpec = write(
    add_thread_comment, "Post in a thread",
    summary="Post in a space's thread, with mentions and files from the download folder; password auth",
    idempotent=False, toolset="spaces", needs=NEEDS,
)
