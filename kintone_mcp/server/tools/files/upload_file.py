"""The ``upload_file`` tool: a file from the download folder attached to a record's file field."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Annotated

import anyio
from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import AppArg, Ctx, RecordIdArg, RevisionArg
from kintone_mcp.server.tools.spec import ToolSpec, write


class UploadResult(Out):
    name: str = Field(description="the file attached")
    id: int
    revision: int
    field: str
    files: int = Field(description="files now in the field")


async def _upload_path(raw: str, folder: Path | None) -> Path:
    """The file to attach, which must lie inside the download folder: a model steered by text it read could
    otherwise send any file this process can read (its own environment in /proc/self/environ, keys, the
    configuration with its secrets) to Kintone, and read it back from there."""
    if folder is None:
        raise ToolInputError(
            "Attaching files needs the download folder (KINTONE_DOWNLOAD_DIR or --download-dir), and none is "
            "configured: only files inside it can be attached. Ask the user to configure it and put the file there."
        )
    if not raw.strip() or "\x00" in raw:
        raise ToolInputError(f"{raw!r} is not a file name: give the name of a file in the download folder {folder}.")
    try:
        candidate = await anyio.Path(raw).expanduser()
        if not candidate.is_absolute():
            candidate = anyio.Path(folder) / candidate
        # Resolving follows symbolic links, so a link inside the folder cannot point out of it.
        resolved = Path(await candidate.resolve())
        inside = resolved.is_relative_to(folder)
        is_file = inside and await anyio.Path(resolved).is_file()
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ToolInputError(f"{raw!r} cannot be used as a path ({reason}).") from None
    if not inside:
        raise ToolInputError(
            f"{raw!r} is outside the download folder {folder}; only files inside it can be attached. Ask the user "
            "to copy the file there, then pass its name."
        )
    if any(part.startswith(".") for part in resolved.relative_to(folder).parts):
        raise ToolInputError(f"{raw!r} is a hidden file or inside a hidden folder; refusing to attach it.")
    if not is_file:
        raise ToolInputError(f"{raw!r} is not a file in the download folder {folder}.")
    return resolved


async def upload_file(
    ctx: Ctx,
    id: RecordIdArg,
    field: Annotated[str, Field(description="Code of the record's FILE field.")],
    path: Annotated[str, Field(description="Name of a file in the download folder (or its path inside it).")],
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
    source = await _upload_path(path, state.options.download_dir)
    content_type = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
    record = await state.client.get_record(app_id, id)
    existing = [{"fileKey": f["fileKey"]} for f in record.value(field) or []]
    key = await state.client.upload_file(source, content_type=content_type, app=app_id)
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
)
