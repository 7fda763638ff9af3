"""Where the raw settings come from: the environment (with ``*_FILE`` secrets) and the chosen connection of a TOML
connections file (relative paths, ``*_file`` keys). Each is a pydantic-settings source; :func:`load_settings`
puts them behind the command line's values, so that pydantic-settings' own merge gives flags > environment > TOML.

A value a source cannot produce (an unreadable secret file, ``NAME`` and ``NAME_FILE`` both set) becomes a
:class:`Problem` in its place, which the resolution reports with every other problem.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from kintone_mcp.settings.fields import PATH_FIELDS, SECRET_FIELDS, env_name
from kintone_mcp.settings.store import StoreError, default_connections_path, open_secret_store


@dataclass(frozen=True)
class Problem:
    """Stands in for a value a source could not produce."""

    text: str


def items(value: Any) -> list[Any]:
    """A comma-separated string or a list, as a list of stripped non-empty items."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [v.strip() if isinstance(v, str) else v for v in value if not (isinstance(v, str) and not v.strip())]
    return [value]


def _read_secret_file(path: str, name: str, base: Path | None) -> str | Problem:
    target = Path(path).expanduser()
    if base is not None and not target.is_absolute():
        target = base / target
    try:
        # Editors and `echo` add a final newline; a secret never ends in one.
        return target.read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        return Problem(f"{name} points at {target}, which cannot be read ({exc.strerror}).")
    except UnicodeDecodeError:
        return Problem(f"{name} points at {target}, which is not UTF-8 text.")


def with_secret_files(values: Mapping[str, Any], *, where: str, base: Path | None) -> dict[str, Any]:
    """Replaces ``<secret>_file`` keys by the secret they point at, refusing both forms at once."""
    out = dict(values)
    for field in SECRET_FIELDS:
        file_key = f"{field}_file"
        if file_key not in out:
            continue
        path = out.pop(file_key)
        name = env_name(field)
        if field in out:
            out[field] = Problem(f"{name} and {name}_FILE are both set{where}: keep one.")
        elif not isinstance(path, (str, os.PathLike)) or not str(path):
            out[field] = Problem(f"{name}_FILE must be a path{where}.")
        else:
            out[field] = _read_secret_file(str(path), f"{name}_FILE", base)
    return out


