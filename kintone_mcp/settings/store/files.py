"""The stored connections' error, and their private files written atomically (:mod:`kintone_mcp.privatefiles`)."""

from __future__ import annotations

from pathlib import Path

from kintone_mcp import privatefiles


class StoreError(Exception):
    """A stored connection or its secrets cannot be read or written. The text names the place and the fix, never
    a secret."""


def write_private(path: Path, data: bytes) -> None:
    """Writes ``data`` to ``path`` atomically with mode 0600 (:func:`kintone_mcp.privatefiles.write_private`)."""
    try:
        privatefiles.write_private(path, data)
    except OSError as exc:
        where = f"under {exc.filename}" if exc.filename != str(path) else str(path)
        raise StoreError(f"cannot write {where}: {exc.strerror}") from None
