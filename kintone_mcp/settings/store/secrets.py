"""Where a stored connection's secrets are kept: the OS keyring when one is usable, else an encrypted file.

A connection's secrets (password, API tokens, User API token, OAuth client secret, Basic gate password, client
certificate password) are one entry: a JSON object of setting name -> value. The connections file records which
store holds them (``secret_store = "keyring"`` or ``"file"``) and never the secrets themselves.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Protocol

from kintone_mcp.oskeyring import keyring_module, usable_keyring
from kintone_mcp.settings.store.encrypted import EncryptedFileSecretStore
from kintone_mcp.settings.store.files import StoreError

SecretStoreKind = Literal["keyring", "file"]

#: the secrets a stored connection may hold, in the order the form asks for them
STORED_SECRETS = (
    "password",
    "api_token",
    "user_api_token",
    "oauth_client_secret",
    "basic_auth_password",
    "pfx_file_password",
)
#: the keyring service of connection secrets; OAuth tokens are under ``kintone-mcp``, so names never collide
KEYRING_SERVICE = "kintone-mcp-connection"


class SecretStore(Protocol):
    @property
    def kind(self) -> SecretStoreKind: ...

    def load(self, connection: str) -> dict[str, str] | None: ...

    def save(self, connection: str, values: dict[str, str]) -> None: ...

    def delete(self, connection: str) -> bool: ...

    def describe(self) -> str: ...


class KeyringSecretStore:
    """One keyring entry per connection under the service ``kintone-mcp-connection``."""

    kind: SecretStoreKind = "keyring"

    def __init__(self, backend: Any = None, service: str = KEYRING_SERVICE) -> None:
        self._keyring = backend if backend is not None else keyring_module().get_keyring()
        self.service = service

    def describe(self) -> str:
        return f"OS keyring ({type(self._keyring).__name__}, service {self.service!r})"

    def load(self, connection: str) -> dict[str, str] | None:
        try:
            text = self._keyring.get_password(self.service, connection)
        except Exception as exc:  # keyring backends raise their own error types
            raise StoreError(
                f"the OS keyring refused to read the secrets of {connection!r} ({type(exc).__name__}): unlock it, "
                "or run kintone-mcp where it is available."
            ) from None
        if text is None:
            return None
        try:
            values = json.loads(text)
        except ValueError:
            values = None
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            raise StoreError(
                f"the keyring entry of connection {connection!r} was changed by something else: enter the secrets "
                f"again with `kintone-mcp connection edit {connection}`."
            )
        return values

    def save(self, connection: str, values: dict[str, str]) -> None:
        try:
            self._keyring.set_password(self.service, connection, json.dumps(values, separators=(",", ":")))
        except Exception as exc:
            raise StoreError(
                f"the OS keyring refused to store the secrets of {connection!r} ({type(exc).__name__})."
            ) from None

    def delete(self, connection: str) -> bool:
        try:
            if self._keyring.get_password(self.service, connection) is None:
                return False
            self._keyring.delete_password(self.service, connection)
        except Exception as exc:
            raise StoreError(
                f"the OS keyring refused to remove the secrets of {connection!r} ({type(exc).__name__})."
            ) from None
        return True


def encrypted_file_store(connections_file: Path, env: Mapping[str, str]) -> EncryptedFileSecretStore:
    """The encrypted-file store beside ``connections_file``: ``secrets/`` for the files, ``secrets.key`` for the key
    (or ``KINTONE_SECRETS_KEY_FILE``), or the passphrase of ``KINTONE_SECRETS_PASSPHRASE[_FILE]``."""
    base = connections_file.expanduser().resolve().parent
    key_file = env.get("KINTONE_SECRETS_KEY_FILE", "").strip()
    return EncryptedFileSecretStore(
        base / "secrets",
        Path(key_file).expanduser() if key_file else base / "secrets.key",
        passphrase=_passphrase(env),
    )


def _passphrase(env: Mapping[str, str]) -> str | None:
    value = env.get("KINTONE_SECRETS_PASSPHRASE", "")
    path = env.get("KINTONE_SECRETS_PASSPHRASE_FILE", "").strip()
    if value and path:
        raise StoreError("KINTONE_SECRETS_PASSPHRASE and KINTONE_SECRETS_PASSPHRASE_FILE are both set: keep one.")
    if path:
        try:
            value = Path(path).expanduser().read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError):
            raise StoreError(f"KINTONE_SECRETS_PASSPHRASE_FILE points at {path}, which cannot be read.") from None
    return value or None


def open_secret_store(kind: str, connections_file: Path, env: Mapping[str, str]) -> SecretStore:
    """The store named by a connection's ``secret_store`` (or asked for by ``connection add --secret-store``:
    ``auto`` is the keyring when usable, else the encrypted file)."""
    if kind in ("auto", "keyring"):
        backend = usable_keyring()
        if backend is not None:
            return KeyringSecretStore(backend)
        if kind == "keyring":
            raise StoreError(
                "no OS keyring is usable here: install the extra (pip install 'kintone-mcp[keyring]') on a "
                "machine with a keyring service, or keep the secrets in the encrypted file (--secret-store file)."
            )
    elif kind != "file":
        raise StoreError(f"secret_store must be keyring or file, got {kind!r}.")
    return encrypted_file_store(connections_file, env)
