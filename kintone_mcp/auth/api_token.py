"""App API tokens: ``X-Cybozu-API-Token: t1,t2``.

A token belongs to one app. Kintone accepts at most 9 tokens in one request and rejects two tokens for the same app
(``GAIA_DA03``), so when the configuration says which app each token belongs to (``APP_ID:TOKEN``) only the tokens
the request needs are sent: the target app's, plus those of the apps its lookups read from on writes. Tokens
given without an app are always sent, since nothing says which app they serve.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass, field

import httpx2

from kintone_mcp.auth.base import apps_of
from kintone_mcp.auth.errors import CredentialsUnavailable

#: Kintone's limit on tokens per request
MAX_TOKENS_PER_REQUEST = 9


@dataclass(frozen=True)
class ApiToken:
    """A token and, when known, the id of the app it was issued for."""

    token: str = field(repr=False)
    app: int | None = None

    def __repr__(self) -> str:
        return f"ApiToken(app={self.app}, token='**********')"


class ApiTokenAuth(httpx2.Auth):
    uses_authorization_header = False

    def __init__(self, tokens: Iterable[ApiToken | str]) -> None:
        items = [t if isinstance(t, ApiToken) else ApiToken(t) for t in tokens]
        if not items:
            raise ValueError("API token authentication needs at least one token (KINTONE_API_TOKEN)")
        self._by_app: dict[int, str] = {}
        self._unmapped: list[str] = []
        for item in items:
            if item.app is None:
                if item.token not in self._unmapped:
                    self._unmapped.append(item.token)
            else:
                # The first token listed for an app is the one used: two for one app would be GAIA_DA03.
                self._by_app.setdefault(item.app, item.token)
        self._all = [*self._by_app.values(), *self._unmapped]

    @property
    def mapped_apps(self) -> frozenset[int]:
        return frozenset(self._by_app)

    @property
    def has_unmapped(self) -> bool:
        return bool(self._unmapped)

    def wants_related_apps(self, app: int) -> bool:
        """True when tokens for other apps exist, so a write must learn which apps its lookups read from."""
        return any(a != app for a in self._by_app)

    def select(self, apps: Sequence[int]) -> list[str]:
        """The tokens to send for a request touching ``apps`` (target first); all of them when unknown."""
        if not apps:
            chosen = list(self._all)
        else:
            target = apps[0]
            if target not in self._by_app and not self._unmapped:
                known = ", ".join(str(a) for a in sorted(self._by_app)) or "none"
                raise CredentialsUnavailable(
                    f"No API token is configured for app {target} (tokens are configured for apps: {known}). "
                    f"Add one as {target}:TOKEN to KINTONE_API_TOKEN.",
                    missing=True,
                )
            chosen = [self._by_app[a] for a in dict.fromkeys(apps) if a in self._by_app]
            chosen.extend(self._unmapped)
        if len(chosen) > MAX_TOKENS_PER_REQUEST:
            raise CredentialsUnavailable(
                f"This request would need {len(chosen)} API tokens, but Kintone accepts at most "
                f"{MAX_TOKENS_PER_REQUEST} per request. Give each token's app as APP_ID:TOKEN in KINTONE_API_TOKEN "
                "so that only the tokens a request needs are sent.",
                missing=False,
            )
        return chosen

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
        request.headers["X-Cybozu-API-Token"] = ",".join(self.select(apps_of(request)))
        yield request

    def secret_values(self) -> Sequence[str]:
        return tuple(self._all)

    def describe(self) -> str:
        parts = [f"app {a}" for a in sorted(self._by_app)]
        if self._unmapped:
            parts.append(f"{len(self._unmapped)} token(s) without an app id")
        return "API token(s) for " + ", ".join(parts)

    def __repr__(self) -> str:
        return f"ApiTokenAuth(apps={sorted(self._by_app)}, unmapped={len(self._unmapped)})"
