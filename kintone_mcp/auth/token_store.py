"""Where OAuth tokens live between runs: the OS keyring when one is available, else one file per connection.

* :class:`KeyringTokenStore` uses the ``keyring`` package (the optional ``keyring`` extra,
  ``pip install 'kintone-mcp[keyring]'``, found by :mod:`kintone_mcp.oskeyring`): macOS Keychain, Windows
  Credential Locker, the Secret Service on Linux desktops. One entry per connection under the service name
  ``kintone-mcp``.
* :class:`FileTokenStore` writes ``<dir>/<connection>.json`` with mode 0600 in a 0700 directory, atomically (a
  temporary file in the same directory, then a rename), so a crash never leaves half a token file and another
  process never reads one.

Neither ever logs a token, and errors name the entry and the location, never the content.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol

from kintone_mcp.auth.oauth_tokens import OAuthTokens
from kintone_mcp.oskeyring import keyring_module, usable_keyring
from kintone_mcp.privatefiles import file_name_for, write_private

logger = logging.getLogger("kintone_mcp.auth")

KEYRING_SERVICE = "kintone-mcp"


class TokenStoreError(Exception):
    """The token store cannot be used (a keyring that refuses, a directory that cannot be written)."""


class TokenStore(Protocol):
    def load(self, connection: str) -> OAuthTokens | None: ...

    def save(self, connection: str, tokens: OAuthTokens) -> None: ...

    def delete(self, connection: str) -> bool: ...

    def describe(self) -> str: ...


def entry_file_name(connection: str) -> str:
    """A file name for any connection name: the name itself when it is tame, else a readable part and a digest."""
    return file_name_for(connection, ".json")


class FileTokenStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_of(self, connection: str) -> Path:
        return self.directory / entry_file_name(connection)

    def describe(self) -> str:
        return f"file store in {self.directory}"

    def load(self, connection: str) -> OAuthTokens | None:
        path = self.path_of(connection)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise TokenStoreError(f"cannot read the OAuth tokens in {path}: {exc.strerror}") from None
        try:
            return OAuthTokens.from_json(text)
        except ValueError as exc:
            raise TokenStoreError(f"{path}: {exc}; run `kintone-mcp auth login` again") from None

    def save(self, connection: str, tokens: OAuthTokens) -> None:
        path = self.path_of(connection)
        try:
            write_private(path, tokens.to_json().encode("utf-8"))
        except OSError as exc:
            where = f"under {self.directory}" if exc.filename != str(path) else f"to {path}"
            raise TokenStoreError(f"cannot write OAuth tokens {where}: {exc.strerror}") from None

    def delete(self, connection: str) -> bool:
        try:
            self.path_of(connection).unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise TokenStoreError(f"cannot remove {self.path_of(connection)}: {exc.strerror}") from None
        return True


class KeyringTokenStore:
    """Tokens in the OS keyring through the ``keyring`` package (given as ``backend``, or imported)."""

    def __init__(self, backend: Any = None, service: str = KEYRING_SERVICE) -> None:
        if backend is None:
            backend = keyring_module().get_keyring()
        self._keyring = backend
        self.service = service

    def describe(self) -> str:
        return f"OS keyring ({type(self._keyring).__name__}, service {self.service!r})"

    def load(self, connection: str) -> OAuthTokens | None:
        try:
            text = self._keyring.get_password(self.service, connection)
        except Exception as exc:  # keyring backends raise their own error types
            raise TokenStoreError(f"the OS keyring refused to read {connection!r}: {type(exc).__name__}") from None
        if text is None:
            return None
        try:
            return OAuthTokens.from_json(text)
        except ValueError as exc:
            raise TokenStoreError(f"keyring entry {connection!r}: {exc}; run `kintone-mcp auth login` again") from None

    def save(self, connection: str, tokens: OAuthTokens) -> None:
        try:
            self._keyring.set_password(self.service, connection, tokens.to_json())
        except Exception as exc:
            raise TokenStoreError(f"the OS keyring refused to store {connection!r}: {type(exc).__name__}") from None

    def delete(self, connection: str) -> bool:
        if self._keyring.get_password(self.service, connection) is None:
            return False
        try:
            self._keyring.delete_password(self.service, connection)
        except Exception as exc:
            raise TokenStoreError(f"the OS keyring refused to remove {connection!r}: {type(exc).__name__}") from None
        return True


def open_token_store(setting: str | None, default_directory: Path) -> TokenStore:
    """The store ``KINTONE_OAUTH_TOKEN_STORE`` asks for: ``auto`` (default: the keyring when usable, else files in
    ``default_directory``), ``keyring``, ``file``, or a directory to keep token files in."""
    choice = (setting or "auto").strip()
    if choice == "keyring":
        backend = usable_keyring()
        if backend is None:
            raise TokenStoreError(
                "KINTONE_OAUTH_TOKEN_STORE is keyring, but no OS keyring is usable here: install the extra "
                "(pip install 'kintone-mcp[keyring]') on a machine with a keyring service, or use file."
            )
        return KeyringTokenStore(backend)
    if choice == "file":
        return FileTokenStore(default_directory)
    if choice == "auto":
        backend = usable_keyring()
        return KeyringTokenStore(backend) if backend is not None else FileTokenStore(default_directory)
    return FileTokenStore(Path(choice).expanduser())
