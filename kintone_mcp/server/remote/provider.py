"""The authorization server MCP clients see, federating sign-in to the Kintone domain's own OAuth, holding nothing.

The SDK's handlers (``mcp.server.auth``) speak the protocol: metadata, ``/authorize`` (code + PKCE S256 only,
redirect URIs matched exactly), ``/token``, ``/register``, ``/revoke``. This provider answers their questions
from sealed values (:mod:`.sealing`) instead of a database:

* a client is identified by a Client ID Metadata Document (an https ``client_id``, fetched with limits,
  :mod:`.cimd`) or by dynamic registration, whose ``client_id`` *is* the sealed registration;
* ``/authorize`` seals the transaction (client, redirect URI, PKCE challenge, the client's state, the resource,
  and the verifier of our own PKCE leg to Kintone) into the ``state`` sent to Kintone's consent page;
* Kintone redirects to ``/oauth/callback``; the code this server gives the client seals Kintone's code, which is
  redeemed only at ``/token``, so Kintone's single use of its code makes ours single-use too, on every replica;
* access and refresh tokens seal the user's Kintone tokens; refreshing ours refreshes Kintone's.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import replace
from typing import Any

import httpx2
from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    AuthorizeError,
    IdentityAssertionParams,
    RefreshToken,
    TokenError,
    construct_redirect_uri,
)
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from pydantic import Field, ValidationError

from kintone_mcp.auth.errors import CredentialsUnavailable
from kintone_mcp.auth.oauth import GrantRefused, OAuthSession
from kintone_mcp.auth.oauth_errors import TokenEndpointError
from kintone_mcp.server.remote.cimd import MetadataDocumentError, MetadataFetcher, looks_like_metadata_url
from kintone_mcp.server.remote.sealing import Sealer, SealError
from kintone_mcp.settings.remote import RemoteSettings

logger = logging.getLogger(__name__)

CALLBACK_PATH = "/oauth/callback"
#: a dynamic registration is good for this long (re-registering is free: nothing is stored)
REGISTRATION_TTL = 365 * 86_400.0


class RemoteAuthorizationCode(AuthorizationCode):
    kintone_code: str = Field(repr=False, exclude=True)
    kintone_verifier: str = Field(repr=False, exclude=True)


class RemoteRefreshToken(RefreshToken):
    token: str = Field(repr=False)
    kintone_refresh: str = Field(repr=False, exclude=True)


class RemoteAccessToken(AccessToken):
    """The verified bearer token of one request: who (``subject``: the sign-in's id) and their Kintone token."""

    token: str = Field(repr=False)
    kintone_access: str = Field(repr=False, exclude=True)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


class KintoneOAuthProvider:
    """``OAuthAuthorizationServerProvider`` over sealed values; ``kintone`` is the session to the Kintone domain's
    OAuth client, whose redirect URI is this server's callback."""

    def __init__(
        self,
        settings: RemoteSettings,
        sealer: Sealer,
        kintone: OAuthSession,
        *,
        scopes: tuple[str, ...],
        fetcher: MetadataFetcher | None = None,
        revocation_url: str | None = None,
        kintone_transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.sealer = sealer
        self.kintone = kintone
        self.scopes = scopes
        self.kintone_revocation_url = revocation_url
        self.kintone_transport = kintone_transport
        self.fetcher = fetcher or MetadataFetcher(
            timeout=settings.cimd_timeout, max_bytes=settings.cimd_max_bytes, allow_private=settings.cimd_allow_private
        )

    # --- clients --------------------------------------------------------------------------------------------

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        if looks_like_metadata_url(client_id):
            try:
                client = await self.fetcher.fetch(client_id)
            except MetadataDocumentError as exc:
                logger.info("client metadata document refused: %s", exc)
                return None
            if client.scope is None:
                client.scope = " ".join(self.scopes)
            return client
        try:
            claims = self.sealer.open("client", client_id)
        except SealError:
            return None
        try:
            return OAuthClientInformationFull.model_validate({**claims["meta"], "client_id": client_id})
        except (KeyError, ValidationError):
            return None

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        # Stateless registration: the client id is the registration, sealed; the SDK's handler answers with
        # this same object, so the id given back is the sealed one.
        if client_info.scope is None:
            client_info.scope = " ".join(self.scopes)
        meta = client_info.model_dump(mode="json", exclude={"client_id"}, exclude_none=True)
        client_info.client_id = self.sealer.seal("client", {"meta": meta}, ttl=REGISTRATION_TTL)

    # --- authorization --------------------------------------------------------------------------------------

    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        resource = params.resource or self.settings.resource
        if resource.rstrip("/") != self.settings.resource:
            raise AuthorizeError("invalid_target", f"this server issues tokens only for {self.settings.resource}")
        if not params.redirect_uri_provided_explicitly:
            raise AuthorizeError("invalid_request", "redirect_uri is required")
        scopes = [s for s in (params.scopes or self.scopes) if s in self.scopes] or list(self.scopes)
        verifier = secrets.token_urlsafe(48)
        state = self.sealer.seal(
            "signin",
            {
                "cid": client.client_id,
                "ru": str(params.redirect_uri),
                "cc": params.code_challenge,
                "st": params.state,
                "sc": scopes,
                "kv": verifier,
            },
            ttl=self.settings.signin_ttl,
        )
        session = OAuthSession(replace(self.kintone.config, scopes=tuple(scopes)))
        return session.authorization_url(state=state, code_verifier=verifier)

    def callback_redirect(self, query: dict[str, str]) -> str:
        """Where the browser goes after Kintone's consent page: the client's redirect URI with our code (or
        Kintone's error). Raises SealError for a state this server did not issue or that has expired."""
        claims = self.sealer.open("signin", query.get("state", ""))
        if "code" not in query:
            error = query.get("error", "access_denied")
            if error not in ("access_denied", "invalid_scope", "server_error", "temporarily_unavailable"):
                error = "access_denied"
            return construct_redirect_uri(claims["ru"], error=error, state=claims["st"])
        code = self.sealer.seal(
            "code",
            {k: claims[k] for k in ("cid", "ru", "cc", "sc", "kv")} | {"kc": query["code"]},
            ttl=self.settings.code_ttl,
        )
        return construct_redirect_uri(claims["ru"], code=code, state=claims["st"])

    async def load_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: str
    ) -> RemoteAuthorizationCode | None:
        try:
            claims = self.sealer.open("code", authorization_code)
        except SealError as exc:
            logger.info("authorization code refused: %s", exc)
            return None
        if claims["cid"] != client.client_id:
            return None
        return RemoteAuthorizationCode(
            code=_digest(authorization_code),
            scopes=claims["sc"],
            expires_at=claims["exp"],
            client_id=claims["cid"],
            code_challenge=claims["cc"],
            redirect_uri=claims["ru"],
            redirect_uri_provided_explicitly=True,
            resource=self.settings.resource,
            kintone_code=claims["kc"],
            kintone_verifier=claims["kv"],
        )

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: RemoteAuthorizationCode
    ) -> OAuthToken:
        answer = await self._kintone_call(
            self.kintone.exchange_code(
                authorization_code.kintone_code, code_verifier=authorization_code.kintone_verifier
            ),
            "the sign-in code",
        )
        return self._issue(client.client_id, authorization_code.scopes, answer, sid=secrets.token_hex(16))

    # --- refresh --------------------------------------------------------------------------------------------

    async def load_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: str
    ) -> RemoteRefreshToken | None:
        try:
            claims = self.sealer.open("refresh", refresh_token)
        except SealError as exc:
            logger.info("refresh token refused: %s", exc)
            return None
        if claims["cid"] != client.client_id:
            return None
        return RemoteRefreshToken(
            token=refresh_token,
            client_id=claims["cid"],
            scopes=claims["sc"],
            expires_at=int(claims["exp"]),
            resource=self.settings.resource,
            subject=claims["sid"],
            kintone_refresh=claims["krt"],
        )

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: RemoteRefreshToken, scopes: list[str]
    ) -> OAuthToken:
        answer = await self._kintone_call(self.kintone.refresh(refresh_token.kintone_refresh), "the refresh token")
        # Kintone may answer without a new refresh token (it keeps the old one valid): carry it on.
        answer.setdefault("refresh_token", refresh_token.kintone_refresh)
        return self._issue(client.client_id, scopes, answer, sid=refresh_token.subject or secrets.token_hex(16))

    # --- access ---------------------------------------------------------------------------------------------

    async def load_access_token(self, token: str) -> RemoteAccessToken | None:
        try:
            claims = self.sealer.open("access", token)
        except SealError as exc:
            logger.info("access token refused: %s", exc)
            return None
        return RemoteAccessToken(
            token=token,
            client_id=claims["cid"],
            scopes=claims["sc"],
            expires_at=int(claims["exp"]),
            resource=claims["res"],
            subject=claims["sid"],
            kintone_access=claims["kat"],
        )

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        # Nothing is stored here to forget. Kintone documents no revocation endpoint; when one is configured
        # (the sandbox can offer RFC 7009's), the Kintone token inside is revoked there, which ends the sign-in
        # on every replica: the next call and the next refresh are refused by Kintone.
        value = getattr(token, "kintone_refresh", None) or getattr(token, "kintone_access", None)
        if value and self.kintone_revocation_url:
            await self._revoke_at_kintone(value)

    async def _revoke_at_kintone(self, value: str) -> None:
        config = self.kintone.config
        try:
            async with httpx2.AsyncClient(trust_env=False, timeout=10.0, transport=self.kintone_transport) as http:
                await http.post(
                    str(self.kintone_revocation_url),
                    data={"token": value},
                    auth=(config.client_id, config.client_secret),
                )
        except httpx2.HTTPError as exc:
            logger.warning("revoking the Kintone token failed (%s); it expires on its own", type(exc).__name__)

    async def exchange_identity_assertion(
        self, client: OAuthClientInformationFull, params: IdentityAssertionParams
    ) -> OAuthToken:
        # Sign-in is always Kintone's own consent: no enterprise identity assertions (SEP-990).
        raise TokenError("unsupported_grant_type", "this server signs people in through Kintone only")

    # --- helpers --------------------------------------------------------------------------------------------

    async def _kintone_call(self, call: Any, what: str) -> dict[str, Any]:
        try:
            answer: dict[str, Any] = await call
        except GrantRefused as exc:
            logger.info("Kintone refused %s: %s", what, exc.error)
            raise TokenError("invalid_grant", f"Kintone refused {what} ({exc.error}): sign in again") from None
        except (TokenEndpointError, CredentialsUnavailable, OSError) as exc:
            logger.warning("Kintone's token endpoint failed for %s: %s", what, type(exc).__name__)
            raise TokenError("invalid_grant", "Kintone's token endpoint did not answer; try again shortly") from None
        return answer

    def _issue(self, client_id: str, scopes: list[str], answer: dict[str, Any], *, sid: str) -> OAuthToken:
        kintone_ttl = float(answer.get("expires_in") or self.settings.access_token_ttl)
        # Ours never outlives the Kintone token inside it (a little earlier, so a call never carries a dead one).
        ttl = max(1.0, min(self.settings.access_token_ttl, kintone_ttl - min(30.0, kintone_ttl / 10)))
        granted = [s for s in str(answer.get("scope") or " ".join(scopes)).split() if s] or scopes
        access = self.sealer.seal(
            "access",
            {"cid": client_id, "sid": sid, "sc": granted, "res": self.settings.resource, "kat": answer["access_token"]},
            ttl=ttl,
        )
        refresh = None
        if answer.get("refresh_token"):
            refresh = self.sealer.seal(
                "refresh",
                {"cid": client_id, "sid": sid, "sc": granted, "krt": answer["refresh_token"]},
                ttl=self.settings.refresh_token_ttl,
            )
        return OAuthToken(
            access_token=access,
            token_type="Bearer",
            expires_in=int(ttl),
            scope=" ".join(granted),
            refresh_token=refresh,
        )
