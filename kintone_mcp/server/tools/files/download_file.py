"""The ``download_file`` tool: a file attached to a record saved into the download folder; small text also comes back
inline. Never overwrites and never writes through a link: the file is created exclusively, and a name already taken
(by a file, a folder or a link) gets a numbered suffix (``_local``). Downloads above ``download_max_bytes`` are
refused, by the announced size first and while streaming, and a failed download leaves no partial file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import anyio
from mcp.types import CallToolResult

from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import AppArg, Ctx, RecordIdArg
from kintone_mcp.server.tools.files._local import NewFile, create_new, local_error, safe_name
from kintone_mcp.server.tools.spec import ToolSpec

if TYPE_CHECKING:
    from kintone_mcp.server.state import ServerState

#: Text files up to this size come back in the answer as well.
INLINE_TEXT_BYTES = 20_000
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/csv", "application/x-yaml")


class DownloadResult(Out):
    path: str
    name: str
    size: int
    content_type: str | None = None
    text: str | None = None
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


def _is_text(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower().startswith(_TEXT_TYPES)


class _TooLarge(Exception):
    pass


def _too_large(name: str, size: int, limit: int) -> ToolInputError:
    return ToolInputError(
        f"{name} is {size:,} bytes, more than the {limit:,} bytes this server saves (KINTONE_DOWNLOAD_MAX_BYTES); "
        "nothing was saved. Ask the user to download it from Kintone, or to raise the limit."
    )


async def _fetch(
    state: ServerState, file_key: str, app: int, folder: Path | None, name: str, limit: int, *, keep: bool
) -> tuple[str | None, str, int]:
    """Streams the file into a new file of the folder (when there is one) and, when ``keep``, keeps small text in
    memory as well. The size limit holds while streaming, whatever size was announced; on any failure the file
    created here is removed, so no partial download is ever left behind."""
    # Without a folder only small text is wanted: never hold more than that in memory.
    cap = limit if folder is not None else min(limit, INLINE_TEXT_BYTES)
    target: NewFile | None = None
    kept: list[bytes] | None = [] if keep else None
    written = 0
    try:
        async with state.client.stream_file(file_key, app=app) as download:
            if download.size is not None and download.size > cap:
                raise _TooLarge(download.size)
            if folder is not None:
                # Synchronous on purpose: a cancellation must not separate creating the file from owning it.
                target = create_new(folder, safe_name(name))
            async for chunk in download.aiter_bytes():
                written += len(chunk)
                if written > cap:
                    raise _TooLarge(written)
                if kept is not None:
                    if written <= INLINE_TEXT_BYTES:
                        kept.append(chunk)
                    else:
                        kept = None
                if target is not None:
                    await anyio.to_thread.run_sync(target.write, chunk)
        if target is not None:
            target.close()
    except BaseException as exc:
        if target is not None:
            target.discard()  # not awaited: it must run even when the call is being cancelled
        if isinstance(exc, _TooLarge):
            if folder is None and cap < limit:
                raise ToolInputError(
                    f"{name} turned out larger than announced (over {cap:,} bytes), so it can only be saved to a "
                    "file, and no download folder is configured. Ask the user to set KINTONE_DOWNLOAD_DIR."
                ) from None
            raise _too_large(name, int(str(exc.args[0])), limit) from None
        if isinstance(exc, OSError) and folder is not None:
            raise local_error(exc, folder, needed=written) from None
        raise
    text = b"".join(kept).decode("utf-8", errors="replace") if kept is not None else None
    return text, str(target.path) if target is not None else "", written


async def download_file(
    ctx: Ctx,
    id: RecordIdArg,
    file_key: str,  # the description says where it comes from
    app: AppArg = None,
) -> Annotated[CallToolResult, DownloadResult]:
    """Download a file attached to a record (its `fileKey` from get_record) into the download folder.

    Small text files (CSV, JSON, plain text up to 20 KB) also come back as `text`.
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
    announced = str(meta.get("size") or "0").strip()
    size = int(announced) if announced.isascii() and announced.isdigit() else 0
    folder = state.options.download_dir
    inline = _is_text(content_type) and size <= INLINE_TEXT_BYTES
    if folder is None and not inline:
        raise ToolInputError(
            f"{name} ({size:,} bytes, {content_type}) can only be saved to a file, and no download folder is "
            "configured. Ask the user to set KINTONE_DOWNLOAD_DIR."
        )
    limit = state.options.download_max_bytes
    if size > limit:
        raise _too_large(name, size, limit)
    text, path, size = await _fetch(state, file_key, app_id, folder, name, limit, keep=inline)
    return ok(DownloadResult(path=path, name=name, size=size, content_type=content_type, text=text))


#: Writes a file on this machine and changes nothing in Kintone.
SPEC: ToolSpec = ToolSpec(
    fn=download_file,
    title="Download an attachment",
    summary="Save an attachment into the download folder; small text files also come back inline",
    idempotent=False,
    local_write=True,
    toolset="files",
)
