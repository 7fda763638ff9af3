"""Files attached to records: save one to the configured folder (small text comes back inline), attach a local file.

A download is named by the record it is attached to, not by its key alone, so that the app allow / deny lists
apply to files as to everything else. Downloads never overwrite: a name already taken gets a numbered suffix.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any

import anyio
from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.models import DownloadResult, UploadResult
from kintone_mcp.server.registry import ToolSpec, write
from kintone_mcp.server.results import ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.common import AppArg, Ctx, RecordIdArg, RevisionArg

#: Text files up to this size come back in the answer as well.
INLINE_TEXT_BYTES = 20_000
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/csv", "application/x-yaml")
_UNSAFE = re.compile(r'[\x00-\x1f<>:"/\\|?*]')


def _files_of(raw: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(field path, file metadata) for every file on a record, subtables included."""
    for code, cell in raw.items():
        if not isinstance(cell, Mapping):
            continue
        if cell.get("type") == "FILE":
            for f in cell.get("value") or []:
                yield code, f
        elif cell.get("type") == "SUBTABLE":
            for i, row in enumerate(cell.get("value") or []):
                for inner_code, inner in (row.get("value") or {}).items():
                    if inner.get("type") == "FILE":
                        for f in inner.get("value") or []:
                            yield f"{code}[{i}].{inner_code}", f


def safe_name(name: str) -> str:
    base = _UNSAFE.sub("_", Path(name.replace("\\", "/")).name).strip(" .")
    return base or "download"


async def _free_path(folder: Path, name: str) -> Path:
    candidate = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 1
    while await anyio.Path(candidate).exists():
        candidate = folder / f"{stem} ({n}){suffix}"
        n += 1
    return candidate


def _is_text(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower().startswith(_TEXT_TYPES)


async def download_file(
    ctx: Ctx,
    id: RecordIdArg,
    file_key: Annotated[str, Field(description="fileKey of the file, from get_record.")],
    app: AppArg = None,
) -> Annotated[CallToolResult, DownloadResult]:
    """Download a file attached to a record into the configured download folder.

    Name the record and the file's `fileKey` (from get_record). Small text files (CSV, JSON, plain text up to
    20 KB) also come back as `text`, so you can read them directly.
    """
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    record = await state.client.get_record(app_id, id)
    found = [f for _, f in _files_of(record.raw) if f.get("fileKey") == file_key]
    if not found:
        listed = [f"{path}: {f.get('name')} (fileKey {f.get('fileKey')})" for path, f in _files_of(record.raw)]
        raise ToolInputError(
            f"Record {id} has no file with fileKey {file_key!r}. "
            + (f"Its files: {'; '.join(listed)}." if listed else "It has no attached files.")
        )
    meta = found[0]
    name = str(meta.get("name") or "download")
    content_type = str(meta.get("contentType") or "application/octet-stream")
    size = int(str(meta.get("size") or 0))
    folder = state.options.download_dir
    inline = _is_text(content_type) and size <= INLINE_TEXT_BYTES
    if folder is None and not inline:
        raise ToolInputError(
            f"{name} ({size:,} bytes, {content_type}) can only be saved to a file, and no download folder is "
            "configured. Ask the user to set KINTONE_DOWNLOAD_DIR."
        )
    text = None
    path = ""
    if inline:
        data = await state.client.download_file(file_key, app=app_id)
        text = data.decode("utf-8", errors="replace")
        if folder is not None:
            target = await _free_path(folder, safe_name(name))
            await anyio.Path(target).write_bytes(data)
            path = str(target)
    elif folder is not None:
        target = await _free_path(folder, safe_name(name))
        size = await state.client.download_file_to(file_key, target, app=app_id)
        path = str(target)
    return ok(DownloadResult(path=path, name=name, size=size, content_type=content_type, text=text))


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


TOOLS: list[ToolSpec] = [
    ToolSpec(fn=download_file, title="Download an attachment", idempotent=False, local_write=True),
    write(upload_file, "Attach a file to a record", idempotent=False),
]
