"""Building the settings once, at start: command-line flags > environment > the TOML connection.

The three layers are pydantic-settings sources handed to :class:`Settings` through its ``_build_sources``
argument, so the precedence is pydantic-settings' own merge and nothing is passed around behind its back.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr
from pydantic import ValidationError as PydanticValidationError
from pydantic_settings import InitSettingsSource

from kintone_mcp.loopback import is_loopback
from kintone_mcp.redaction import MIN_SECRET_LENGTH
from kintone_mcp.settings.errors import ConfigurationError
from kintone_mcp.settings.fields import SECRET_FIELDS, env_name
from kintone_mcp.settings.schema import Settings
from kintone_mcp.settings.sources import ConnectionFileSource, EnvironmentSource, with_secret_files
from kintone_mcp.settings.store import connections_path

#: settings of this machine rather than of a connection: a stored connection's check still uses them
_MACHINE_SETTINGS = frozenset(
    {"ca_bundle", "https_proxy", "timeout", "connect_timeout", "total_timeout", "retries", "max_concurrency",
     "oauth_token_store"}
)  # fmt: skip

logger = logging.getLogger("kintone_mcp.settings")


def load_settings(
    cli_overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Builds the settings from command-line overrides (field names), the environment (``os.environ`` unless
    given) and the TOML connection file; raises :class:`ConfigurationError` listing every problem."""
    environment: Mapping[str, str] = os.environ if env is None else env
    cli = {k: v for k, v in (cli_overrides or {}).items() if v is not None}
    cli = with_secret_files(cli, where=" on the command line", base=None)
    connection_file = ConnectionFileSource(Settings, environment)
    sources = (InitSettingsSource(Settings, init_kwargs=cli), EnvironmentSource(Settings, environment), connection_file)
    try:
        settings = Settings(_build_sources=(sources, cli))
    except ConfigurationError as exc:
        raise ConfigurationError(connection_file.problems + exc.problems) from None
    except PydanticValidationError as exc:
        # The resolver hands pydantic clean values, so this means a bug; still report it without input values.
        details = [f"{env_name(str(e['loc'][0])) if e['loc'] else 'settings'}: {e['msg']}" for e in exc.errors()]
        raise ConfigurationError(connection_file.problems + details) from None
    if connection_file.problems:
        raise ConfigurationError(connection_file.problems)
    _warn_about_short_secrets(settings)
    return settings


def machine_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment without the variables that configure a connection (address, credentials, apps, policy), so
    that a stored connection is checked as it is stored; what belongs to this machine (proxy, CA bundle, timeouts,
    the OAuth token store, where the secrets are and their passphrase) stays."""
    environment: Mapping[str, str] = os.environ if env is None else env
    dropped = {env_name(f) for f in Settings.model_fields if f not in _MACHINE_SETTINGS}
    dropped |= {f"{env_name(f)}_FILE" for f in SECRET_FIELDS if f not in _MACHINE_SETTINGS}
    return {k: v for k, v in environment.items() if k not in dropped}


def stored_connection_settings(
    name: str, config: str | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """The settings of the stored connection ``name`` alone (``kintone-mcp connection test``): its table and secrets
    in the connections file (``config``, else KINTONE_CONFIG, else the default one), with this machine's settings
    from the environment and nothing else from it."""
    environment: Mapping[str, str] = os.environ if env is None else env
    path = connections_path(environment, config)
    return load_settings({"config": str(path), "connection": name}, machine_environment(environment))


def draft_settings(name: str, values: Mapping[str, Any], env: Mapping[str, str] | None = None) -> Settings:
    """The settings a connection would have with ``values`` (its table with the secrets in it), before it is saved:
    what ``kintone-mcp connection add`` and ``edit`` check. Raises :class:`ConfigurationError`."""
    cli = {**{k: v for k, v in values.items() if v is not None}, "connection": name}
    sources = (InitSettingsSource(Settings, init_kwargs=cli), EnvironmentSource(Settings, machine_environment(env)))
    try:
        return Settings(_build_sources=(sources, cli))
    except PydanticValidationError as exc:
        details = [f"{env_name(str(e['loc'][0])) if e['loc'] else 'settings'}: {e['msg']}" for e in exc.errors()]
        raise ConfigurationError(details) from None


def _warn_about_short_secrets(settings: Settings) -> None:
    """Secrets too short to be masked in text without masking ordinary words are left visible if a server ever
    echoes them (see :mod:`kintone_mcp.redaction`); say so, naming the settings, never the values. A local
    sandbox's well-known password is no secret, so loopback addresses are not warned about."""
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
