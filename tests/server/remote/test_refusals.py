"""What the remote server refuses, and how: each with the right status, nothing logged that should not be."""

from __future__ import annotations

import logging
import secrets

import httpx2
import pytest

from kintone_mcp.server.remote.sealing import Sealer, parse_keys
from tests.server.remote.flow import authorize_params, grant, mcp_post, redeem, register
from tests.server.remote.harness import KINTONE_SECRET, play_kintone_consent, remote_server

pytestmark = [pytest.mark.anyio, pytest.mark.socket]


def server_log(caplog: pytest.LogCaptureFixture) -> str:
    """What the servers logged: the remote server and the sandbox run in their own threads; the test's browser and
    client (which do see codes and tokens, in URLs) run in the main one."""
    return "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records if r.threadName != "MainThread"
    )


def sealer(keys: str) -> Sealer:
    return Sealer(parse_keys(keys))


async def test_discovery_metadata_and_the_401_challenge() -> None:
    with remote_server() as remote:
        async with httpx2.AsyncClient() as http:
            none = await mcp_post(http, remote.url, None)
            assert none.status_code == 401
            challenge = none.headers["www-authenticate"]
            prm_url = remote.url + "/.well-known/oauth-protected-resource/mcp"
            assert f'resource_metadata="{prm_url}"' in challenge
            prm = (await http.get(prm_url)).json()
            assert prm["resource"] == remote.url + "/mcp" and prm["authorization_servers"] == [remote.url]
            assert "k:app_record:read" in prm["scopes_supported"]
            asm = (await http.get(remote.url + "/.well-known/oauth-authorization-server")).json()
            assert asm["code_challenge_methods_supported"] == ["S256"]
            assert asm["response_types_supported"] == ["code"]
            assert asm["client_id_metadata_document_supported"] is True
            assert asm["registration_endpoint"] == remote.url + "/register"


async def test_tokens_that_are_not_valid_here_are_401(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with remote_server() as remote:
        async with httpx2.AsyncClient() as http:
            g = await grant(http, remote.url)
            tokens = (await redeem(http, remote.url, g)).json()
            good = tokens["access_token"]
            assert (await mcp_post(http, remote.url, good)).status_code == 200
            seal = sealer(remote.keys)
            claims = seal.open("access", good)
            other_resource = seal.seal("access", {**claims, "res": "https://other.example/mcp"}, ttl=600)
            expired = seal.seal("access", claims, ttl=-1)
            middle = len(good) // 2
            tampered = good[:middle] + ("A" if good[middle] != "A" else "B") + good[middle + 1:]
            foreign = sealer("k1:" + secrets.token_urlsafe(32)[:43]).seal("access", claims, ttl=600)
            cases = {
                "another resource": other_resource, "expired": expired, "tampered": tampered,
                "another key": foreign, "forged": "not-a-token", "a refresh token": tokens["refresh_token"],
            }
            for what, token in cases.items():
                answer = await mcp_post(http, remote.url, token)
                assert answer.status_code == 401, what
                assert "invalid_token" in answer.headers["www-authenticate"], what
    logged = server_log(caplog)
    assert "access token refused" in logged
    for secret in (good, tampered, tokens["refresh_token"], claims["kat"], KINTONE_SECRET, g.code):
        assert secret not in logged


async def test_code_exchange_refusals(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with remote_server() as remote:
        async with httpx2.AsyncClient() as http:
            g = await grant(http, remote.url)
            wrong = await redeem(http, remote.url, g, verifier=secrets.token_urlsafe(40))
            assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
            assert "code_verifier" in wrong.json()["error_description"]
            elsewhere = await http.post(remote.url + "/token", data={
                "grant_type": "authorization_code", "code": g.code, "redirect_uri": "http://127.0.0.1:33418/callback",
                "client_id": g.client_id, "code_verifier": g.verifier, "resource": "https://other.example/mcp"})
            assert elsewhere.status_code == 400 and elsewhere.json()["error"] == "invalid_target"
            ok = await redeem(http, remote.url, g)
            assert ok.status_code == 200, ok.text
            replayed = await redeem(http, remote.url, g)
            assert replayed.status_code == 400 and replayed.json()["error"] == "invalid_grant"
            other = await grant(http, remote.url)
            wrong_client = await http.post(remote.url + "/token", data={
                "grant_type": "authorization_code", "code": other.code, "redirect_uri": "http://127.0.0.1:33418/callback",
                "client_id": g.client_id, "code_verifier": other.verifier})
            assert wrong_client.status_code == 400 and wrong_client.json()["error"] == "invalid_grant"
    for secret in (g.code, other.code, ok.json()["access_token"], KINTONE_SECRET):
        assert secret not in server_log(caplog)


async def test_authorization_request_refusals() -> None:
    with remote_server() as remote:
        async with httpx2.AsyncClient() as http:
            client_id = await register(http, remote.url)
            verifier = secrets.token_urlsafe(40)
            unregistered = await http.get(remote.url + "/authorize", params=authorize_params(
                client_id, verifier, remote.url, redirect_uri="http://127.0.0.1:33418/elsewhere"))
            assert unregistered.status_code == 400 and "location" not in unregistered.headers
            plain = await http.get(remote.url + "/authorize", params=authorize_params(
                client_id, verifier, remote.url, code_challenge_method="plain"))
            assert plain.status_code == 302 and "error=invalid_request" in plain.headers["location"]
            other_resource = await http.get(remote.url + "/authorize", params=authorize_params(
                client_id, verifier, remote.url, resource="https://other.example/mcp"))
            assert other_resource.status_code == 302 and "error=invalid_target" in other_resource.headers["location"]
            forged_client = await http.get(remote.url + "/authorize", params=authorize_params(
                "made-up-client", verifier, remote.url))
            assert forged_client.status_code == 400
            private = await http.get(remote.url + "/authorize", params=authorize_params(
                "https://127.0.0.1/client.json", verifier, remote.url))
            assert private.status_code == 400 and "location" not in private.headers
            metadata_internal = await http.get(remote.url + "/authorize", params=authorize_params(
                "https://169.254.169.254/latest/meta-data", verifier, remote.url))
            assert metadata_internal.status_code == 400
            first = await http.get(remote.url + "/authorize", params=authorize_params(client_id, verifier, remote.url))
            denied = await http.get(await play_kintone_consent(http, first.headers["location"], "sato", action="deny"))
            assert denied.status_code == 302
            back = dict(httpx2.URL(denied.headers["location"]).params)
            assert back == {"error": "access_denied", "state": "st-1"}
            bad_state = await http.get(remote.url + "/oauth/callback", params={"code": "x", "state": "forged"})
            assert bad_state.status_code == 400 and "Start it again" in bad_state.text
