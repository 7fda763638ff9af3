"""Stored connections: the TOML connections file (no secret in it) and the secret stores beside it (the OS keyring,
else AES-256-GCM encrypted files).

A sub-package of :mod:`kintone_mcp.settings` because the connections source must resolve
``KINTONE_CONNECTION=NAME`` with its secrets, and settings imports nothing above it; ``kintone-mcp connection``
(in :mod:`kintone_mcp.commands`) is the form that writes here. It imports only the standard library,
``cryptography``, the optional ``keyring`` (through :mod:`kintone_mcp.oskeyring`) and :mod:`kintone_mcp.settings.paths`.

Modules: ``files`` (atomic 0600 writes), ``connections_file`` (the TOML document), ``encrypted`` (the encrypted-file
store), ``secrets`` (the keyring store and the choice between the two).
"""

from kintone_mcp.settings.store.connections_file import (
    NAME,
    ConnectionsFile,
    connections_path,
    default_connections_path,
)
from kintone_mcp.settings.store.encrypted import EncryptedFileSecretStore
from kintone_mcp.settings.store.files import StoreError
from kintone_mcp.settings.store.secrets import (
    KEYRING_SERVICE,
    STORED_SECRETS,
    KeyringSecretStore,
    SecretStore,
    SecretStoreKind,
    encrypted_file_store,
    open_secret_store,
)

__all__ = [
    "KEYRING_SERVICE",
    "NAME",
    "STORED_SECRETS",
    "ConnectionsFile",
    "EncryptedFileSecretStore",
    "KeyringSecretStore",
    "SecretStore",
    "SecretStoreKind",
    "StoreError",
    "connections_path",
    "default_connections_path",
    "encrypted_file_store",
    "open_secret_store",
]
