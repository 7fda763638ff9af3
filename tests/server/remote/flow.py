"""The authorization-code flow by hand (as a client would send it), for the tests that bend one step of it."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass

import httpx2

from tests.server.remote.harness import REDIRECT, play_kintone_consent


def challenge_of(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


@dataclass
class Grant:
    client_id: str
    code: str
    verifier: str


async def register(http: httpx2.AsyncClient, url: str, redirect: str = REDIRECT) -> str:
    answer = await http.post(url + "/register", json={
        "redirect_uris": [redirect], "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"], "client_name": "hand"})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["client_id"])


def authorize_params(client_id: str, verifier: str, url: str, **extra: str) -> dict[str, str]:
    return {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "state": "st-1",
            "code_challenge": challenge_of(verifier), "code_challenge_method": "S256", "resource": url + "/mcp",
            **extra}


async def grant(http: httpx2.AsyncClient, url: str, login: str = "sato") -> Grant:
    client_id = await register(http, url)
    verifier = secrets.token_urlsafe(40)
    first = await http.get(url + "/authorize", params=authorize_params(client_id, verifier, url))
    assert first.status_code == 302, first.text
    back = await play_kintone_consent(http, first.headers["location"], login)
    final = await http.get(back)
    assert final.status_code == 302, final.text
    query = dict(httpx2.URL(final.headers["location"]).params)
    assert query["state"] == "st-1"
    return Grant(client_id, query["code"], verifier)


async def redeem(http: httpx2.AsyncClient, url: str, g: Grant, verifier: str | None = None) -> httpx2.Response:
    return await http.post(url + "/token", data={
        "grant_type": "authorization_code", "code": g.code, "redirect_uri": REDIRECT, "client_id": g.client_id,
        "code_verifier": verifier or g.verifier, "resource": url + "/mcp"})


async def mcp_post(http: httpx2.AsyncClient, url: str, token: str | None, **headers: str) -> httpx2.Response:
    head = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream", **headers}
    if token is not None:
        head["Authorization"] = f"Bearer {token}"
    return await http.post(url + "/mcp", headers=head, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
