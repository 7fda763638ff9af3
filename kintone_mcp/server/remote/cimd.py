"""Client ID Metadata Documents: a client whose ``client_id`` is an https URL is described by the JSON document at
that URL (the MCP authorization specification's preferred way to identify clients, draft-ietf-oauth-client-id-
metadata-document). Fetching a URL a stranger chose is a server-side request on their behalf, so the fetch is
fenced: https only, no credentials or redirects, the name resolved first and refused when any address is private,
loopback, link-local or otherwise not public (unless ``allow_private``, for tests), the connection made to the
address that was checked (so a second resolution cannot swap it), a time limit for the whole fetch and a size
limit on the answer. The document must name itself as ``client_id`` and list its redirect URIs; nothing of it is
kept (the server keeps nothing), so it is fetched at each authorization and token request.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urlsplit

import anyio
import httpx2
from mcp.shared.auth import OAuthClientInformationFull
from pydantic import ValidationError

logger = logging.getLogger(__name__)

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]


class MetadataDocumentError(Exception):
    """The document cannot be used; the text says why, for the person at the browser or the client's log."""


def looks_like_metadata_url(client_id: str) -> bool:
    return client_id.startswith("https://")


async def _resolve(host: str, port: int) -> Sequence[str]:
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_loopback)


class MetadataFetcher:
    def __init__(
        self,
        *,
        timeout: float = 5.0,
        max_bytes: int = 64 * 1024,
        allow_private: bool = False,
        resolver: Resolver = _resolve,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.allow_private = allow_private
        self._resolver = resolver
        self._transport = transport

    async def fetch(self, client_id: str) -> OAuthClientInformationFull:
        parts = urlsplit(client_id)
        if parts.scheme != "https" or not parts.hostname or parts.path in ("", "/") or parts.fragment or (
            parts.username or parts.password
        ):
            raise MetadataDocumentError("a client ID that is a URL must be https with a path, no fragment, no login")
        host, port = parts.hostname, parts.port or 443
        with anyio.move_on_after(self.timeout) as scope:
            body = await self._get(client_id, host, port)
        if scope.cancelled_caught:
            raise MetadataDocumentError(f"the client's metadata document did not arrive within {self.timeout:g} s")
        return self._parse(client_id, body)

    async def _get(self, url: str, host: str, port: int) -> bytes:
        try:
            addresses = list(await self._resolver(host, port))
        except OSError:
            raise MetadataDocumentError(
                f"the host of the client's metadata document, {host}, does not resolve"
            ) from None
        if not addresses:
            raise MetadataDocumentError(f"the host of the client's metadata document, {host}, does not resolve")
        if not self.allow_private and not all(_public(a) for a in addresses):
            raise MetadataDocumentError(
                f"the client's metadata document is on {host}, which resolves to a private, loopback or link-local "
                "address: refused"
            )
        address = addresses[0]
        target = f"[{address}]" if ":" in address else address
        pinned = urlsplit(url)._replace(netloc=f"{target}:{port}").geturl()
        async with httpx2.AsyncClient(
            transport=self._transport, follow_redirects=False, trust_env=False, timeout=self.timeout
        ) as http:
            request = http.build_request(
                "GET",
                pinned,
                headers={"Host": host if port == 443 else f"{host}:{port}", "Accept": "application/json"},
                extensions={"sni_hostname": host},
            )
            try:
                response = await http.send(request, stream=True)
            except httpx2.HTTPError as exc:
                raise MetadataDocumentError(
                    f"the client's metadata document could not be fetched ({type(exc).__name__})"
                ) from None
            try:
                if response.status_code != 200:
                    raise MetadataDocumentError(
                        f"the client's metadata document answered HTTP {response.status_code}, not 200"
                    )
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise MetadataDocumentError(
                            f"the client's metadata document is larger than {self.max_bytes} bytes"
                        )
                    chunks.append(chunk)
                return b"".join(chunks)
            finally:
                await response.aclose()

    @staticmethod
    def _parse(client_id: str, body: bytes) -> OAuthClientInformationFull:
        try:
            doc = json.loads(body)
        except ValueError:
            raise MetadataDocumentError("the client's metadata document is not JSON") from None
        if not isinstance(doc, dict):
            raise MetadataDocumentError("the client's metadata document is not a JSON object")
        if doc.get("client_id") != client_id:
            raise MetadataDocumentError("the client's metadata document names another client_id than its own URL")
        method = doc.get("token_endpoint_auth_method", "none")
        if method != "none":
            # A document is public: it cannot carry a secret, and this server issues none.
            raise MetadataDocumentError("a metadata-document client must use token_endpoint_auth_method none")
        if not doc.get("redirect_uris"):
            raise MetadataDocumentError("the client's metadata document lists no redirect_uris")
        try:
            return OAuthClientInformationFull.model_validate(
                {
                    **{k: v for k, v in doc.items() if k in OAuthClientInformationFull.model_fields},
                    "client_id": client_id,
                    "client_secret": None,
                    "token_endpoint_auth_method": "none",
                    "grant_types": ["authorization_code", "refresh_token"],
                    "response_types": ["code"],
                }
            )
        except ValidationError as exc:
            fields = ", ".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})) or "its fields"
            raise MetadataDocumentError(
                f"the client's metadata document is not valid client metadata ({fields})"
            ) from None
