"""The launch configuration: command-line flags > environment > a TOML file of named connections.

This is the only module that reads ``os.environ``. :func:`load_settings` layers the three sources with
pydantic-settings, checks everything at once and returns a frozen :class:`Settings`; a misconfiguration raises one
:class:`ConfigurationError` listing every problem with the environment names that fix it, never echoing a secret.
:func:`build_client` turns the settings into a :class:`~kintone_mcp.client.KintoneClient`.

Every setting is named ``KINTONE_<FIELD>`` in the environment (``https_proxy`` is ``HTTPS_PROXY``), ``<field>``
in a TOML connection and in ``cli_overrides``. Secrets may also be given as ``<NAME>_FILE``: a path to a file
holding the secret (``KINTONE_PASSWORD_FILE``; ``password_file`` in TOML).

The TOML file (``KINTONE_CONFIG``) holds named connections; ``KINTONE_CONNECTION`` picks one, else
``default_connection``, else the only one::

    default_connection = "prod"

    [connections.prod]
    subdomain = "example"
    api_token = ["2:TOKEN_OF_DEALS", "1:TOKEN_OF_CUSTOMERS"]
    app_id = "deals"

    [connections.prod.app_aliases]
    deals = 2
    customers = 1

Relative paths in the file are relative to the file's directory.
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from kintone_mcp.loopback import is_loopback

if TYPE_CHECKING:
    import httpx

    from kintone_mcp.client import KintoneClient

logger = logging.getLogger("kintone_mcp.config")

AuthType = Literal["password", "api_token", "oauth"]

_AUTH_TYPE_ALIASES: dict[str, AuthType] = {
    "password": "password",
    "custom": "password",
    "api_token": "api_token",
    "token": "api_token",
    "apitoken": "api_token",
    "oauth": "oauth",
    "oauth2": "oauth",
}

#: settings holding a secret: each may also come from a file (``<NAME>_FILE``)
SECRET_FIELDS = frozenset(
    {
        "password",
        "api_token",
        "user_api_token",
        "oauth_client_secret",
        "basic_auth_password",
        "pfx_file_password",
        "mcp_http_token",
    }
)
#: settings holding a path, resolved against the config file's directory when they come from it
_PATH_FIELDS = frozenset({"pfx_file_path", "ca_bundle", "download_dir"})
#: Kintone's concurrent-request limit per domain, shared by every client of the domain
_DOMAIN_CONCURRENCY = 100
#: shortest bearer token accepted for the HTTP transport
MIN_HTTP_TOKEN_LENGTH = 16
#: at most this many tokens go in one request (Kintone's limit)
_MAX_TOKENS = 9


class ConfigurationError(Exception):
    """The launch configuration is unusable. ``problems`` lists every problem, each naming what fixes it."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"The Kintone connection is not configured correctly ({len(problems)} problem(s)):\n{lines}")


def env_name(field: str) -> str:
    """The environment variable of a setting."""
    return "HTTPS_PROXY" if field == "https_proxy" else f"KINTONE_{field.upper()}"


class ApiTokenSetting(BaseModel):
    """One configured app API token; ``app`` is set when given as ``APP_ID:TOKEN``."""

    model_config = ConfigDict(frozen=True)

    token: SecretStr
    app: int | None = None


