"""file.json: upload a file (POST, multipart) and download an attached one (GET) — docs/kintone-api.md §4.5.

Permissions, kept simple: any authenticated caller may upload (a password user, or any valid API token), since an
upload on its own reaches no app; the record write that attaches it is checked as usual (add / edit on that app).
A download needs view permission on the app whose record holds the file (for tokens: a token of that app with view),
and, as for records, a guest-space app's files are reached only through that space's path.
"""

from __future__ import annotations

import mimetypes
from typing import Any
from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.responses import StreamingResponse

from kintone_mcp.sandbox.errors import ErrorReply, invalid
from kintone_mcp.sandbox.http import uploads
from kintone_mcp.sandbox.http.routing import RequestContext, Router
from kintone_mcp.sandbox.store import filestore

router = Router()

DEFAULT_CONTENT_TYPE = "application/octet-stream"


def decode_filename(name: str) -> str:
    """The file name as the user's system spelled it. Browsers and httpx2 write a filename in a multipart part with the
    HTML5 form rule: ``"`` as ``%22``, CR as ``%0D`` and LF as ``%0A``, nothing else escaped (not even ``%``), so
    those three sequences are decoded and every other ``%`` is kept as written."""
    return name.replace("%22", '"').replace("%0D", "\r").replace("%0A", "\n")


def _close_uploads(params: dict[str, Any]) -> None:
    for value in params.values():
        if isinstance(value, UploadFile):
            value.file.close()


def _content_type(upload: UploadFile, name: str) -> str:
    # The part's own Content-Type wins; clients that send none (or the generic one) get a guess from the name.
    given = (upload.content_type or "").strip()
    if given and given.lower() != DEFAULT_CONTENT_TYPE:
        return given
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or given or DEFAULT_CONTENT_TYPE


@router.route("POST", "file.json")
def upload_file(ctx: RequestContext) -> dict[str, str]:
    try:
        upload = ctx.params.raw("file")
        if not isinstance(upload, UploadFile):
            raise invalid(
                "file",
                'Required field. Send the file as multipart/form-data in a part named "file" that has a filename.',
            )
        name = decode_filename(upload.filename or "")
        if not name.strip():
            raise invalid("file", 'The "file" part has no filename: give it one (UTF-8 names are fine).')
        upload.file.seek(0, 2)
        size = upload.file.tell()
        upload.file.seek(0)
        config = ctx.services.config
        if size > config.max_file_size:
            raise uploads.too_large(config.max_file_size)
        filestore.purge_expired(ctx.conn, ctx.now, config.upload_retention)
        filestore.purge_dropped(ctx.conn, ctx.services.downloads)
        key = filestore.save_upload(
            ctx.conn, upload.file, size, name=name, content_type=_content_type(upload, name), now=ctx.now
        )
    finally:
        _close_uploads(ctx.params.data)
    return {"fileKey": key}


def _disposition(name: str) -> str:
    # An ASCII stand-in for old clients plus the exact UTF-8 name (RFC 6266 / RFC 5987).
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name) or "file"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@router.route("GET", "file.json")
def download_file(ctx: RequestContext) -> StreamingResponse:
    key = ctx.params.get_str("fileKey", required=True)
    assert key is not None
    stored = filestore.find_download(ctx.conn, key)
    if stored is None:
        raise ErrorReply(
            404,
            "GAIA_BL01",
            "The specified file was not found. Use the fileKey shown in the record's FILE field (an upload key "
            "cannot be downloaded); read the record again for a current key.",
            params={"key": key},
        )
    if stored.app is not None:
        ctx.app(stored.app, "view")
    return StreamingResponse(
        # Registered now, while this request still holds the store's lock, so no write can delete it before it is sent.
        ctx.services.downloads.open(ctx.services.store, stored),
        # Content-Type as a header, not media_type: Starlette would add a charset to text/* we cannot vouch for.
        headers={
            "Content-Type": stored.content_type,
            "Content-Length": str(stored.size),
            "Content-Disposition": _disposition(stored.name),
        },
    )
