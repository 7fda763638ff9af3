"""The client's scope table and the sandbox's are written separately; here they must agree on every endpoint
the sandbox serves, on both path forms, and on the default redirect URI that lets `auth login` meet the demo."""

from __future__ import annotations

import pytest

from kintone_mcp.auth import oauth as client_oauth
from kintone_mcp.auth.oauth_scopes import KINTONE_SCOPES, required_scope
from kintone_mcp.sandbox import Sandbox, SandboxConfig
from kintone_mcp.sandbox.access import oauthclients
from kintone_mcp.sandbox.access.oauthscopes import REFUSED
from kintone_mcp.sandbox.access.oauthscopes import required_scope as sandbox_scope
from kintone_mcp.sandbox.http.routing import Endpoint

ENDPOINTS = [e for e in Sandbox(SandboxConfig(demo=False)).router.endpoints() if e.api == "kintone"]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[f"{e.method} {e.path}" for e in ENDPOINTS])
def test_both_tables_give_the_same_scope(endpoint: Endpoint) -> None:
    method, path = endpoint.method, endpoint.path
    expected = sandbox_scope(method, path)
    if expected == REFUSED:
        return  # refused to OAuth whatever the scope; the client never calls these under OAuth
    for prefix in ("/k/v1/", "/k/guest/7/v1/"):
        assert required_scope(method, f"{prefix}{path}") == expected


def test_the_tables_know_the_record_file_and_settings_endpoints() -> None:
    assert len(ENDPOINTS) > 20
    scoped = {sandbox_scope(e.method, e.path) for e in ENDPOINTS}
    assert set(KINTONE_SCOPES) <= scoped


def test_the_scope_lists_and_default_redirect_agree() -> None:
    assert KINTONE_SCOPES == oauthclients.OAUTH_SCOPES
    assert client_oauth.DEFAULT_REDIRECT_URI == oauthclients.DEFAULT_REDIRECT_URI


def test_paths_outside_the_rest_api_have_no_scope() -> None:
    assert required_scope("GET", "/v1/users.json") is None
    assert required_scope("POST", "/oauth2/token") is None
