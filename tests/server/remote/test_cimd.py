"""Client ID Metadata Documents: the fetch's fences, and a whole sign-in by the SDK's client identified by one."""

from __future__ import annotations

import json
from collections.abc import Sequence

import anyio
import httpx2
import pytest

from kintone_mcp.server.remote.cimd import MetadataDocumentError, MetadataFetcher
from tests.server.helpers import call_ok
from tests.server.remote.harness import REDIRECT, User, connect, remote_server

pytestmark = pytest.mark.anyio

DOC_URL = "https://client.example/oauth/client.json"
PUBLIC = "93.184.216.34"


def document(**changes: object) -> dict[str, object]:
    return {"client_id": DOC_URL, "client_name": "Example assistant", "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "none", **changes}


def resolver(*addresses: str):  # type: ignore[no-untyped-def]
    async def resolve(host: str, port: int) -> Sequence[str]:
        return list(addresses)

    return resolve


def serving(body: bytes | None = None, *, status: int = 200, seen: list[httpx2.Request] | None = None,
            delay: float = 0.0) -> httpx2.MockTransport:
    async def handler(request: httpx2.Request) -> httpx2.Response:
        if seen is not None:
            seen.append(request)
        if delay:
            await anyio.sleep(delay)
        return httpx2.Response(status, content=body if body is not None else json.dumps(document()).encode())

    return httpx2.MockTransport(handler)


async def test_a_document_is_fetched_from_the_address_that_was_checked() -> None:
    seen: list[httpx2.Request] = []
    fetcher = MetadataFetcher(resolver=resolver(PUBLIC), transport=serving(seen=seen))
    client = await fetcher.fetch(DOC_URL)
    assert client.client_id == DOC_URL and [str(u) for u in client.redirect_uris or []] == [REDIRECT]
    assert client.token_endpoint_auth_method == "none" and client.client_secret is None
    (request,) = seen
    assert request.url.host == PUBLIC and request.headers["host"] == "client.example"
    assert request.extensions["sni_hostname"] == "client.example"


@pytest.mark.parametrize(
    ("addresses", "url"),
    [
        (("10.1.2.3",), DOC_URL),
        (("127.0.0.1",), DOC_URL),
        (("169.254.169.254",), DOC_URL),
        (("fe80::1",), DOC_URL),
        (("::ffff:192.168.0.1",), DOC_URL),
        ((PUBLIC, "192.168.1.1"), DOC_URL),  # one private answer among public ones is enough to refuse
    ],
)
async def test_private_loopback_and_link_local_addresses_are_refused(addresses: tuple[str, ...], url: str) -> None:
    seen: list[httpx2.Request] = []
    fetcher = MetadataFetcher(resolver=resolver(*addresses), transport=serving(seen=seen))
    with pytest.raises(MetadataDocumentError, match="private, loopback or link-local"):
        await fetcher.fetch(url)
    assert seen == []
    allowed = MetadataFetcher(resolver=resolver(*addresses), transport=serving(), allow_private=True)
    assert (await allowed.fetch(url)).client_id == url


@pytest.mark.parametrize(
    ("fetcher", "url", "match"),
    [
        (MetadataFetcher(resolver=resolver(PUBLIC), transport=serving()), "http://client.example/c.json", "https"),
        (MetadataFetcher(resolver=resolver(PUBLIC), transport=serving()), "https://client.example/", "path"),
        (MetadataFetcher(resolver=resolver(PUBLIC), transport=serving(b"x" * 70_000)), DOC_URL, "larger than"),
        (MetadataFetcher(resolver=resolver(PUBLIC), transport=serving(status=302)), DOC_URL, "HTTP 302"),
        (MetadataFetcher(resolver=resolver(PUBLIC), transport=serving(delay=2), timeout=0.5), DOC_URL, "within"),
        (MetadataFetcher(resolver=resolver(PUBLIC), transport=serving(b"not json")), DOC_URL, "not JSON"),
        (MetadataFetcher(resolver=resolver(PUBLIC), transport=serving(json.dumps(document(
            client_id="https://evil.example/c.json")).encode())), DOC_URL, "another client_id"),
        (MetadataFetcher(resolver=resolver(PUBLIC), transport=serving(json.dumps(document(
            token_endpoint_auth_method="client_secret_post")).encode())), DOC_URL, "none"),
        (MetadataFetcher(resolver=resolver(PUBLIC), transport=serving(json.dumps(document(
            redirect_uris=[])).encode())), DOC_URL, "redirect_uris"),
    ],
)
async def test_documents_that_cannot_be_used(fetcher: MetadataFetcher, url: str, match: str) -> None:
    with pytest.raises(MetadataDocumentError, match=match):
        await fetcher.fetch(url)


@pytest.mark.socket
async def test_the_sdk_client_signs_in_identified_by_its_metadata_document() -> None:
    seen: list[httpx2.Request] = []
    fetcher = MetadataFetcher(resolver=resolver(PUBLIC), transport=serving(seen=seen))
    with remote_server(fetcher=fetcher) as remote:
        sato = User("sato", client_metadata_url=DOC_URL)
        async with connect(remote.url, sato) as mcp:
            assert (await call_ok(mcp, "get_records", app=2, limit=1))["records"]
        assert sato.storage.client is not None and sato.storage.client.client_id == DOC_URL
        assert seen, "the server fetched the document"
