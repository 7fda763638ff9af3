"""The OAuth tokens of one connection, as kept in the token store between runs.

Besides the tokens, an entry remembers which domain and client issued them, so that a store entry is never sent to
another Kintone, and which scopes were granted, so that a refused call can name the scope that is missing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class OAuthTokens:
    access_token: str
    refresh_token: str | None
    #: When the access token stops working (seconds since the epoch, from ``expires_in`` at issue).
    expires_at: float
    scopes: tuple[str, ...]
    base_url: str
    client_id: str
    #: The login name the user signed in with, when known (Kintone's token answer does not say).
    user: str | None = None
    #: When the refresh token was last obtained (seconds since the epoch).
    obtained_at: float = 0.0

    def expires_within(self, seconds: float, now: float) -> bool:
        return self.expires_at - now <= seconds

    def with_answer(self, answer: dict[str, Any], now: float) -> OAuthTokens:
        """These tokens updated from a token endpoint answer; a missing ``refresh_token`` keeps the old one."""
        return replace(
            self,
            access_token=str(answer["access_token"]),
            refresh_token=str(answer["refresh_token"]) if answer.get("refresh_token") else self.refresh_token,
            expires_at=now + expires_in(answer),
            scopes=tuple(str(answer["scope"]).split()) if answer.get("scope") else self.scopes,
            obtained_at=now if answer.get("refresh_token") else self.obtained_at,
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": 1,
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_at": self.expires_at,
                "scopes": list(self.scopes),
                "base_url": self.base_url,
                "client_id": self.client_id,
                "user": self.user,
                "obtained_at": self.obtained_at,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> OAuthTokens:
        """Raises ValueError (never echoing the text, which holds secrets) when the entry is unreadable."""
        try:
            data = json.loads(text)
            return cls(
                access_token=str(data["access_token"]),
                refresh_token=str(data["refresh_token"]) if data.get("refresh_token") else None,
                expires_at=float(data["expires_at"]),
                scopes=tuple(str(s) for s in data.get("scopes", ())),
                base_url=str(data["base_url"]),
                client_id=str(data["client_id"]),
                user=str(data["user"]) if data.get("user") else None,
                obtained_at=float(data.get("obtained_at") or 0.0),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"the stored OAuth tokens are unreadable ({type(exc).__name__})") from None

    def __repr__(self) -> str:
        return (
            f"OAuthTokens(base_url={self.base_url!r}, client_id={self.client_id!r}, scopes={self.scopes!r}, "
            f"expires_at={self.expires_at!r}, access_token='***', refresh_token="
            f"{'***' if self.refresh_token else None!r})"
        )

    __str__ = __repr__


def expires_in(answer: dict[str, Any]) -> float:
    # Kintone sends 3600; a missing or odd value is taken as that rather than as "never expires".
    try:
        value = float(answer.get("expires_in", 3600))
    except (TypeError, ValueError):
        value = 3600.0
    return value if value > 0 else 3600.0
