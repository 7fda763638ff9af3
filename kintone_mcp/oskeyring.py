"""The OS keyring, when there is one: the optional ``keyring`` package (``pip install 'kintone-mcp[keyring]'``)
with a backend that really stores (macOS Keychain, Windows Credential Locker, the Secret Service on Linux desktops).

A leaf: the OAuth token store (:mod:`kintone_mcp.auth.token_store`) and the stored connection secrets
(:mod:`kintone_mcp.settings.store`) both use it, and neither layer may import the other.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["keyring_module", "usable_keyring"]


def keyring_module() -> Any:
    # Imported by name: keyring is an optional extra, absent from most installs (and from type checking).
    return importlib.import_module("keyring")


def usable_keyring() -> Any | None:
    """The active keyring backend when the ``keyring`` package is installed and has a real one, else None.

    keyring falls back to backends that store nothing (``fail.Keyring``, ``null.Keyring``) or are empty chains on
    headless machines; those count as no keyring, and the file stores are used instead.
    """
    try:
        keyring = keyring_module()
        fail = importlib.import_module("keyring.backends.fail")
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:
        return None
    if isinstance(backend, fail.Keyring) or type(backend).__module__.endswith(".null"):
        return None
    if type(backend).__name__ == "ChainerBackend" and not getattr(backend, "backends", None):
        return None
    try:
        priority = float(getattr(backend, "priority", 1))
    except Exception:
        priority = 1.0
    return backend if priority > 0 else None
