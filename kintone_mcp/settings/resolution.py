"""From the merged raw values to the values of :class:`~kintone_mcp.settings.Settings`: every check, the inference
of the authentication type, the base URL from a subdomain, app aliases resolved to ids. Every problem is
collected before failing, so that one :class:`ConfigurationError` lists them all, each naming the environment
variable that fixes it and never echoing a secret."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr
from pydantic.fields import FieldInfo

from kintone_mcp.loopback import is_loopback
from kintone_mcp.redaction import MIN_SECRET_LENGTH
from kintone_mcp.settings.errors import ConfigurationError
from kintone_mcp.settings.fields import ApiTokenSetting, AuthType, env_name
from kintone_mcp.settings.sources import Problem, items

logger = logging.getLogger("kintone_mcp.settings")

_AUTH_TYPE_ALIASES: dict[str, AuthType] = {
    "password": "password",
    "custom": "password",
    "api_token": "api_token",
    "token": "api_token",
    "apitoken": "api_token",
    "oauth": "oauth",
    "oauth2": "oauth",
}

#: Kintone's concurrent-request limit per domain, shared by every client of the domain
_DOMAIN_CONCURRENCY = 100
#: shortest bearer token accepted for the HTTP transport
MIN_HTTP_TOKEN_LENGTH = 16
#: at most this many tokens go in one request (Kintone's limit)
_MAX_TOKENS = 9

#: KINTONE_CONFIRM's values (server/confirm.py)
CONFIRM_MODES = ("destructive", "writes", "never")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_SUBDOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z")
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)
_TOKEN = re.compile(r"^[A-Za-z0-9._~+/=-]+\Z")
_ALIAS = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*\Z")


#: ``scheme://user:password@`` (or ``user:password@`` without a scheme) at the start of a URL
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)?[^/?#]*@")


def _masked(value: object) -> str:
    """A wrong value quoted in a problem without revealing it: it may be a secret pasted into the wrong setting.
    Values shorter than the shortest secret the redactor masks are quoted whole (they help, and hide nothing)."""
    text = str(value)
    if len(text) < MIN_SECRET_LENGTH:
        return repr(text)
    return f"{text[:2]!r}… ({len(text)} characters, not shown)"


def _shown_url(text: str) -> str:
    """A URL quoted in a problem: its user and password (``user:password@``) are never shown, however malformed
    the rest is; what is left is shown whole when it holds no '@' at all."""
    without = _USERINFO.sub(lambda m: f"{m.group(1) or ''}***@", text.strip(), count=1)
    return repr(without) if "@" not in without.replace("***@", "", 1) else _masked(text)


def _digits(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also accepts "²" and "١", which ``int()`` refuses or reads otherwise."""
    text = text.strip()
    return text.isascii() and text.isdigit()


def app_id_of(ref: object, aliases: Mapping[str, int]) -> int | None:
    """The app a configured reference means: a positive whole number is an id, anything else an alias; None when
    it is neither."""
    text = str(ref).strip()
    # isdigit alone accepts "²", which int() refuses.
    if not isinstance(ref, bool) and text.isascii() and text.isdigit() and int(text) > 0:
        return int(text)
    return aliases.get(text)


def resolve(data: dict[str, Any], fields: Mapping[str, FieldInfo]) -> dict[str, Any]:
    """The values of the settings whose ``fields`` are given; raises ConfigurationError listing every problem."""
    return _Resolver(data, fields).resolve()


