"""The ``upload_file`` tool: a file from the download folder attached to a record's file field.

The file is opened once, without following a link at any component below the folder, checked on its descriptor
(a regular file with one name, on the folder's device) and read from that descriptor (``_local.open_inside``), so
neither a link nor a file swapped in between a check and the open can send a file from outside the folder.
"""

from __future__ import annotations

import mimetypes
import os
from typing import Annotated

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import AppArg, Ctx, RecordIdArg, RevisionArg
from kintone_mcp.server.tools.files._local import open_inside, parts_inside, read_chunks
from kintone_mcp.server.tools.spec import ToolSpec, write


class UploadResult(Out):
    name: str
    id: int
    revision: int
    field: str
    files: int


async def upload_file(
    ctx: Ctx,
    id: RecordIdArg,
    field: Annotated[str, Field(description="Code of the record's FILE field.")],
    path: Annotated[str, Field(description="A file's name (or path) in the download folder.")],
    revision: RevisionArg = None,
    app: AppArg = None,
) -> Annotated[CallToolResult, UploadResult]:
    """Attach a file from the download folder to a record's file field, keeping the files already there."""
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    properties = await state.fields(app_id)
    prop = properties.get(field)
    if prop is None or prop.get("type") != "FILE":
        fields = [c for c, p in properties.items() if p.get("type") == "FILE"]
        raise ToolInputError(f"{field!r} is not a file field of app {app_id}; its file fields: {fields or 'none'}.")
    folder = state.options.download_dir
    parts = parts_inside(path, folder)
    assert folder is not None  # _parts_inside refused otherwise
    record = await state.client.get_record(app_id, id)
    existing = [{"fileKey": f["fileKey"]} for f in record.value(field) or []]
    # Opened once and checked on the descriptor, then read from it: what is checked is what is sent.
    source = open_inside(folder, parts, path)
    try:
        content_type = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
        key = await state.client.upload_file(
            read_chunks(source.fd, source.size),
            filename=source.name,
            size=source.size,
            content_type=content_type,
            app=app_id,
        )
    finally:
        os.close(source.fd)
    written = await state.client.update_record(
        app_id,
        {field: {"value": [*existing, {"fileKey": key}]}},
        id=id,
        revision=revision if revision is not None else record.revision,
    )
    # Not the upload key: Kintone gives the attached file a new key, which get_record shows.
    return ok(UploadResult(name=source.name, id=id, revision=written.revision, field=field, files=len(existing) + 1))


SPEC: ToolSpec = write(
    upload_file,
    "Attach a file to a record",
    summary="Attach a file from the download folder to a record's file field, keeping the files already there",
    idempotent=False,
    toolset="files",
)
