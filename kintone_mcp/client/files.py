"""File upload and download (``file.json``), streamed both ways so large files never sit whole in memory.

An upload returns a *temporary* file key, valid only to be put into a FILE field (``[{"fileKey": key}]``) of a
record write; a record's FILE value then shows a different, permanent *download* key. Kintone discards uploads
that are never attached after a while (3 days is commonly cited).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx2

from kintone_mcp.client.connection import Connection
from kintone_mcp.client.errors import NetworkError

#: how much of a local file is read per chunk when uploading or saving
CHUNK = 64 * 1024


def _quote_filename(name: str) -> str:
    # Browsers' (and httpx2's) multipart convention: raw UTF-8, with quote and line breaks percent-escaped.
    return name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as fh:
        while chunk := await fh.read(CHUNK):
            yield chunk


async def _bytes_chunks(data: bytes) -> AsyncIterator[bytes]:
    for i in range(0, len(data), CHUNK):
        yield data[i : i + CHUNK]


async def _multipart(head: bytes, body: AsyncIterable[bytes], tail: bytes) -> AsyncIterator[bytes]:
    yield head
    async for chunk in body:
        yield chunk
    yield tail


@dataclass
class FileDownload:
    """An open download: read it with ``aiter_bytes()`` inside ``async with client.stream_file(...)``."""

    content_type: str
    size: int | None
    response: httpx2.Response

    async def aiter_bytes(self, chunk_size: int = CHUNK) -> AsyncIterator[bytes]:
        """The body in chunks. A connection that breaks or stalls mid-body raises NetworkError (not httpx2's own
        errors): the answer had started, so the request's retries no longer apply, and the caller decides."""
        received = 0
        try:
            async for chunk in self.response.aiter_bytes(chunk_size):
                received += len(chunk)
                yield chunk
        except httpx2.TransportError as exc:
            of = f" of {self.size:,}" if self.size is not None else ""
            raise NetworkError(
                f"The file download was cut off after {received:,}{of} bytes ({type(exc).__name__}). Retry it."
            ) from None


class FilesMixin:
    """Part of :class:`~kintone_mcp.client.KintoneClient`."""

    _conn: Connection

    async def upload_file(
        self,
        content: bytes | Path | AsyncIterable[bytes],
        *,
        filename: str | None = None,
        content_type: str = "application/octet-stream",
        size: int | None = None,
        app: int | None = None,
    ) -> str:
        """Uploads one file and returns its temporary file key.

        ``content`` is bytes, a local path (streamed from disk), or an async iterable of chunks (streamed; give
        ``size`` if known so the request carries a Content-Length). ``filename`` defaults to the path's name.
        With API tokens, ``app`` says which app's token to send (the app the file will be attached to).
        """
        if isinstance(content, Path):
            filename = filename or content.name
            size = os.stat(content).st_size
            body: AsyncIterable[bytes] = _file_chunks(content)
        elif isinstance(content, bytes):
            size = len(content)
            body = _bytes_chunks(content)
        else:
            body = content
        if not filename:
            raise ValueError("upload_file needs a filename")
        boundary = secrets.token_hex(16)
        head = (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{_quote_filename(filename)}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        if size is not None:
            headers["Content-Length"] = str(len(head) + size + len(tail))
        if app is not None:
            await self._conn.ensure_space(app)  # a streamed body cannot be sent again on another path
        template = self._conn.build_request("POST", "rest", "file", apps=(app,) if app is not None else ())
        for name, value in template.headers.items():
            if name not in ("content-length", "content-type"):
                headers.setdefault(name, value)
        request = httpx2.Request(
            "POST",
            template.url,
            headers=headers,
            content=_multipart(head, body, tail),
            extensions=template.extensions,
        )
        response = await self._conn.send(request, "rest")
        data: Any = response.json()
        return str(data["fileKey"])

    @asynccontextmanager
    async def stream_file(self, file_key: str, *, app: int | None = None) -> AsyncIterator[FileDownload]:
        """Opens a download by a record's file key (from a FILE value, not an upload key)."""
        if app is not None:
            await self._conn.ensure_space(app)  # a file of a guest-space app is served on that space's path only
        request = self._conn.build_request(
            "GET", "rest", "file", params={"fileKey": file_key}, apps=(app,) if app is not None else ()
        )
        async with self._conn.stream(request, "rest") as response:
            length = response.headers.get("content-length")
            yield FileDownload(
                content_type=response.headers.get("content-type", "application/octet-stream"),
                size=int(length) if length and length.isascii() and length.isdigit() else None,
                response=response,
            )

    async def download_file(self, file_key: str, *, app: int | None = None) -> bytes:
        async with self.stream_file(file_key, app=app) as download:
            return b"".join([chunk async for chunk in download.aiter_bytes()])

    async def download_file_to(self, file_key: str, path: Path, *, app: int | None = None) -> int:
        """Streams a file to ``path`` and returns the number of bytes written."""
        written = 0
        async with self.stream_file(file_key, app=app) as download, await anyio.open_file(path, "wb") as fh:
            async for chunk in download.aiter_bytes():
                await fh.write(chunk)
                written += len(chunk)
        return written
