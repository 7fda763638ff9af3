"""The ``download_file`` tool: a file attached to a record saved into the download folder; small text also comes back
inline. Never overwrites: a name already taken gets a numbered suffix.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any

import anyio
from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import AppArg, Ctx, RecordIdArg
from kintone_mcp.server.tools.spec import ToolSpec

#: Text files up to this size come back in the answer as well.
INLINE_TEXT_BYTES = 20_000
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/csv", "application/x-yaml")
_UNSAFE = re.compile(r'[\x00-\x1f<>:"/\\|?*]')


class DownloadResult(Out):
    path: str
    name: str
    size: int
    content_type: str | None = None
    text: str | None = Field(None, description="the file's text, for small text files")
    cut: str | None = None


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


#: Writes a file on this machine and changes nothing in Kintone.
SPEC: ToolSpec = ToolSpec(
    fn=download_file,
    title="Download an attachment",
    summary="Save an attachment into the download folder; small text files also come back inline",
    idempotent=False,
    local_write=True,
)
