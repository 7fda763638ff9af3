"""With an OAuth sign-in Kintone refuses the cursor API and bulkRequest: the tools still work and say what it costs."""

from __future__ import annotations

from collections.abc import Generator
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from mcp import Client

from kintone_mcp.auth import Credentials
from kintone_mcp.client import KintoneClient
from kintone_mcp.sandbox import Sandbox, SandboxConfig
from kintone_mcp.sandbox.access.oauthclients import OAuthClientSpec, OAuthConfig
from kintone_mcp.server.app import build_server
from kintone_mcp.server.policy import Policy
from kintone_mcp.server.state import ServerOptions
from kintone_mcp.server.tools.outputs import parse_id_ranges
from tests.server.conftest import BASE_URL
from tests.server.helpers import call_ok

OAUTH_CLIENT = OAuthClientSpec("server-tests", "server-tests-secret", "http://127.0.0.1:9/callback")
SCOPES = "k:app_record:read k:app_record:write k:app_settings:read"


class BearerAuth(httpx2.Auth):
    """An access token obtained from the sandbox's own authorization server (the OAuth strategy's refresh logic is
    tested with the auth package; here only what Kintone refuses to OAuth callers matters)."""

    #: What the real OAuth strategy declares, so that the client pages by $id and writes calls of 100.
    refuses_cursor_and_bulk = True

    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


async def _token(sandbox: Sandbox) -> str:
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=sandbox.asgi_app), base_url=BASE_URL) as http:
        approved = await http.post(
            "/oauth2/authorization",
            data={"client_id": OAUTH_CLIENT.client_id, "redirect_uri": OAUTH_CLIENT.redirect_uri,
                  "response_type": "code", "state": "s", "scope": SCOPES, "username": "Administrator",
                  "password": "sandbox", "action": "approve"},
        )  # fmt: skip
        code = parse_qs(urlsplit(approved.headers["location"]).query)["code"][0]
        issued = await http.post(
            "/oauth2/token",
            auth=(OAUTH_CLIENT.client_id, OAUTH_CLIENT.client_secret),
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": OAUTH_CLIENT.redirect_uri},
        )
        token: str = issued.json()["access_token"]
        return token


@pytest.mark.anyio
async def test_oauth_reads_page_without_the_cursor_and_big_writes_say_they_are_not_atomic() -> None:
    sandbox = Sandbox(SandboxConfig(demo=True, oauth=OAuthConfig(clients=[OAUTH_CLIENT])))
    auth = BearerAuth(await _token(sandbox))

    def client() -> KintoneClient:
        return KintoneClient(
            BASE_URL, credentials=Credentials(rest=auth), transport=httpx2.ASGITransport(app=sandbox.asgi_app)
        )

    server = build_server(
        policy=Policy.build(default_app=2), options=ServerOptions(auth_type="oauth"), client_factory=client
    )
    async with Client(server) as mcp:
        page = await call_ok(mcp, "get_records", limit=600, fields=["title"])
        assert page["returned"] == 300 and page["total_count"] == 300 and "next" not in page
        agg = await call_ok(mcp, "aggregate_records", group_by=["stage"])
        assert agg["records_scanned"] == 300 == sum(g["count"] for g in agg["groups"])
        big = await call_ok(mcp, "add_records", records=[{"title": f"oauth-{i}", "stage": "Lead"} for i in range(101)])
        assert big["count"] == 101 and big["atomic"] is False
        assert "2 separate calls" in big["note"] and "not" in big["note"]
        back = await call_ok(mcp, "get_records", query='title like "oauth-"', limit=200, fields=["title"])
        assert sorted(r["title"] for r in back["records"]) == sorted(f"oauth-{i}" for i in range(101))
        one = await call_ok(mcp, "add_records", records=[{"title": "one", "stage": "Lead"}])
        assert one["count"] == 1 and one["atomic"] is True and "note" not in one
        gone = await call_ok(mcp, "delete_records", ids=parse_id_ranges(big["ids"]))
        assert gone["count"] == 101 and gone["deleted"] == big["ids"] and "separate calls" in gone["note"]
        report = await call_ok(mcp, "test_connection")
        steps = {s["step"]: s["status"] for s in report["steps"]}
        assert report["verdict"] == "ok", report
        assert steps["credentials"] == steps["apps"] == steps["permissions"] == "ok"
        assert steps["user_api"] == "skipped"  # an OAuth sign-in does not reach the User API
