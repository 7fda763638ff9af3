"""Files only their owner may read, shared by the OAuth token store (``auth``) and the stored connections
(``settings``), which may not import each other: a leaf, importing nothing of ours.

:func:`write_private` writes atomically: a temporary file in the same directory (created 0600 by ``mkstemp`` before
a byte is written), flushed to disk, then renamed over the target. A crash or Ctrl-C at any moment leaves the old
file or the new one, never half of either, and no other user can read the file at any point.
:func:`file_name_for` names such a file after a connection without letting the name escape its folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path

__all__ = ["file_name_for", "write_private"]

_TAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}\Z")


def write_private(path: Path, data: bytes) -> None:
    """Writes ``data`` to ``path`` atomically with mode 0600, its directory made 0700 when created. Raises
    ``OSError`` whose ``filename`` is the directory or the file that could not be written."""
    directory = path.parent
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(directory)) from None
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
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        raise


def file_name_for(connection: str, suffix: str) -> str:
    """A file name for any connection name: the name itself when it is tame (names made by ``kintone-mcp
    connection add`` always are), else a readable part and a digest, so that no name reaches outside the folder."""
    if _TAME.match(connection) and connection not in (".", ".."):
        return f"{connection}{suffix}"
    tame = re.sub(r"[^A-Za-z0-9_-]+", "_", connection)[:40].strip("_") or "connection"
    return f"{tame}-{hashlib.sha256(connection.encode()).hexdigest()[:12]}{suffix}"
