"""The cybozu.com User API token (docs/kintone-api.md §2.1b): ``Authorization: Bearer cy.s.api1...``.

It authenticates the User API (``/v1/users.json`` ...) only, never the kintone REST API, so a connection can hold
app API tokens for records and this token for the directory at the same time. Because it takes the
``Authorization`` header it cannot be combined with the Basic gate.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence

import httpx2


class UserApiTokenAuth(httpx2.Auth):
    uses_authorization_header = True

    def __init__(self, token: str) -> None:
        if not token:
            raise ValueError("the User API token is empty (KINTONE_USER_API_TOKEN)")
        self._token = token
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
        request.headers["Authorization"] = self._header
        yield request

    def secret_values(self) -> Sequence[str]:
        return (self._token,)

    def describe(self) -> str:
        return "User API token"

    def __repr__(self) -> str:
        return "UserApiTokenAuth(token='**********')"