class _Resolver:
    """Turns the merged raw values into Settings' values, collecting every problem before failing."""

    def __init__(self, data: dict[str, Any], fields: Mapping[str, FieldInfo]) -> None:
        self.raw = data
        self.fields = fields
        self.problems: list[str] = []
        self.out: dict[str, Any] = {}

    def resolve(self) -> dict[str, Any]:
        raw = self.raw
        for key, value in list(raw.items()):
            if isinstance(value, Problem):
                self.problems.append(value.text)
                raw[key] = None
        unknown = sorted(k for k in raw if k not in self.fields)
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
        toolsets = self._names("toolsets")
        self.out["toolsets"] = tuple(t.lower() for t in toolsets if t) if toolsets else None
        if tools and disabled and set(tools) & set(disabled):
            both = ", ".join(sorted(set(tools) & set(disabled)))
            self.problems.append(f"Tool(s) {both} are in both KINTONE_TOOLS and KINTONE_DISABLE_TOOLS: keep one.")
        self._confirmation()
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
                f"KINTONE_OAUTH_REDIRECT_URI must be an http(s) URL, got {_shown_url(self.out['oauth_redirect_uri'])}."
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
        self.problems.append(f"{env_name(key)} must be true or false, got {_masked(value)}.")
        return False

    def _positive_int(self, key: str) -> int | None:
        value = self.raw.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not _digits(str(value)) or int(str(value).strip()) < 1:
            self.problems.append(f"{env_name(key)} must be a positive whole number, got {_masked(value)}.")
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
            self.problems.append(f"{env_name(key)} must be a {kind} from {low:g} to {high:g}, got {_masked(value)}.")
            return None
        return number

    def _confirmation(self) -> None:
        mode = self._text("confirm")
        if mode is not None and mode.lower() not in CONFIRM_MODES:
            self.problems.append(
                f"KINTONE_CONFIRM must be destructive (ask before destructive calls, the default), writes (ask before "
                f"every write) or never, got {_masked(mode)}."
            )
            mode = None
        self.out["confirm"] = mode.lower() if mode is not None else None
        bulk = self._number("confirm_bulk", 1, 1_000_000, whole=True)
        self.out["confirm_bulk"] = int(bulk) if bulk is not None else None

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
        timeout = self.out["timeout"] or self.fields["timeout"].default
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
        for key, low, high in (("mcp_http_max_connections", 2, 100_000), ("mcp_http_max_sessions", 1, 100_000)):
            count = self._number(key, low, high, whole=True)
            self.out[key] = int(count) if count is not None else None
        self.out["mcp_http_read_timeout"] = self._number("mcp_http_read_timeout", 0.1, 3600)
        self.out["mcp_http_session_idle_timeout"] = self._number("mcp_http_session_idle_timeout", 1, 7 * 86_400)
        largest = self._number("download_max_bytes", 1, 1024**4, whole=True)
        self.out["download_max_bytes"] = int(largest) if largest is not None else None
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
            for item in items(value):
                name, sep, app = str(item).partition("=")
                if not sep:
                    name, sep, app = str(item).partition(":")
                if not sep:
                    self.problems.append(
                        f"KINTONE_APP_ALIASES entry {_masked(item)} must look like name=APP_ID "
                        "(e.g. deals=2,customers=1)."
                    )
                    continue
                pairs.append((name.strip(), app.strip()))
        aliases: dict[str, int] = {}
        for name, app in pairs:
            text = str(app).strip()
            if not isinstance(name, str) or not _ALIAS.match(name):
                self.problems.append(
                    f"KINTONE_APP_ALIASES: alias {_masked(name)} must start with a letter or _ and hold only letters, "
                    "digits, _ and -."
                )
            elif isinstance(app, bool) or not _digits(text) or int(text) < 1:
                self.problems.append(
                    f"KINTONE_APP_ALIASES: alias {_masked(name)} must map to an app id, got {_masked(app)}."
                )
            else:
                aliases[name] = int(text)
        return aliases

    def _app_ref(self, key: str, ref: Any, aliases: Mapping[str, int]) -> int | None:
        app = app_id_of(ref, aliases)
        if app is not None:
            return app
        known = ", ".join(sorted(aliases)) or "none defined"
        self.problems.append(
            f"{env_name(key)}: {_masked(ref)} is neither an app id nor an alias from KINTONE_APP_ALIASES ({known})."
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
        listed = items(value)
        if not listed and key == "allow_apps":
            # Given, but listing nothing (",", [] or an empty --allow-apps): allowing every app would widen access
            # on a typo, and allowing none would make a server that can do nothing. Neither is what was meant.
            self.problems.append(
                "KINTONE_ALLOW_APPS (--allow-apps) is given but lists no app: list the app ids or aliases the server "
                "may use (e.g. 2,3), or remove the setting to allow every app the credentials reach."
            )
            return None
        apps = [self._app_ref(key, item, aliases) for item in listed]
        return tuple(dict.fromkeys(a for a in apps if a is not None))

    def _names(self, key: str) -> tuple[str, ...] | None:
        value = self.raw.get(key)
        if value is None or value == "":
            return None
        return tuple(dict.fromkeys(str(v).strip() for v in items(value)))

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
                    f"https://SUBDOMAIN.cybozu.com), got {_masked(subdomain)}."
                )
                return
            if not _HOSTNAME.match(domain):
                self.problems.append(f"KINTONE_DOMAIN must be a host name such as cybozu.com, got {_masked(domain)}.")
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
            self.problems.append(f"KINTONE_BASE_URL must look like https://example.cybozu.com, got {_shown_url(text)}.")
            return
        if parts.username or parts.password:
            self.problems.append(
                "KINTONE_BASE_URL must not hold a user or password: use KINTONE_USERNAME/KINTONE_PASSWORD, or "
                "KINTONE_BASIC_AUTH_USERNAME/KINTONE_BASIC_AUTH_PASSWORD for the Basic gate."
            )
            return
        if parts.query or parts.fragment or parts.path.strip("/"):
            self.problems.append(
                "KINTONE_BASE_URL must be just the scheme and host (e.g. https://example.cybozu.com), got "
                f"{_shown_url(text)}."
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
        for n, item in enumerate(items(value), start=1):
            if isinstance(item, ApiTokenSetting):
                tokens.append(item)
                continue
            if isinstance(item, SecretStr):
                item = item.get_secret_value()
            text = str(item).strip()
            app: int | None = None
            head, sep, tail = text.partition(":")
            if sep and _digits(head):
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
                    f"got {_masked(raw_type)}."
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
