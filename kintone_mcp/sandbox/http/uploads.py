"""Reading a multipart/form-data request body (POST file.json) into request parameters.

Starlette's parser (python-multipart underneath) spools each file part to a temporary file that moves to disk past
1 MB, so a large upload is never held whole in memory. The body is counted as it streams in, and parsing stops as
soon as it passes the size limit (plus room for the multipart envelope), with a message that names the limit. uvicorn
discards whatever the client is still sending, so the client reads that answer rather than a broken pipe.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from starlette.datastructures import Headers
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from kintone_mcp.sandbox.errors import ErrorReply, invalid

#: Room for the multipart envelope (boundaries, part headers, small fields) on top of the file itself.
ENVELOPE_ALLOWANCE = 64 * 1024
#: Text fields besides the file (a session's __REQUEST_TOKEN__, say) are small; refuse anything else.
MAX_FIELDS = 16


class _TooLarge(Exception):
    pass


def is_multipart(headers: Headers) -> bool:
    return headers.get("content-type", "").lower().startswith("multipart/form-data")


def too_large(limit: int) -> ErrorReply:
    return invalid(
        "file",
        f"The file is larger than this sandbox accepts ({limit:,} bytes). Send a smaller file, or start the "
        "sandbox with a larger max_file_size.",
    )


async def _counted(stream: AsyncIterator[bytes], limit: int) -> AsyncGenerator[bytes, None]:
    total = 0
    async for chunk in stream:
        total += len(chunk)
        if total > limit:
            raise _TooLarge
        yield chunk


async def read_form(request: Request, max_file_size: int) -> dict[str, Any]:
    """The form's fields by name: text fields as str, the file part as an UploadFile (the handler closes it)."""
    parser = MultiPartParser(
        request.headers,
        _counted(request.stream(), max_file_size + ENVELOPE_ALLOWANCE),
        max_files=1,
        max_fields=MAX_FIELDS,
    )
    try:
        form = await parser.parse()
    except _TooLarge:
        raise too_large(max_file_size) from None
    except MultiPartException as exc:
        raise ErrorReply(
            400,
            "CB_VA01",
            "Missing or invalid input.",
            {"file": {"messages": [
                f"The multipart body could not be read ({exc.message}). Send one file in a part named \"file\" "
                "with a filename."
            ]}},
        ) from exc
    # The exact size check is the handler's (it measures the spooled file); this guard only stops a body far over
    # the limit from being spooled at all.
    return dict(form.multi_items())
