"""Settings of the remote multi-user mode (``serve --transport http --auth kintone-oauth``, docs/remote.md).

Kept beside, not inside, :class:`~kintone_mcp.settings.Settings`: they describe the server that people reach (its
public address, TLS, its sealing keys, lifetimes), not a Kintone connection, and none of them may come from a
TOML connection. The Kintone side (``KINTONE_BASE_URL``, ``KINTONE_OAUTH_CLIENT_ID`` / ``_SECRET``,
``KINTONE_OAUTH_SCOPES``) is the ordinary connection settings with ``KINTONE_AUTH_TYPE=oauth``.

Environment (flags of ``serve`` win): ``KINTONE_MCP_PUBLIC_URL``, ``KINTONE_MCP_REMOTE_KEYS`` (or ``_FILE``),
``KINTONE_MCP_TLS_CERT`` / ``KINTONE_MCP_TLS_KEY`` or ``KINTONE_MCP_BEHIND_TLS_PROXY=1``,
``KINTONE_MCP_ACCESS_TOKEN_TTL``, ``KINTONE_MCP_REFRESH_TOKEN_TTL``, ``KINTONE_MCP_CODE_TTL``,
``KINTONE_MCP_SIGNIN_TTL``, ``KINTONE_MCP_CIMD_TIMEOUT``, ``KINTONE_MCP_CIMD_MAX_BYTES``,
``KINTONE_MCP_CIMD_ALLOW_PRIVATE`` (tests only), ``KINTONE_MCP_KINTONE_REVOCATION_URL``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kintone_mcp.loopback import is_loopback

#: bounds of each lifetime, seconds: (default, lowest, highest)
_LIFETIMES: dict[str, tuple[float, float, float]] = {
    # Kintone's own access tokens last an hour; ours never outlive the Kintone token inside them either way.
    "access_token_ttl": (3600.0, 1.0, 86_400.0),
    "refresh_token_ttl": (30 * 86_400.0, 60.0, 365 * 86_400.0),
    # RFC 6749 §4.1.2: codes short-lived, at most ten minutes recommended; a client redeems at once.
    "code_ttl": (60.0, 5.0, 600.0),
    # The person signing in at Kintone's consent page: long enough to type a password.
    "signin_ttl": (600.0, 30.0, 3600.0),
    "cimd_timeout": (5.0, 0.5, 30.0),
}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class RemoteSettingsError(ValueError):
    """The remote mode's settings cannot be used; lists every problem, never a key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"the remote server's settings are not usable ({len(problems)} problem(s)):\n{lines}")


@dataclass(frozen=True)
class RemoteSettings:
    public_url: str
    #: ``KID:BASE64URL,...``; parsed (and checked) by the server's sealing module
    keys_text: str = field(repr=False)
    tls_cert: Path | None = None
    tls_key: Path | None = None
    behind_tls_proxy: bool = False
    access_token_ttl: float = 3600.0
    refresh_token_ttl: float = 30 * 86_400.0
    code_ttl: float = 60.0
    signin_ttl: float = 600.0
    cimd_timeout: float = 5.0
    cimd_max_bytes: int = 64 * 1024
    #: lets a Client ID Metadata Document be fetched from private, loopback and link-local addresses (tests)
    cimd_allow_private: bool = False
    #: Kintone's RFC 7009 revocation endpoint, if the domain has one (Kintone documents none): sign-out revokes there
    kintone_revocation_url: str | None = None

    @property
    def resource(self) -> str:
        """The MCP endpoint's canonical URL: the RFC 8707 resource every access token must name."""
        return self.public_url + "/mcp"