class _Gathered(PydanticBaseSettingsSource):
    """A source whose values are gathered in one go rather than field by field."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self().get(field_name), field_name, False


class EnvironmentSource(_Gathered):
    """``KINTONE_<FIELD>`` (and ``HTTPS_PROXY``/``https_proxy``) from a mapping, ``<NAME>_FILE`` read."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self._values = self._gather(env)

    def _gather(self, env: Mapping[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for field in self.settings_cls.model_fields:
            names = [env_name(field)] + (["https_proxy"] if field == "https_proxy" else [])
            for name in names:
                value = env.get(name)
                # MCP clients often pass unset variables as "": treat them as absent.
                if value is not None and value.strip() != "":
                    values[field] = value.strip() if field not in SECRET_FIELDS else value.strip("\r\n")
                    break
            if field in SECRET_FIELDS:
                path = env.get(f"{env_name(field)}_FILE")
                if path and path.strip():
                    values[f"{field}_file"] = path.strip()
        aliases = values.get("app_aliases")
        if isinstance(aliases, str):
            # As a table, so that it merges with the file's aliases (the environment winning per name).
            pairs = [item.partition("=") for item in items(aliases)]
            if all(sep and name.strip() for name, sep, _ in pairs):
                values["app_aliases"] = {name.strip(): app.strip() for name, _, app in pairs}
        return with_secret_files(values, where=" in the environment", base=None)

    def __call__(self) -> dict[str, Any]:
        return dict(self._values)


class ConnectionFileSource(_Gathered):
    """The chosen ``[connections.NAME]`` table of the connections file, with its stored secrets.

    The file is the one named by ``config`` (the command line, else ``KINTONE_CONFIG``), else ``connections.toml``
    in kintone-mcp's configuration folder, where ``kintone-mcp connection add`` keeps connections. The connection is
    ``connection`` (``--connection`` / ``KINTONE_CONNECTION``), else the file's ``default_connection``, else, for a
    file named explicitly, its only one. The configuration folder's file is a default, not a demand: when nothing
    names a connection and the command line or the environment gives a Kintone address of its own, that
    configuration is used alone, so a host configured through the environment is never changed by a connection
    someone stored later.

    A table's ``secret_store`` (``keyring`` or ``file``) says where ``connection add`` put its secrets; they are read
    as if they stood in the table, so the environment and flags still win over them. The table's own
    ``connection`` is the name chosen, so that the settings carry it (the key of the connection's stored OAuth
    sign-in). Problems with the file or the secrets are kept in ``problems``: they come before every other.
    """

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str] | None = None) -> None:
        super().__init__(settings_cls)
        self.problems: list[str] = []
        self._env: Mapping[str, str] = env or {}
        self._values: dict[str, Any] | None = None

    def _chosen(self, key: str) -> Any:
        """The first value the sources before this one give ``key`` (an empty one counts as none)."""
        return next((state[key] for state in self.settings_sources_data.values() if state.get(key)), None)

    def __call__(self) -> dict[str, Any]:
        if self._values is None:
            path, connection = self._chosen("config"), self._chosen("connection")
            self._values = {}
            if path:
                self._values = self._read(Path(str(path)), str(connection) if connection else None)
                return dict(self._values)
            default = default_connections_path(self._env)
            if connection and not default.is_file():
                self.problems.append(
                    f"KINTONE_CONNECTION is {connection!r}, but no connection is stored ({default} does not exist): "
                    f"add it with `kintone-mcp connection add {connection}`, or point KINTONE_CONFIG at your "
                    "connections file."
                )
            elif connection or (default.is_file() and not (self._chosen("base_url") or self._chosen("subdomain"))):
                self._values = self._read(default, str(connection) if connection else None, implicit=True)
        return dict(self._values)

    def _read(self, path: Path, connection: str | None, *, implicit: bool = False) -> dict[str, Any]:
        problems = self.problems
        try:
            document = tomllib.loads(path.expanduser().read_text(encoding="utf-8"))
        except OSError as exc:
            problems.append(f"KINTONE_CONFIG points at {path}, which cannot be read ({exc.strerror}).")
            return {}
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            problems.append(f"KINTONE_CONFIG file {path} is not valid TOML: {exc}.")
            return {}
        unknown_top = sorted(set(document) - {"connections", "default_connection"})
        if unknown_top:
            problems.append(
                f"{path}: unknown top-level key(s) {', '.join(unknown_top)}; settings go under [connections.NAME]."
            )
        connections = document.get("connections", {})
        chosen = connection or document.get("default_connection")
        if implicit and chosen is None:
            return {}
        if not isinstance(connections, dict) or not connections:
            problems.append(f"{path} defines no [connections.NAME] table.")
            return {}
        if chosen is None:
            if len(connections) != 1:
                problems.append(
                    f"{path} defines several connections ({', '.join(sorted(connections))}): choose one with "
                    "KINTONE_CONNECTION or set default_connection in the file."
                )
                return {}
            chosen = next(iter(connections))
        if chosen not in connections or not isinstance(connections[chosen], dict):
            problems.append(
                f"KINTONE_CONNECTION is {chosen!r}, but {path} defines only: {', '.join(sorted(connections))}."
            )
            return {}
        table: dict[str, Any] = dict(connections[chosen])
        allowed = (set(self.settings_cls.model_fields) - {"config", "connection"}) | {
            f"{f}_file" for f in SECRET_FIELDS
        } | {"secret_store"}
        unknown = sorted(set(table) - allowed)
        if unknown:
            problems.append(
                f"{path} [connections.{chosen}]: unknown key(s) {', '.join(unknown)} (keys are the setting names in "
                "lower case without KINTONE_, e.g. base_url, api_token, app_aliases)."
            )
            for key in unknown:
                table.pop(key)
        base = path.expanduser().resolve().parent
        for key in PATH_FIELDS:
            if isinstance(table.get(key), str):
                target = Path(table[key]).expanduser()
                table[key] = str(target if target.is_absolute() else base / target)
        where = f" in {path} [connections.{chosen}]"
        values = with_secret_files(table, where=where, base=base)
        if "secret_store" in values:
            self._add_stored_secrets(values, path, str(chosen), where)
        return {**values, "connection": chosen}

    def _add_stored_secrets(self, values: dict[str, Any], path: Path, name: str, where: str) -> None:
        kind = values.pop("secret_store")
        try:
            stored = open_secret_store(str(kind), path, self._env).load(name)
        except StoreError as exc:
            self.problems.append(f"Connection {name!r}{where}: {exc}")
            return
        if stored is None:
            self.problems.append(
                f"Connection {name!r}{where} keeps its secrets in the {kind} store, but none are there: enter them "
                f"again with `kintone-mcp connection edit {name}`."
            )
            return
        for key, secret in stored.items():
            if key not in SECRET_FIELDS:
                self.problems.append(f"Connection {name!r}: its stored secrets hold an unknown setting {key!r}.")
            elif key in values:
                self.problems.append(
                    f"{env_name(key)} is both in the stored secrets of connection {name!r} and{where}: keep one."
                )
            else:
                values[key] = secret
