"""What each setting is: its environment variable, which settings hold a secret or a path, and the small value
types the settings are made of. A leaf of the package: the sources, the resolution and the schema all use it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, SecretStr

AuthType = Literal["password", "api_token", "oauth"]
#: KINTONE_CONFIRM: which tool calls ask the person first (server/confirm.py)
ConfirmMode = Literal["destructive", "writes", "never"]

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
PATH_FIELDS = frozenset({"pfx_file_path", "ca_bundle", "download_dir"})


def env_name(field: str) -> str:
    """The environment variable of a setting."""
    return "HTTPS_PROXY" if field == "https_proxy" else f"KINTONE_{field.upper()}"


class ApiTokenSetting(BaseModel):
    """One configured app API token; ``app`` is set when given as ``APP_ID:TOKEN``."""

    model_config = ConfigDict(frozen=True)

    token: SecretStr
    app: int | None = None
