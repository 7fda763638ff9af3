"""Getting a real OAuth access token from the sandbox's authorization server, for tests of endpoints that refuse
OAuth callers (the cursor API, bulkRequest)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx2

from kintone_mcp.sandbox.access.oauthclients import OAuthClientSpec

CLIENT = OAuthClientSpec("refusal-tests", "refusal-tests-secret", "http://127.0.0.1:9/callback")
RECORD_SCOPES = "k:app_record:read k:app_record:write"


async def access_token(
    client: httpx2.AsyncClient, login: str = "Administrator", password: str = "sandbox", scope: str = RECORD_SCOPES
) -> str:
    """Signs ``login`` in through the authorization code flow of ``CLIENT`` (register it in SandboxConfig.oauth)."""
    approved = await client.post("/oauth2/authorization", data={
        "client_id": CLIENT.client_id, "redirect_uri": CLIENT.redirect_uri, "response_type": "code",
        "state": "refusal-tests", "scope": scope, "username": login, "password": password,
        "action": "approve"})
    assert approved.status_code in (302, 303), approved.text
    code = parse_qs(urlsplit(approved.headers["location"]).query)["code"][0]
    issued = await client.post("/oauth2/token", auth=(CLIENT.client_id, CLIENT.client_secret), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": CLIENT.redirect_uri})
    assert issued.status_code == 200, issued.text
    token: str = issued.json()["access_token"]
    return token
