"""Private files written atomically: a temporary file in the same directory (created 0600 before a byte is
written), flushed to disk, then renamed over the target. A crash or Ctrl-C at any moment leaves the old file or the
new one, never half of either, and no other user can read the file at any point."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path

_TAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}\Z")


class StoreError(Exception):
    """A stored connection or its secrets cannot be read or written. The text names the place and the fix, never
    a secret."""


def write_private(path: Path, data: bytes) -> None:
    """Writes ``data`` to ``path`` atomically with mode 0600 (its directory made 0700 when created)."""
    directory = path.parent
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    except OSError as exc:
        raise StoreError(f"cannot write under {directory}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException as exc:
        # BaseException: a Ctrl-C between the write and the rename must not leave the temporary file behind.
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise StoreError(f"cannot write {path}: {exc.strerror}") from None
        raise


def file_name_for(connection: str, suffix: str) -> str:
    """A file name for a connection name: the name itself when it is tame (connection names made by
    ``kintone-mcp connection add`` always are), else a readable part and a digest."""
    if _TAME.match(connection) and connection not in (".", ".."):
        return f"{connection}{suffix}"
    import hashlib

    tame = re.sub(r"[^A-Za-z0-9_-]+", "_", connection)[:40].strip("_") or "connection"
    return f"{tame}-{hashlib.sha256(connection.encode()).hexdigest()[:12]}{suffix}"
