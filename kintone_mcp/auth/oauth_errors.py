"""Why an OAuth connection cannot serve a request, with the command that fixes it.

Raised inside the OAuth strategy (below the client); the client turns it into
:class:`kintone_mcp.client.errors.OAuthLoginRequiredError`, which keeps these attributes.
"""

from __future__ import annotations

import httpx2

from kintone_mcp.auth.errors import CredentialsUnavailable


def login_command(connection: str | None) -> str:
    return "kintone-mcp auth login" + (f" --connection {connection}" if connection else "")


class OAuthUnavailable(CredentialsUnavailable):
    """The stored OAuth sign-in cannot be used: none yet, expired or revoked, or lacking a scope.

    ``connection`` is the connection name (None for the default one), ``missing_scope`` the scope a refused call
    needed (None unless that is the problem), ``reason`` what went wrong in words. ``str()`` ends with what to do.
    """

    def __init__(self, reason: str, *, connection: str | None, missing_scope: str | None = None,
                 fix: str | None = None) -> None:
        self.reason = reason
        self.connection = connection
        self.missing_scope = missing_scope
        self.command = login_command(connection)
        if fix is None:
            if missing_scope is not None:
                fix = (f"Run `{self.command}` and approve the {missing_scope} scope (add it to "
                       "KINTONE_OAUTH_SCOPES if it is not there).")
            else:
                fix = f"Run `{self.command}` to sign in to Kintone."
        self.fix = fix
        super().__init__(f"{reason} {fix}", missing=False)


class TokenEndpointError(httpx2.TransportError):
    """The token endpoint gave no usable answer (5xx, a gateway page): a temporary failure, retryable like a
    network error, and no reason to sign in again."""
