"""The launch configuration's schema: the frozen :class:`Settings` every layer above is handed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from kintone_mcp.settings.fields import ApiTokenSetting, AuthType, ConfirmMode
from kintone_mcp.settings.resolution import resolve


class Settings(BaseSettings):
    """The resolved launch configuration. Frozen; secrets are ``SecretStr`` (``repr`` shows ``**********``).

    ``auth_type`` is the REST API strategy after inference (None when only a User API token is configured);
    ``base_url`` is final (built from ``subdomain``/``domain`` when no URL was given). App references in
    ``app_id``, ``allow_apps`` and ``deny_apps`` are resolved through ``app_aliases`` to ids. ``connection`` is
    the connection used from the ``config`` file (KINTONE_CONNECTION, else the file's ``default_connection`` or
    its only one); None without a file.

    ``Settings(...)`` alone reads nothing but its arguments (still checked and resolved); :func:`load_settings`
    adds the environment and the connections file.
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
    #: Toolsets to offer (KINTONE_TOOLSETS); None: the default ones. Names are checked when the server is built.
    toolsets: tuple[str, ...] | None = None
    #: Which calls ask the person first, through MCP elicitation: destructive (default), writes, or never.
    confirm: ConfirmMode = "destructive"
    #: Bulk writes of more records than this are destructive calls for KINTONE_CONFIRM=destructive.
    confirm_bulk: int = 100
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
    #: Largest attachment download_file saves, in bytes (larger: refused, nothing saved).
    download_max_bytes: int = 100 * 1024 * 1024
    #: Folder download_file saves into (None: small text files are only returned inline).
    download_dir: Path | None = None
    #: Connections the Streamable HTTP transport holds at once (beyond it, the stalest unfinished request is dropped).
    mcp_http_max_connections: int = 200
    #: Seconds a request may take to arrive whole (headers and body) over the Streamable HTTP transport.
    mcp_http_read_timeout: float = 20.0
    #: Streamable HTTP sessions open at once (beyond it, a new session is answered 503).
    mcp_http_max_sessions: int = 100
    #: Seconds a Streamable HTTP session may stay without any request before it is closed.
    mcp_http_session_idle_timeout: float = 1800.0

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # pydantic-settings would read os.environ and secret directories of its own: only load_settings() adds
        # sources, and its own (the environment it is given, the connections file).
        return (init_settings,)

    @model_validator(mode="before")
    @classmethod
    def _resolve(cls, data: Any) -> Any:
        # Runs on the merged values of every source, so a check can see settings from different sources together.
        if not isinstance(data, dict):
            return data
        return resolve(data, cls.model_fields)

    @property
    def has_rest_credentials(self) -> bool:
        return self.auth_type is not None

    @property
    def has_user_api_credentials(self) -> bool:
        return self.user_api_token is not None or self.auth_type == "password"
