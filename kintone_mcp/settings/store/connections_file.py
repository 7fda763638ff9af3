"""The TOML file of named connections, read and written by ``kintone-mcp connection``.

The file is the one the server reads (``KINTONE_CONFIG``, else ``connections.toml`` in kintone-mcp's configuration
folder). Writing goes through :func:`write_private`, so a change is all or nothing. The writer handles the values a
connection holds (text, numbers, booleans, lists of those, one level of sub-table such as ``app_aliases``); a
hand-written file with anything else is refused rather than rewritten with something lost. Comments in a
hand-written file are not kept: the header the writer adds says so.
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kintone_mcp.settings.paths import user_config_dir
from kintone_mcp.settings.store.files import StoreError, write_private

#: names ``connection add`` accepts: they are keyring entries, file names and TOML keys, so keep them plain
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}\Z")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+\Z")
_HEADER = (
    "# Kintone connections of kintone-mcp, written by `kintone-mcp connection`. This file holds no secret: each\n"
    "# connection's secrets are in the OS keyring or in the encrypted files beside it (secret_store says which).\n"
    "# Comments are not kept when kintone-mcp rewrites it.\n"
)


def default_connections_path(env: Mapping[str, str]) -> Path:
    return user_config_dir(env) / "connections.toml"


def connections_path(env: Mapping[str, str] | None, config: str | Path | None = None) -> Path:
    """The connections file: ``config`` when given, else ``KINTONE_CONFIG``, else the default one (``env``: the
    environment, ``os.environ`` when None)."""
    if env is None:
        env = os.environ
    chosen = str(config or env.get("KINTONE_CONFIG", "")).strip()
    return Path(chosen).expanduser() if chosen else default_connections_path(env)


@dataclass
class ConnectionsFile:
    """The document of a connections file: ``default`` (``default_connection``) and ``connections`` (name -> table)."""

    path: Path
    default: str | None = None
    connections: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> ConnectionsFile:
        """The file's document; an empty one when the file does not exist yet."""
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        except OSError as exc:
            raise StoreError(f"cannot read the connections file {path} ({exc.strerror}).") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise StoreError(f"the connections file {path} is not valid TOML: {exc}.") from None
        connections = document.get("connections", {})
        default = document.get("default_connection")
        if not isinstance(connections, dict) or not all(isinstance(t, dict) for t in connections.values()):
            raise StoreError(f"{path}: connections must be [connections.NAME] tables.")
        unknown = sorted(set(document) - {"connections", "default_connection"})
        if unknown:
            raise StoreError(f"{path}: unknown top-level key(s) {', '.join(unknown)}; fix the file first.")
        return cls(path, default if isinstance(default, str) else None, {k: dict(v) for k, v in connections.items()})

    def write(self) -> None:
        write_private(self.path, self.render().encode("utf-8"))

    def render(self) -> str:
        lines = [_HEADER]
        if self.default is not None:
            lines.append(f"default_connection = {_value(self.default)}\n")
        for name, table in self.connections.items():
            scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
            tables = {k: v for k, v in table.items() if isinstance(v, dict)}
            lines.append(f"\n[connections.{_key(name)}]\n")
            lines += [f"{_key(k)} = {_value(v)}\n" for k, v in scalars.items()]
            for sub, values in tables.items():
                lines.append(f"\n[connections.{_key(name)}.{_key(sub)}]\n")
                for k, v in values.items():
                    if isinstance(v, dict):
                        raise StoreError(f"{self.path}: [connections.{name}.{sub}.{k}] is nested too deeply to keep.")
                    lines.append(f"{_key(k)} = {_value(v)}\n")
        return "".join(lines)


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _string(text: str) -> str:
    # JSON's escapes are TOML's basic-string escapes; TOML also forbids a raw DEL, which JSON leaves as is.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007F")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise StoreError(f"cannot write a value of type {type(value).__name__} to the connections file.")