class Settings(BaseSettings):
    """The resolved launch configuration. Frozen; secrets are ``SecretStr`` (``repr`` shows ``**********``).

    ``auth_type`` is the REST API strategy after inference (None when only a User API token is configured);
    ``base_url`` is final (built from ``subdomain``/``domain`` when no URL was given). App references in
    ``app_id``, ``allow_apps`` and ``deny_apps`` are resolved through ``app_aliases`` to ids.
    """

    model_config = SettingsConfigDict(frozen=True, extra="forbid", validate_default=False)

    base_url: str
    subdomain: str | None = None
    domain: str = "cybozu.com"
    auth_type: AuthType | None = None
    username: str | None = None
    password: SecretStr | None = None
    api_token: tuple[ApiTokenSetting, ...] = ()
    user_api_token: SecretStr | None = None
    oauth_client_id: str | None = None
    oauth_client_secret: SecretStr | None = None
    oauth_scopes: tuple[str, ...] = ()
    oauth_redirect_uri: str | None = None
    #: Where ``kintone-mcp auth login`` keeps tokens: auto (keyring if usable, else files), keyring, file, or a
    #: directory.
    oauth_token_store: str | None = None
    basic_auth_username: str | None = None
    basic_auth_password: SecretStr | None = None
    pfx_file_path: Path | None = None
    pfx_file_password: SecretStr | None = None
    app_id: int | None = None
    guest_space_id: int | None = None
    read_only: bool = False
    allow_apps: tuple[int, ...] | None = None
    deny_apps: tuple[int, ...] = ()
    tools: tuple[str, ...] | None = None
    disable_tools: tuple[str, ...] = ()
    ca_bundle: Path | None = None
    https_proxy: SecretStr | None = None
    config: Path | None = None
    connection: str | None = None
    app_aliases: dict[str, int] = Field(default_factory=dict)
    #: Seconds one request to Kintone may take, from sending it to the last byte of the answer.
    timeout: float = 60.0
    #: Seconds to establish a connection (TCP and TLS).
    connect_timeout: float = 10.0
    #: Seconds one call may take in all, its retries and the waits between them included.
    total_timeout: float = 120.0
    #: Times a failed request is sent again when that is safe (0: never).
    retries: int = 3
    #: Requests in flight to Kintone at once, all tool calls together (Kintone allows 100 per domain).
    max_concurrency: int = 10
    #: Bearer token clients of the Streamable HTTP transport must send (required off loopback).
    mcp_http_token: SecretStr | None = None
    #: Largest HTTP request body the Streamable HTTP transport accepts, in bytes (larger: 413).
    mcp_http_max_body: int = 1024 * 1024
    #: Folder download_file saves into (None: small text files are only returned inline).
    download_dir: Path | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Only load_settings() adds the environment and the TOML file; Settings(...) alone reads nothing.
        return (init_settings, *(_Layer(settings_cls, layer) for layer in _LAYERS.get()))

    @model_validator(mode="before")
    @classmethod
    def _resolve(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return _Resolver(data).resolve()

    # --- helpers for the layers above ---------------------------------------------------------------------------

    @property
    def has_rest_credentials(self) -> bool:
        return self.auth_type is not None

    @property
    def has_user_api_credentials(self) -> bool:
        return self.user_api_token is not None or self.auth_type == "password"

    def resolve_app(self, ref: str | int) -> int:
        """An app id from an id or an alias (``"deals"``); raises KeyError for an unknown alias."""
        if isinstance(ref, int):
            return ref
        text = ref.strip()
        if text.isdigit():
            return int(text)
        return self.app_aliases[text]


# --- layers ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Problem:
    """Stands in for a value a layer could not produce (unreadable secret file, NAME and NAME_FILE both set)."""

    text: str


_LAYERS: contextvars.ContextVar[tuple[dict[str, Any], ...]] = contextvars.ContextVar("_LAYERS", default=())


class _Layer(PydanticBaseSettingsSource):
    """A layer whose values were gathered by load_settings (environment, or the TOML connection)."""

    def __init__(self, settings_cls: type[BaseSettings], values: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self._values = values

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._values)


def _field_names() -> frozenset[str]:
    return frozenset(Settings.model_fields)


def _read_secret_file(path: str, name: str, base: Path | None) -> str | _Problem:
    target = Path(path).expanduser()
    if base is not None and not target.is_absolute():
        target = base / target
    try:
        # Editors and `echo` add a final newline; a secret never ends in one.
        return target.read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        return _Problem(f"{name} points at {target}, which cannot be read ({exc.strerror}).")
    except UnicodeDecodeError:
        return _Problem(f"{name} points at {target}, which is not UTF-8 text.")


def _with_secret_files(values: dict[str, Any], *, where: str, base: Path | None) -> dict[str, Any]:
    """Replaces ``<secret>_file`` keys by the secret they point at, refusing both forms at once."""
    out = dict(values)
    for field in SECRET_FIELDS:
        file_key = f"{field}_file"
        if file_key not in out:
            continue
        path = out.pop(file_key)
        name = env_name(field)
        if field in out:
            out[field] = _Problem(f"{name} and {name}_FILE are both set{where}: keep one.")
        elif not isinstance(path, (str, os.PathLike)) or not str(path):
            out[field] = _Problem(f"{name}_FILE must be a path{where}.")
        else:
            out[field] = _read_secret_file(str(path), f"{name}_FILE", base)
    return out


def _env_layer(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in _field_names():
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
        pairs = [item.partition("=") for item in _items(aliases)]
        if all(sep and name.strip() for name, sep, _ in pairs):
            values["app_aliases"] = {name.strip(): app.strip() for name, _, app in pairs}
    return _with_secret_files(values, where=" in the environment", base=None)


def _toml_layer(path: Path, connection: str | None, problems: list[str]) -> dict[str, Any]:
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
    if not isinstance(connections, dict) or not connections:
        problems.append(f"{path} defines no [connections.NAME] table.")
        return {}
    chosen = connection or document.get("default_connection")
    if chosen is None:
        if len(connections) != 1:
            problems.append(
                f"{path} defines several connections ({', '.join(sorted(connections))}): choose one with "
                "KINTONE_CONNECTION or set default_connection in the file."
            )
            return {}
        chosen = next(iter(connections))
    if chosen not in connections or not isinstance(connections[chosen], dict):
        problems.append(f"KINTONE_CONNECTION is {chosen!r}, but {path} defines only: {', '.join(sorted(connections))}.")
        return {}
    table: dict[str, Any] = dict(connections[chosen])
    allowed = (_field_names() - {"config", "connection"}) | {f"{f}_file" for f in SECRET_FIELDS}
    unknown = sorted(set(table) - allowed)
    if unknown:
        problems.append(
            f"{path} [connections.{chosen}]: unknown key(s) {', '.join(unknown)} (keys are the setting names in "
            "lower case without KINTONE_, e.g. base_url, api_token, app_aliases)."
        )
        for key in unknown:
            table.pop(key)
    base = path.expanduser().resolve().parent
    for key in _PATH_FIELDS:
        if isinstance(table.get(key), str):
            target = Path(table[key]).expanduser()
            table[key] = str(target if target.is_absolute() else base / target)
    where = f" in {path} [connections.{chosen}]"
    return _with_secret_files(table, where=where, base=base)


# --- resolution -----------------------------------------------------------------------------------------------

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_SUBDOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)
_TOKEN = re.compile(r"^[A-Za-z0-9._~+/=-]+$")
_ALIAS = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def user_config_dir(env: Mapping[str, str] | None = None) -> Path:
    """kintone-mcp's directory in the user's configuration directory (XDG_CONFIG_HOME, APPDATA, macOS's
    Application Support), for files such as OAuth tokens."""
    environment: Mapping[str, str] = os.environ if env is None else env
    if os.name == "nt":
        base = Path(environment.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        xdg = environment.get("XDG_CONFIG_HOME", "")
        # The XDG spec says a relative value is invalid and must be ignored.
        base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".config"
    return base / "kintone-mcp"


def _items(value: Any) -> list[Any]:
    """A comma-separated string or a list, as a list of stripped non-empty items."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [v.strip() if isinstance(v, str) else v for v in value if not (isinstance(v, str) and not v.strip())]
    return [value]


class _Resolver:
    """Turns the merged raw values into Settings' values, collecting every problem before failing."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.raw = data
        self.problems: list[str] = []
        self.out: dict[str, Any] = {}

    def resolve(self) -> dict[str, Any]:
        raw = self.raw
        for key, value in list(raw.items()):
            if isinstance(value, _Problem):
                self.problems.append(value.text)
                raw[key] = None
        unknown = sorted(k for k in raw if k not in Settings.model_fields)
        for key in unknown:
            self.problems.append(f"Unknown setting {key!r}.")
            raw.pop(key)
        for key in ("config", "connection", "username", "oauth_client_id", "oauth_redirect_uri", "oauth_token_store"):
            self.out[key] = self._text(key)
        self.out["read_only"] = self._bool("read_only")
        self.out["app_aliases"] = aliases = self._aliases()
        self.out["app_id"] = self._app("app_id", aliases)
        self.out["guest_space_id"] = self._positive_int("guest_space_id")
        allow = self._apps("allow_apps", aliases)
        deny = self._apps("deny_apps", aliases)
        self.out["allow_apps"] = allow
        self.out["deny_apps"] = deny or ()
        if allow and deny and set(allow) & set(deny):
            both = ", ".join(str(a) for a in sorted(set(allow) & set(deny)))
            self.problems.append(f"App(s) {both} are in both KINTONE_ALLOW_APPS and KINTONE_DENY_APPS: keep one.")
        tools = self._names("tools")
        disabled = self._names("disable_tools")
        self.out["tools"] = tools
        self.out["disable_tools"] = disabled or ()
        if tools and disabled and set(tools) & set(disabled):
            both = ", ".join(sorted(set(tools) & set(disabled)))
            self.problems.append(f"Tool(s) {both} are in both KINTONE_TOOLS and KINTONE_DISABLE_TOOLS: keep one.")
        self._reliability()
        self._http_transport()
        self.out["ca_bundle"] = self._existing_file("ca_bundle")
        self.out["pfx_file_path"] = self._existing_file("pfx_file_path")
        self._proxy()
        self._credentials()
        self._address()
        self.out["oauth_scopes"] = (
            tuple(s for s in re.split(r"[\s,]+", str(raw.get("oauth_scopes") or "")) if s)
            if not isinstance(raw.get("oauth_scopes"), (list, tuple))
            else tuple(str(s) for s in raw["oauth_scopes"])
        )
        if self.out["oauth_redirect_uri"] and not self._is_http_url(self.out["oauth_redirect_uri"]):
            self.problems.append(
                f"KINTONE_OAUTH_REDIRECT_URI must be an http(s) URL, got {self.out['oauth_redirect_uri']!r}."
            )
        if self.problems:
            raise ConfigurationError(self.problems)
        return {k: v for k, v in self.out.items() if v is not None}

    # --- scalar helpers -----------------------------------------------------------------------------------------

    def _text(self, key: str) -> str | None:
        value = self.raw.get(key)
        if value is None:
            return None
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, Path):
            value = str(value)
        if not isinstance(value, str):
            self.problems.append(f"{env_name(key)} must be text.")
            return None
        return value.strip() or None

    def _secret(self, key: str) -> str | None:
        value = self.raw.get(key)
        if value is None:
            return None
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if not isinstance(value, str):
            self.problems.append(f"{env_name(key)} must be text.")
            return None
        return value if value.strip() else None

    def _bool(self, key: str) -> bool:
        value = self.raw.get(key)
        if value is None or isinstance(value, bool):
            return bool(value)
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        self.problems.append(f"{env_name(key)} must be true or false, got {value!r}.")
        return False

    def _positive_int(self, key: str) -> int | None:
        value = self.raw.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not str(value).strip().isdigit() or int(str(value).strip()) < 1:
            self.problems.append(f"{env_name(key)} must be a positive whole number, got {value!r}.")
            return None
        return int(str(value).strip())

    def _number(self, key: str, low: float, high: float, *, whole: bool = False) -> float | None:
        """A number within [low, high] (whole when ``whole``), or None (absent, or a problem was recorded)."""
        value = self.raw.get(key)
        if value is None or value == "":
            return None
        kind = "whole number" if whole else "number"
        text = str(value).strip()
        try:
            if isinstance(value, bool):
                raise ValueError
            number = float(text) if not whole else int(text)
        except ValueError:
            number = None
        if number is None or number != number or not low <= number <= high:
            self.problems.append(f"{env_name(key)} must be a {kind} from {low:g} to {high:g}, got {value!r}.")
            return None
        return number

    def _reliability(self) -> None:
        for key in ("timeout", "connect_timeout", "total_timeout"):
            self.out[key] = self._number(key, 0.1, 86_400)
        retries = self._number("retries", 0, 10, whole=True)
        self.out["retries"] = int(retries) if retries is not None else None
        concurrency = self.raw.get("max_concurrency")
        limit = self._number("max_concurrency", 1, _DOMAIN_CONCURRENCY - 1, whole=True)
        if concurrency not in (None, "") and limit is None:
            self.problems[-1] += (
                f" Kintone allows {_DOMAIN_CONCURRENCY} concurrent requests per domain, shared by every client "
                "(browsers, plug-ins, other integrations): stay well below it."
            )
        self.out["max_concurrency"] = int(limit) if limit is not None else None
        timeout = self.out["timeout"] or Settings.model_fields["timeout"].default
        total = self.out["total_timeout"]
        if total is not None and total < timeout:
            self.problems.append(
                f"KINTONE_TOTAL_TIMEOUT ({total:g} s) bounds a call with its retries, so it cannot be shorter than "
                f"KINTONE_TIMEOUT ({timeout:g} s), which bounds one request."
            )

    def _http_transport(self) -> None:
        token = self._secret("mcp_http_token")
        if token is not None:
            token = token.strip()
            if len(token) < MIN_HTTP_TOKEN_LENGTH or any(c.isspace() for c in token):
                # Never echo it.
                self.problems.append(
                    f"KINTONE_MCP_HTTP_TOKEN must be at least {MIN_HTTP_TOKEN_LENGTH} characters without spaces: use "
                    "a long random value (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)."
                )
                token = None
        self.out["mcp_http_token"] = token
        size = self._number("mcp_http_max_body", 1024, 1024**3, whole=True)
        self.out["mcp_http_max_body"] = int(size) if size is not None else None
        folder = self._text("download_dir")
        if folder is not None:
            path = Path(folder).expanduser()
            if not path.is_dir():
                self.problems.append(f"KINTONE_DOWNLOAD_DIR points at {path}, which is not an existing folder.")
            else:
                self.out["download_dir"] = path.resolve()

    def _aliases(self) -> dict[str, int]:
        value = self.raw.get("app_aliases")
        if value is None or value == "":
            return {}
        pairs: list[tuple[Any, Any]] = []
        if isinstance(value, Mapping):
            pairs = list(value.items())
        else:
            for item in _items(value):
                name, sep, app = str(item).partition("=")
                if not sep:
                    name, sep, app = str(item).partition(":")
                if not sep:
                    self.problems.append(
                        f"KINTONE_APP_ALIASES entry {item!r} must look like name=APP_ID (e.g. deals=2,customers=1)."
                    )
                    continue
                pairs.append((name.strip(), app.strip()))
        aliases: dict[str, int] = {}
        for name, app in pairs:
            text = str(app).strip()
            if not isinstance(name, str) or not _ALIAS.match(name):
                self.problems.append(
                    f"KINTONE_APP_ALIASES: alias {name!r} must start with a letter or _ and hold only letters, "
                    "digits, _ and -."
                )
            elif isinstance(app, bool) or not text.isdigit() or int(text) < 1:
                self.problems.append(f"KINTONE_APP_ALIASES: alias {name!r} must map to an app id, got {app!r}.")
            else:
                aliases[name] = int(text)
        return aliases

    def _app_ref(self, key: str, ref: Any, aliases: Mapping[str, int]) -> int | None:
        text = str(ref).strip()
        if not isinstance(ref, bool) and text.isdigit() and int(text) > 0:
            return int(text)
        if text in aliases:
            return aliases[text]
        known = ", ".join(sorted(aliases)) or "none defined"
        self.problems.append(
            f"{env_name(key)}: {ref!r} is neither an app id nor an alias from KINTONE_APP_ALIASES ({known})."
        )
        return None

    def _app(self, key: str, aliases: Mapping[str, int]) -> int | None:
        value = self.raw.get(key)
        if value is None or value == "":
            return None
        return self._app_ref(key, value, aliases)

    def _apps(self, key: str, aliases: Mapping[str, int]) -> tuple[int, ...] | None:
        value = self.raw.get(key)
        if value is None or value == "":
            return None
        apps = [self._app_ref(key, item, aliases) for item in _items(value)]
        return tuple(dict.fromkeys(a for a in apps if a is not None))

    def _names(self, key: str) -> tuple[str, ...] | None:
        value = self.raw.get(key)
        if value is None or value == "":
            return None
        return tuple(dict.fromkeys(str(v).strip() for v in _items(value)))

    def _existing_file(self, key: str) -> Path | None:
        value = self._text(key)
        if value is None:
            return None
        path = Path(value).expanduser()
        if not path.is_file():
            self.problems.append(f"{env_name(key)} points at {path}, which is not a readable file.")
            return None
        return path

    @staticmethod
    def _is_http_url(text: str) -> bool:
        try:
            parts = urlsplit(text)
        except ValueError:
            return False
        return parts.scheme in ("http", "https") and bool(parts.hostname)

    def _proxy(self) -> None:
        value = self._secret("https_proxy")
        if value is None:
            return
        try:
            parts = urlsplit(value.strip())
            ok = parts.scheme in ("http", "https", "socks5", "socks5h") and bool(parts.hostname)
        except ValueError:
            ok = False
        if not ok:
            # The URL may carry a proxy password: do not echo it.
            self.problems.append("HTTPS_PROXY must be a URL such as http://proxy.example.com:8080.")
            return
        self.out["https_proxy"] = value.strip()

    # --- the address ----------------------------------------------------------------------------------------------

    def _address(self) -> None:
        base_url = self._text("base_url")
        subdomain = self._text("subdomain")
        domain = (self._text("domain") or "cybozu.com").lower().strip(".")
        self.out["subdomain"] = subdomain
        self.out["domain"] = domain
        if base_url and subdomain:
            self.problems.append(
                "Both KINTONE_BASE_URL and KINTONE_SUBDOMAIN are set: keep one (the URL, or subdomain + "
                "KINTONE_DOMAIN)."
            )
            return
        if base_url:
            self._base_url(base_url)
            return
        if subdomain:
            if not _SUBDOMAIN.match(subdomain):
                self.problems.append(
                    f"KINTONE_SUBDOMAIN must be the first part of your Kintone host (as in "
                    f"https://SUBDOMAIN.cybozu.com), got {subdomain!r}."
                )
                return
            if not _HOSTNAME.match(domain):
                self.problems.append(f"KINTONE_DOMAIN must be a host name such as cybozu.com, got {domain!r}.")
                return
            # A client certificate only works on the secure-access host SUBDOMAIN.s.DOMAIN.
            secure = ".s" if self.out.get("pfx_file_path") else ""
            self.out["base_url"] = f"https://{subdomain.lower()}{secure}.{domain}"
            return
        self.problems.append(
            "No Kintone address: set KINTONE_BASE_URL (e.g. https://example.cybozu.com) or KINTONE_SUBDOMAIN "
            "(and KINTONE_DOMAIN when it is not cybozu.com)."
        )

    def _base_url(self, text: str) -> None:
        try:
            parts = urlsplit(text)
            host = parts.hostname
            parts.port  # noqa: B018 - raises ValueError on a malformed port
        except ValueError:
            parts, host = None, None
        if parts is None or parts.scheme not in ("http", "https") or not host:
            self.problems.append(f"KINTONE_BASE_URL must look like https://example.cybozu.com, got {text!r}.")
            return
        if parts.username or parts.password:
            self.problems.append(
                "KINTONE_BASE_URL must not hold a user or password: use KINTONE_USERNAME/KINTONE_PASSWORD, or "
                "KINTONE_BASIC_AUTH_USERNAME/KINTONE_BASIC_AUTH_PASSWORD for the Basic gate."
            )
            return
        if parts.query or parts.fragment or parts.path.strip("/"):
            self.problems.append(
                f"KINTONE_BASE_URL must be just the scheme and host (e.g. https://example.cybozu.com), got {text!r}."
            )
            return
        if parts.scheme == "http" and not is_loopback(host):
            self.problems.append(
                f"KINTONE_BASE_URL uses plain http:// to {host}, which is not this machine: credentials would "
                "travel unencrypted. Use https:// (plain http is accepted only for localhost / 127.0.0.1)."
            )
            return
        self.out["base_url"] = f"{parts.scheme}://{parts.netloc}".lower()

    # --- credentials ----------------------------------------------------------------------------------------------

    def _tokens(self) -> tuple[ApiTokenSetting, ...]:
        value = self.raw.get("api_token")
        if value is None:
            return ()
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        tokens: list[ApiTokenSetting] = []
        for n, item in enumerate(_items(value), start=1):
            if isinstance(item, ApiTokenSetting):
                tokens.append(item)
                continue
            if isinstance(item, SecretStr):
                item = item.get_secret_value()
            text = str(item).strip()
            app: int | None = None
            head, sep, tail = text.partition(":")
            if sep and head.strip().isdigit():
                app, text = int(head.strip()), tail.strip()
            if not text or not _TOKEN.match(text):
                # Never echo what was there: it may be a real token with a typo.
                self.problems.append(
                    f"KINTONE_API_TOKEN entry #{n} is not a token or APP_ID:TOKEN (tokens are separated by commas)."
                )
                continue
            tokens.append(ApiTokenSetting(token=SecretStr(text), app=app))
        unmapped = [t for t in tokens if t.app is None]
        if len(unmapped) > _MAX_TOKENS:
            self.problems.append(
                f"KINTONE_API_TOKEN holds {len(unmapped)} tokens without an app id, but Kintone accepts at most "
                f"{_MAX_TOKENS} per request: write them as APP_ID:TOKEN so only the target app's token is sent."
            )
        return tuple(tokens)

    def _credentials(self) -> None:
        raw_type = self._text("auth_type")
        username = self.out.get("username")
        password = self._secret("password")
        tokens = self._tokens()
        user_api_token = self._secret("user_api_token")
        client_id = self.out.get("oauth_client_id")
        client_secret = self._secret("oauth_client_secret")
        basic_user = self._text("basic_auth_username")
        basic_password = self._secret("basic_auth_password")
        pfx_password = self._secret("pfx_file_password")

        self.out.update(
            password=password,
            api_token=tokens,
            user_api_token=user_api_token,
            oauth_client_secret=client_secret,
            basic_auth_username=basic_user,
            basic_auth_password=basic_password,
            pfx_file_password=pfx_password,
        )
        has_password = bool(username or password)
        has_token = bool(tokens) or self.raw.get("api_token") not in (None, "")
        has_oauth = bool(client_id or client_secret)

        auth_type: AuthType | None = None
        if raw_type is not None:
            auth_type = _AUTH_TYPE_ALIASES.get(raw_type.lower())
            if auth_type is None:
                self.problems.append(
                    f"KINTONE_AUTH_TYPE must be password (or custom), api_token (or token) or oauth (or oauth2), "
                    f"got {raw_type!r}."
                )
                return
        else:
            kinds = [k for k, present in (("password", has_password), ("api_token", has_token)) if present]
            if has_oauth and kinds:
                self.problems.append(
                    "Both OAuth (KINTONE_OAUTH_CLIENT_ID/SECRET) and "
                    f"{' and '.join('a password' if k == 'password' else 'API tokens' for k in kinds)} are "
                    "configured: set KINTONE_AUTH_TYPE to choose one."
                )
                return
            if has_oauth:
                auth_type = "oauth"
            elif has_password and has_token:
                auth_type = "password"
                logger.warning(
                    "Both a password and API tokens are configured; using password authentication "
                    "(set KINTONE_AUTH_TYPE=api_token to use the tokens)."
                )
            elif kinds:
                auth_type = "password" if has_password else "api_token"
            elif user_api_token is None:
                self.problems.append(
                    "No credentials: set KINTONE_USERNAME and KINTONE_PASSWORD, or KINTONE_API_TOKEN, or "
                    "KINTONE_OAUTH_CLIENT_ID and KINTONE_OAUTH_CLIENT_SECRET (and/or KINTONE_USER_API_TOKEN for "
                    "users, organizations and groups)."
                )
        if auth_type == "password":
            if not username:
                self.problems.append("Password authentication needs KINTONE_USERNAME (the login name).")
            if not password:
                self.problems.append("Password authentication needs KINTONE_PASSWORD (or KINTONE_PASSWORD_FILE).")
        elif auth_type == "api_token":
            if not has_token:
                self.problems.append(
                    "API token authentication needs KINTONE_API_TOKEN (comma-separated; APP_ID:TOKEN to say which "
                    "app each is for)."
                )
        elif auth_type == "oauth":
            if not client_id:
                self.problems.append("OAuth needs KINTONE_OAUTH_CLIENT_ID.")
            if not client_secret:
                self.problems.append("OAuth needs KINTONE_OAUTH_CLIENT_SECRET (or KINTONE_OAUTH_CLIENT_SECRET_FILE).")
        self.out["auth_type"] = auth_type

        if bool(basic_user) != bool(basic_password):
            missing = "KINTONE_BASIC_AUTH_PASSWORD" if basic_user else "KINTONE_BASIC_AUTH_USERNAME"
            self.problems.append(f"The Basic gate needs both KINTONE_BASIC_AUTH_USERNAME and _PASSWORD: set {missing}.")
        if basic_user and basic_password:
            if auth_type == "oauth":
                self.problems.append(
                    "The Basic gate (KINTONE_BASIC_AUTH_*) cannot be combined with OAuth: both need the "
                    "Authorization header. Use password or API token authentication behind the gate."
                )
            if user_api_token:
                self.problems.append(
                    "The Basic gate (KINTONE_BASIC_AUTH_*) cannot be combined with KINTONE_USER_API_TOKEN: both need "
                    "the Authorization header. Remove the User API token (password authentication also serves the "
                    "User API) or the gate."
                )
        if pfx_password and not self.out.get("pfx_file_path") and not self.raw.get("pfx_file_path"):
            self.problems.append("KINTONE_PFX_FILE_PASSWORD is set but KINTONE_PFX_FILE_PATH is not.")


# --- entry points ---------------------------------------------------------------------------------------------


def load_settings(
    cli_overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Builds the settings from command-line overrides (field names), the environment (``os.environ`` unless
    given) and the TOML connection file; raises :class:`ConfigurationError` listing every problem."""
    environment: Mapping[str, str] = os.environ if env is None else env
    cli = {k: v for k, v in (cli_overrides or {}).items() if v is not None}
    problems: list[str] = []
    cli = _with_secret_files(cli, where=" on the command line", base=None)
    env_values = _env_layer(environment)
    config_path = cli.get("config") or env_values.get("config")
    connection = cli.get("connection") or env_values.get("connection")
    toml_values: dict[str, Any] = {}
    if config_path:
        toml_values = _toml_layer(Path(str(config_path)), str(connection) if connection else None, problems)
    elif connection:
        problems.append("KINTONE_CONNECTION is set but KINTONE_CONFIG (the connections file) is not.")
    token = _LAYERS.set((env_values, toml_values))
    try:
        settings = Settings(**cli)
    except ConfigurationError as exc:
        raise ConfigurationError(problems + exc.problems) from None
    except PydanticValidationError as exc:
        # The resolver hands pydantic clean values, so this means a bug; still report it without input values.
        details = [f"{env_name(str(e['loc'][0])) if e['loc'] else 'settings'}: {e['msg']}" for e in exc.errors()]
        raise ConfigurationError(problems + details) from None
    finally:
        _LAYERS.reset(token)
    if problems:
        raise ConfigurationError(problems)
    _warn_about_short_secrets(settings)
    return settings


def _warn_about_short_secrets(settings: Settings) -> None:
    """Secrets too short to be masked in text without masking ordinary words are left visible if a server ever
    echoes them (see :mod:`kintone_mcp.redaction`); say so, naming the settings, never the values. A local
    sandbox's well-known password is no secret, so loopback addresses are not warned about."""
    from kintone_mcp.redaction import MIN_SECRET_LENGTH

    if is_loopback(urlsplit(settings.base_url).hostname or ""):
        return
    short = []
    for name in sorted(SECRET_FIELDS - {"api_token"}):
        value = getattr(settings, name)
        if isinstance(value, SecretStr) and len(value.get_secret_value()) < MIN_SECRET_LENGTH:
            short.append(env_name(name))
    if any(len(t.token.get_secret_value()) < MIN_SECRET_LENGTH for t in settings.api_token):
        short.append(env_name("api_token"))
    if short:
        logger.warning(
            "%s %s shorter than %d characters. A value that short cannot be masked in messages without masking "
            "ordinary words too, so it is not masked: use a longer secret.",
            ", ".join(short),
            "is" if len(short) == 1 else "are",
            MIN_SECRET_LENGTH,
        )


def build_client(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    oauth: httpx.Auth | None = None,
) -> KintoneClient:
    """A client for the configured connection.

    ``transport`` replaces the network (tests). ``oauth`` is the OAuth strategy (from the token store of
    ``kintone-mcp auth login``), required when ``auth_type`` is ``oauth``.
    """
    import httpx  # imported here: the server starts without it and builds the client at the first call

    from kintone_mcp.auth import (
        ApiToken,
        ApiTokenAuth,
        BasicGateAuth,
        Credentials,
        PasswordAuth,
        TlsConfigurationError,
        UserApiTokenAuth,
        build_transport,
    )
    from kintone_mcp.client import BackoffRetry, KintoneClient

    def secret(value: SecretStr | None) -> str:
        return value.get_secret_value() if value is not None else ""

    rest: httpx.Auth | None = None
    if settings.auth_type == "password":
        rest = PasswordAuth(settings.username or "", secret(settings.password))
    elif settings.auth_type == "api_token":
        rest = ApiTokenAuth(ApiToken(t.token.get_secret_value(), t.app) for t in settings.api_token)
    elif settings.auth_type == "oauth":
        if oauth is None:
            # The sign-in stored by `kintone-mcp auth login`; without one, every call says to run it.
            from kintone_mcp.auth.oauth_settings import oauth_auth_for

            oauth = oauth_auth_for(settings, transport=transport)
        rest = oauth
    if rest is not None and settings.basic_auth_username and settings.basic_auth_password:
        rest = BasicGateAuth(rest, settings.basic_auth_username, secret(settings.basic_auth_password))

    user_api: httpx.Auth | None = None
    if settings.user_api_token is not None:
        user_api = UserApiTokenAuth(secret(settings.user_api_token))
    elif settings.auth_type == "password":
        user_api = rest

    mounts: dict[str, httpx.AsyncBaseTransport] | None = None
    if transport is None:
        try:
            transport, mounts = build_transport(
                ca_bundle=settings.ca_bundle,
                pfx_path=settings.pfx_file_path,
                pfx_password=secret(settings.pfx_file_password) or None,
                https_proxy=secret(settings.https_proxy) or None,
            )
        except TlsConfigurationError as exc:
            raise ConfigurationError([str(exc)]) from None
    return KintoneClient(
        settings.base_url,
        credentials=Credentials(rest=rest, user_api=user_api),
        guest_space_id=settings.guest_space_id,
        transport=transport,
        mounts=mounts,
        timeout=httpx.Timeout(settings.timeout, connect=settings.connect_timeout),
        retry_policy=BackoffRetry(retries=settings.retries, total_timeout=settings.total_timeout),
        max_concurrency=settings.max_concurrency,
        # Half of Kintone's 10 per domain: other integrations and browsers' exports need some too.
        max_open_cursors=5,
    )
