"""Raised by a strategy that cannot authenticate a request; the client turns it into its own
:class:`~kintone_mcp.client.errors.CredentialsError` (auth sits below the client and does not import it)."""

from __future__ import annotations


class CredentialsUnavailable(Exception):
    """The configured credentials cannot serve this request; nothing was sent.

    ``missing`` is True when credentials for the target are absent (rather than too many to send at once).
    """

    def __init__(self, message: str, *, missing: bool) -> None:
        super().__init__(message)
        self.missing = missing
