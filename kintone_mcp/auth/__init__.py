"""Credential strategies for the Kintone client, each an ``httpx2.Auth``.

* :class:`PasswordAuth`: ``X-Cybozu-Authorization``; serves the REST API and the User API.
* :class:`ApiTokenAuth`: app API tokens (``X-Cybozu-API-Token``), at most 9 per request, chosen per target app
  when the configuration maps tokens to apps (``APP_ID:TOKEN``). REST API only.
* :class:`UserApiTokenAuth`: the cybozu.com User API token (``Authorization: Bearer``). User API only.
* :class:`BasicGateAuth`: the domain's Basic authentication gate, wrapped around password or app-token auth.
  It cannot go with the User API token or OAuth, which need the same ``Authorization`` header.
* OAuth 2.0 arrives with its own issue as another ``httpx2.Auth`` placed in ``Credentials.rest``; nothing else
  needs to change for it.
* :mod:`kintone_mcp.auth.tls`: CA bundle, client certificate (.pfx) and HTTPS proxy, wired into the transport.

:class:`Credentials` pairs the strategy for the REST API with the one for the User API.
"""

from kintone_mcp.auth.api_token import MAX_TOKENS_PER_REQUEST, ApiToken, ApiTokenAuth
from kintone_mcp.auth.base import APPS_EXTENSION, Credentials, KintoneAuth
from kintone_mcp.auth.basic_gate import BasicGateAuth
from kintone_mcp.auth.errors import CredentialsUnavailable
from kintone_mcp.auth.password import PasswordAuth
from kintone_mcp.auth.tls import TlsConfigurationError, build_transport, ssl_context
from kintone_mcp.auth.user_api_token import UserApiTokenAuth

__all__ = [
    "APPS_EXTENSION",
    "MAX_TOKENS_PER_REQUEST",
    "ApiToken",
    "ApiTokenAuth",
    "BasicGateAuth",
    "Credentials",
    "CredentialsUnavailable",
    "KintoneAuth",
    "PasswordAuth",
    "TlsConfigurationError",
    "UserApiTokenAuth",
    "build_transport",
    "ssl_context",
]