def load_remote_settings(
    overrides: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None, *, host: str = "127.0.0.1"
) -> RemoteSettings:
    """The remote settings from ``overrides`` (field names, from flags) over the environment; ``host`` is the bind
    address. Raises RemoteSettingsError listing every problem; never quotes a key."""
    environment: Mapping[str, str] = os.environ if env is None else env
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    problems: list[str] = []

    def raw(name: str) -> Any:
        if name in given:
            return given[name]
        return environment.get(f"KINTONE_MCP_{name.upper()}")

    public_url = str(raw("public_url") or "").strip().rstrip("/")
    parts = urlsplit(public_url)
    if not public_url:
        problems.append("KINTONE_MCP_PUBLIC_URL (or --public-url) is required: the https address people reach, "
                        "e.g. https://mcp.example.com")
    elif parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment or (
        parts.path not in ("", "/")
    ):
        problems.append(f"KINTONE_MCP_PUBLIC_URL must be an origin like https://mcp.example.com, got {public_url!r}")
    elif parts.scheme == "http" and not (is_loopback(parts.hostname) and is_loopback(host)):
        problems.append(
            "KINTONE_MCP_PUBLIC_URL is plain http: that is allowed only when both it and the bind address are "
            "loopback (trying it out, tests). Serve https (--tls-cert/--tls-key) or put a TLS proxy in front "
            "(--behind-tls-proxy) and give its https address."
        )

    keys_text = str(raw("remote_keys") or "")
    keys_file = raw("remote_keys_file")
    if keys_text and keys_file:
        problems.append("KINTONE_MCP_REMOTE_KEYS and KINTONE_MCP_REMOTE_KEYS_FILE are both set: keep one.")
    elif keys_file:
        try:
            keys_text = Path(str(keys_file)).expanduser().read_text(encoding="utf-8")
        except OSError as exc:
            problems.append(f"KINTONE_MCP_REMOTE_KEYS_FILE cannot be read: {exc.strerror or exc}")
    if not keys_text.strip() and not keys_file:
        problems.append("KINTONE_MCP_REMOTE_KEYS (or _FILE) is required: the keys that seal tokens (docs/remote.md)")

    cert, key = raw("tls_cert"), raw("tls_key")
    behind = _flag(raw("behind_tls_proxy"), "KINTONE_MCP_BEHIND_TLS_PROXY", problems)
    if bool(cert) != bool(key):
        problems.append("--tls-cert and --tls-key (KINTONE_MCP_TLS_CERT/_KEY) go together: give both or neither.")
    if cert and behind:
        problems.append("--tls-cert and --behind-tls-proxy exclude each other: either this server speaks TLS or "
                        "the proxy in front does.")
    loopback_only = is_loopback(host) and parts.scheme == "http"
    if not (cert or behind or loopback_only) and public_url:
        problems.append(
            "refusing to start without TLS: give --tls-cert and --tls-key, or --behind-tls-proxy when a TLS proxy "
            "in front forwards to this server (plain http serves only loopback, with an http://127.0.0.1 public URL)"
        )
    if (cert or behind) and parts.scheme == "http" and not loopback_only:
        problems.append("with TLS, KINTONE_MCP_PUBLIC_URL must be the https address")

    values: dict[str, Any] = {}
    for name, (default, low, high) in _LIFETIMES.items():
        values[name] = _number(raw(name), f"KINTONE_MCP_{name.upper()}", default, low, high, problems)
    values["cimd_max_bytes"] = int(
        _number(raw("cimd_max_bytes"), "KINTONE_MCP_CIMD_MAX_BYTES", 64 * 1024, 1024, 1024 * 1024, problems)
    )
    allow_private = _flag(raw("cimd_allow_private"), "KINTONE_MCP_CIMD_ALLOW_PRIVATE", problems)
    revocation = str(raw("kintone_revocation_url") or "").strip() or None
    if revocation is not None and not revocation.startswith("https://") and not is_loopback(
        urlsplit(revocation).hostname or ""
    ):
        problems.append("KINTONE_MCP_KINTONE_REVOCATION_URL must be an https URL")
    if problems:
        raise RemoteSettingsError(problems)
    return RemoteSettings(
        public_url=public_url,
        keys_text=keys_text,
        tls_cert=Path(str(cert)).expanduser() if cert else None,
        tls_key=Path(str(key)).expanduser() if key else None,
        behind_tls_proxy=behind,
        cimd_allow_private=allow_private,
        kintone_revocation_url=revocation,
        **values,
    )


def _flag(value: Any, name: str, problems: list[str]) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value or "").strip().lower()
    if text in _TRUE:
        return True
    if text not in _FALSE:
        problems.append(f"{name} must be true or false, got {value!r}")
    return False


def _number(value: Any, name: str, default: float, low: float, high: float, problems: list[str]) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        problems.append(f"{name} must be a number, got {value!r}")
        return default
    if not low <= number <= high:
        problems.append(f"{name} must be between {low:g} and {high:g}, got {number:g}")
        return default
    return number
