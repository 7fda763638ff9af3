"""The launch configuration: command-line flags > environment > a TOML file of named connections.

This is the only package that reads ``os.environ``. :func:`load_settings` layers the three sources with
pydantic-settings, checks everything at once and returns a frozen :class:`Settings`; a misconfiguration raises one
:class:`ConfigurationError` listing every problem with the environment names that fix it, never echoing a secret.
Turning the settings into a client is :func:`kintone_mcp.connect.build_client`'s job, above this package.

Every setting is named ``KINTONE_<FIELD>`` in the environment (``https_proxy`` is ``HTTPS_PROXY``), ``<field>``
in a TOML connection and in ``cli_overrides``. Secrets may also be given as ``<NAME>_FILE``: a path to a file
holding the secret (``KINTONE_PASSWORD_FILE``; ``password_file`` in TOML).

The TOML file (``KINTONE_CONFIG``, else ``connections.toml`` in :func:`user_config_dir`, where
``kintone-mcp connection add`` keeps them) holds named connections; ``KINTONE_CONNECTION`` picks one, else
``default_connection``, else the only one of a file named explicitly. A connection added by ``connection add``
keeps its secrets in the OS keyring or an encrypted file (``secret_store``, see :mod:`kintone_mcp.settings.store`),
read as if they stood in its table::

    default_connection = "prod"

    [connections.prod]
    subdomain = "example"
    api_token = ["2:TOKEN_OF_DEALS", "1:TOKEN_OF_CUSTOMERS"]
    app_id = "deals"

    [connections.prod.app_aliases]
    deals = 2
    customers = 1

Relative paths in the file are relative to the file's directory.

Modules: ``fields`` (names, secret and path fields, value types), ``sources`` (environment, connections file),
``resolution`` (the checks), ``schema`` (``Settings``), ``load`` (``load_settings`` and the settings of one stored
connection), ``paths``, and the ``store`` sub-package (stored connections and their secrets).
"""

from kintone_mcp.settings.errors import ConfigurationError
from kintone_mcp.settings.fields import SECRET_FIELDS, ApiTokenSetting, AuthType, env_name
from kintone_mcp.settings.load import draft_settings, load_settings, machine_environment, stored_connection_settings
from kintone_mcp.settings.paths import user_config_dir
from kintone_mcp.settings.resolution import MIN_HTTP_TOKEN_LENGTH, app_id_of
from kintone_mcp.settings.schema import Settings

__all__ = [
    "MIN_HTTP_TOKEN_LENGTH",
    "SECRET_FIELDS",
    "ApiTokenSetting",
    "AuthType",
    "ConfigurationError",
    "Settings",
    "app_id_of",
    "draft_settings",
    "env_name",
    "load_settings",
    "machine_environment",
    "stored_connection_settings",
    "user_config_dir",
]
