"""The local side of the file tools: names that are safe to create, files created exclusively without following
links, and files read through one descriptor that was checked.

The download folder is often the user's Downloads, where other programs (and whatever a model was steered into
downloading earlier) can place symbolic and hard links. So nothing here trusts a path twice: a download is created
with ``O_CREAT | O_EXCL | O_NOFOLLOW`` relative to a descriptor of the folder (an existing name, a link included,
is never opened: the next free name is taken), and an upload is opened once, walking from the folder's descriptor
with ``O_NOFOLLOW`` on every component, and checked on that descriptor (``fstat``) before it is read from it.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import anyio

from kintone_mcp.server.errors import ToolInputError

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
#: descriptors relative to the folder where the platform has them (not Windows, which has no symbolic links an
#: unprivileged program can place either)
_DIR_FD = os.open in os.supports_dir_fd

#: characters Windows forbids in names, the path separators, and control characters
_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
#: names Windows reserves for devices, whatever their extension ("NUL.txt" opens the null device)
_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³]|CONIN\$|CONOUT\$)$", re.IGNORECASE)
#: a name longer than this many UTF-8 bytes is shortened (most file systems allow 255; room is left for " (99)")
MAX_NAME_BYTES = 200
#: how many numbered names are tried before giving up
_MAX_TRIES = 10_000
_NO_ROOM = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


def safe_name(name: str) -> str:
    """A name that means the same file on every system and cannot disguise what it is.

    Path parts are dropped, characters Windows forbids become ``_`` (as Cybozu's server does), and so do the
    invisible formatting characters (Unicode category Cf, e.g. U+202E RIGHT-TO-LEFT OVERRIDE, which shows
    "invoice‮fdp.exe" as "invoiceexe.pdf"). A device name Windows reserves (CON, NUL.txt, com1.txt) gets a ``_``
    after its stem; a name too long for the file system is shortened, keeping its extension."""
    base = Path(name.replace("\\", "/")).name
    base = "".join("_" if unicodedata.category(c) == "Cf" else c for c in base)
    base = _FORBIDDEN.sub("_", base).strip(" .")
    if not base:
        return "download"
    stem, dot, rest = base.partition(".")
    if _RESERVED.match(stem.rstrip(" ")):
        base = f"{stem}_{dot}{rest}"
    return _shorten(base)


def _shorten(name: str) -> str:
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    stem, suffix = os.path.splitext(name)
    if len(suffix.encode("utf-8")) > 20:
        stem, suffix = name, ""
    room = MAX_NAME_BYTES - len(suffix.encode("utf-8"))
    cut = stem.encode("utf-8")[:room].decode("utf-8", errors="ignore").rstrip(" .")
    return (cut or "download") + suffix


def _numbered(name: str, n: int) -> str:
    if n == 0:
        return name
    stem, suffix = os.path.splitext(name)
    return f"{stem} ({n}){suffix}"


@dataclass
class NewFile:
    """A file this call created (and only this call: it was created exclusively), open for writing."""

    folder: Path
    name: str
    fd: int
    dir_fd: int | None

    @property
    def path(self) -> Path:
        return self.folder / self.name

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]

    def close(self) -> None:
        fd, self.fd = self.fd, -1
        try:
            if fd >= 0:
                os.close(fd)
        finally:
            self._close_dir()

    def discard(self) -> None:
        """Closes and removes the file (after a failure: no partial file is left behind)."""
        fd, self.fd = self.fd, -1
        try:
            if fd >= 0:
                os.close(fd)
        except OSError:
            pass
        try:
            # The name, not whatever it may have been replaced with: unlink never follows a link.
            if self.dir_fd is not None:
                os.unlink(self.name, dir_fd=self.dir_fd)
            else:
                os.unlink(self.path)
        except OSError:
            pass
        self._close_dir()

    def _close_dir(self) -> None:
        dir_fd, self.dir_fd = self.dir_fd, None
        if dir_fd is not None:
            os.close(dir_fd)


def _open_folder(folder: Path) -> int | None:
    if not _DIR_FD:
        return None
    try:
        return os.open(folder, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    except OSError as exc:
        raise ToolInputError(
            f"The download folder {folder} cannot be opened ({exc.strerror}). Ask the user to check "
            "KINTONE_DOWNLOAD_DIR."
        ) from None


def create_new(folder: Path, name: str) -> NewFile:
    """Creates ``name`` in ``folder``, or ``name (1)``, ``name (2)`` … when taken, exclusively: concurrent calls
    each get their own file, and an existing name (a file, a folder, a dangling link) is never written through."""
    dir_fd = _open_folder(folder)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC | _BINARY
    try:
        for n in range(_MAX_TRIES):
            candidate = _numbered(name, n)
            try:
                if dir_fd is not None:
                    fd = os.open(candidate, flags, 0o644, dir_fd=dir_fd)
                else:
                    fd = os.open(folder / candidate, flags, 0o644)
            except FileExistsError:
                continue
            except OSError as exc:
                raise local_error(exc, folder) from None
            return NewFile(folder, candidate, fd, dir_fd)
    except BaseException:
        if dir_fd is not None:
            os.close(dir_fd)
        raise
    if dir_fd is not None:
        os.close(dir_fd)
    raise ToolInputError(f"{_MAX_TRIES:,} files named like {name!r} are already in {folder}; ask the user to tidy it.")


def local_error(exc: OSError, folder: Path, *, needed: int | None = None) -> ToolInputError:
    """A file-system failure as a refusal that says what happened (a full disk is named as such)."""
    if exc.errno in _NO_ROOM:
        need = f" ({needed:,} bytes were needed)" if needed else ""
        return ToolInputError(
            f"The disk holding the download folder {folder} is full{need}; nothing was saved (the partial file was "
            "removed). Ask the user to free space or choose another KINTONE_DOWNLOAD_DIR."
        )
    if exc.errno == errno.ENAMETOOLONG:
        return ToolInputError(f"The file name is too long for the file system of {folder}; nothing was saved.")
    return ToolInputError(
        f"Saving into the download folder {folder} failed ({exc.strerror or exc}); nothing was saved."
    )


def parts_inside(raw: str, folder: Path | None, *, verb: str = "attached") -> tuple[str, ...]:
    """The path components, below the download folder, of a file to read (to attach, to import); it must lie
    inside the folder: a
    model steered by text it read could otherwise send any file this process can read (its own environment in
    /proc/self/environ, keys, the configuration with its secrets) to Kintone, and read it back from there."""
    if folder is None:
        raise ToolInputError(
            "Reading files needs the download folder (KINTONE_DOWNLOAD_DIR or --download-dir), and none is "
            f"configured: only files inside it can be {verb}. Ask the user to configure it and put the file there."
        )
    if not raw.strip() or "\x00" in raw:
        raise ToolInputError(f"{raw!r} is not a file name: give the name of a file in the download folder {folder}.")
    try:
        candidate = Path(raw).expanduser()
        candidate = Path(os.path.normpath(candidate if candidate.is_absolute() else folder / candidate))
        if not candidate.is_relative_to(folder):
            # The same folder under another name (a link to it, /tmp and /private/tmp): compare where it leads.
            real = Path(os.path.realpath(candidate.parent)) / candidate.name
            candidate = real if real.is_relative_to(folder) else candidate
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ToolInputError(f"{raw!r} cannot be used as a path ({reason}).") from None
    if not candidate.is_relative_to(folder) or candidate == folder:
        raise ToolInputError(
            f"{raw!r} is outside the download folder {folder}; only files inside it can be {verb}. Ask the user "
            "to copy the file there, then pass its name."
        )
    parts = candidate.relative_to(folder).parts
    if any(part.startswith(".") for part in parts):
        raise ToolInputError(f"{raw!r} is a hidden file or inside a hidden folder; refusing to read it.")
    return parts


@dataclass
class OpenedFile:
    """A file inside the folder, opened once and checked on its descriptor."""

    name: str
    fd: int
    size: int


def open_inside(folder: Path, parts: tuple[str, ...], shown: str) -> OpenedFile:
    """Opens ``folder/parts…`` for reading without following a link at any component below the folder, then
    checks the opened file itself: a regular file, on the folder's device, with no other name (a hard link
    count of 1: a hard link made inside the folder to a file outside is the same file as the outside one)."""
    dir_fd = _open_folder(folder)
    fds: list[int] = []
    try:
        try:
            if dir_fd is None:
                fd = os.open(folder.joinpath(*parts), os.O_RDONLY | _NOFOLLOW | _BINARY)
            else:
                current = dir_fd
                for part in parts[:-1]:
                    current = os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=current)
                    fds.append(current)
                # O_NONBLOCK: opening a named pipe for reading would otherwise wait for a writer, forever; on a
                # regular file it changes nothing, and anything else is refused below.
                fd = os.open(parts[-1], os.O_RDONLY | _NOFOLLOW | _CLOEXEC | _NONBLOCK, dir_fd=current)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR, getattr(errno, "EMLINK", errno.ELOOP)):
                raise ToolInputError(
                    f"{shown!r} is or goes through a link; only files that lie in the download folder itself can "
                    "be attached. Ask the user to copy the file there."
                ) from None
            if exc.errno == errno.ENOENT:
                raise ToolInputError(f"{shown!r} is not a file in the download folder {folder}.") from None
            raise ToolInputError(f"{shown!r} cannot be used as a path ({exc.strerror or exc}).") from None
        try:
            info = os.fstat(fd)
            folder_dev = os.stat(folder).st_dev
        except OSError as exc:
            os.close(fd)
            raise ToolInputError(f"{shown!r} cannot be read ({exc.strerror or exc}).") from None
        problem = None
        if not stat.S_ISREG(info.st_mode):
            problem = f"is not a file in the download folder {folder} (but a folder, a device or a pipe)"
        elif info.st_dev != folder_dev:
            problem = "is on another file system than the download folder (a mount point inside it)"
        elif info.st_nlink != 1:
            problem = (
                f"has {info.st_nlink} names (hard links), so it may be a file from outside the folder; only files "
                "with one name can be attached"
            )
        if problem is not None:
            os.close(fd)
            raise ToolInputError(f"{shown!r} {problem}. Ask the user to copy the file into the download folder.")
        return OpenedFile(parts[-1], fd, info.st_size)
    finally:
        for opened in fds:
            os.close(opened)
        if dir_fd is not None:
            os.close(dir_fd)


#: bytes read from an opened file per step
_CHUNK = 64 * 1024


async def read_chunks(fd: int, size: int) -> AsyncIterator[bytes]:
    """At most ``size`` bytes of an opened file (the size announced in the upload request), however the file changes
    meanwhile; read in a worker thread, so a slow disk does not hold up the event loop."""
    left = size
    while left > 0 and (chunk := await anyio.to_thread.run_sync(os.read, fd, min(_CHUNK, left))):
        left -= len(chunk)
        yield chunk
