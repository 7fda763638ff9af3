"""Password authentication: ``X-Cybozu-Authorization: base64(login:password)``."""

from __future__ import annotations

import base64
from collections.abc import Generator, Sequence

import httpx2


class PasswordAuth(httpx2.Auth):
    """Signs every request as a Kintone user. Serves the REST API and the User API alike."""

    uses_authorization_header = False

    def __init__(self, username: str, password: str) -> None:
        if not username:
            raise ValueError("password authentication needs a login name (KINTONE_USERNAME)")
        self.username = username
        self._password = password
        self._header = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
        request.headers["X-Cybozu-Authorization"] = self._header
        yield request

    def secret_values(self) -> Sequence[str]:
        # The header value is as good as the password, so scrub it too.
        return (self._password, self._header)

    def describe(self) -> str:
        return f"password of user {self.username!r}"

    def __repr__(self) -> str:
        return f"PasswordAuth(username={self.username!r}, password='**********')"
