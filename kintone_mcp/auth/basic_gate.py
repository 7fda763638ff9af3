"""The Basic authentication gate some cybozu.com domains put in front of everything.

It is checked *in addition to* Kintone's own authentication, so it wraps another strategy: password or app API
tokens. It occupies the ``Authorization`` header, so it cannot go with a strategy that needs that header: the User
API token and OAuth (both ``Authorization: Bearer``) are refused here.
"""

from __future__ import annotations

import base64
from collections.abc import Generator, Sequence

import httpx2

from kintone_mcp.auth.base import KintoneAuth


class BasicGateAuth(httpx2.Auth):
    uses_authorization_header = True

    def __init__(self, inner: httpx2.Auth, username: str, password: str) -> None:
        if getattr(inner, "uses_authorization_header", False):
            raise ValueError(
                "The Basic gate (KINTONE_BASIC_AUTH_USERNAME/KINTONE_BASIC_AUTH_PASSWORD) uses the Authorization "
                "header, which OAuth and the User API token also need: they cannot be combined."
            )
        self.inner = inner
        self.username = username
        self._password = password
        self._header = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
        request.headers["Authorization"] = self._header
        yield from self.inner.auth_flow(request)

    def secret_values(self) -> Sequence[str]:
        inner = tuple(self.inner.secret_values()) if isinstance(self.inner, KintoneAuth) else ()
        return (self._password, self._header.removeprefix("Basic "), *inner)

    def describe(self) -> str:
        inner = self.inner.describe() if isinstance(self.inner, KintoneAuth) else type(self.inner).__name__
        return f"{inner} behind the Basic gate of user {self.username!r}"

    def __repr__(self) -> str:
        return f"BasicGateAuth(inner={self.inner!r}, username={self.username!r}, password='**********')"
