"""What every credential strategy shares, and the pair of strategies a connection holds.

Each strategy is an ``httpx2.Auth``. Besides setting its header, a strategy can tell the client:

* ``secret_values()``: the secrets it holds, so that error messages can be scrubbed of them;
* ``uses_authorization_header``: whether it needs the ``Authorization`` header (Bearer), which rules out the
  Basic gate;
* ``describe()``: a secret-free description for error messages ("password of user 'sato'").

API tokens are per app: the client names the apps a request touches in the request extension
:data:`APPS_EXTENSION` (target app first, then apps its lookups read from) and the token strategy picks the tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import httpx2

#: request extension key holding ``tuple[int, ...]``: the apps a request touches, target first
APPS_EXTENSION = "kintone_mcp.apps"


@runtime_checkable
class KintoneAuth(Protocol):
    """The extra surface our ``httpx2.Auth`` strategies offer (an OAuth strategy will implement it too)."""

    uses_authorization_header: bool

    def secret_values(self) -> Sequence[str]: ...

    def describe(self) -> str: ...


def apps_of(request: httpx2.Request) -> tuple[int, ...]:
    apps = request.extensions.get(APPS_EXTENSION, ())
    return tuple(apps)


@dataclass(frozen=True)
class Credentials:
    """The credentials of one connection.

    ``rest`` authenticates the Kintone REST API (``/k/v1/...``: apps, records, files, comments); ``user_api``
    authenticates the cybozu.com User API (``/v1/users.json`` ...). Either may be None: the client then refuses
    that kind of call with :class:`~kintone_mcp.client.errors.CredentialsMissingError` before sending anything.
    A password strategy serves both; app API tokens serve only ``rest``; a User API token only ``user_api``.
    OAuth (its own strategy, added with the OAuth flow) goes in ``rest``.
    """

    rest: httpx2.Auth | None = None
    user_api: httpx2.Auth | None = None
    #: secrets of the connection that no strategy holds (a proxy's password and the Proxy-Authorization value made
    #: from it, the client certificate's password): masked in text like the strategies' own
    other_secrets: tuple[str, ...] = ()

    def secret_values(self) -> list[str]:
        out: list[str] = [s for s in self.other_secrets if s]
        for auth in (self.rest, self.user_api):
            if isinstance(auth, KintoneAuth):
                out.extend(s for s in auth.secret_values() if s)
        return out

    def describe(self, api: str) -> str:
        auth = self.rest if api == "rest" else self.user_api
        if auth is None:
            return "no credentials"
        return auth.describe() if isinstance(auth, KintoneAuth) else type(auth).__name__
