"""Resolving the settings: inference of the authentication type, and every problem reported with its fix."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kintone_mcp.settings import ConfigurationError, app_id_of, load_settings
from tests.settings.helpers import BASE, PASSWORD, problems_of

# --- authentication type -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("password", "password"),
        ("custom", "password"),
        ("PASSWORD", "password"),
        ("api_token", "api_token"),
        ("token", "api_token"),
        ("oauth", "oauth"),
        ("oauth2", "oauth"),
    ],
)
def test_auth_type_names_and_aliases(value: str, expected: str) -> None:
    env = {
        **PASSWORD,
        "KINTONE_API_TOKEN": "t",
        "KINTONE_OAUTH_CLIENT_ID": "cid",
        "KINTONE_OAUTH_CLIENT_SECRET": "csecret",
        "KINTONE_AUTH_TYPE": value,
    }
    assert load_settings(env=env).auth_type == expected


@pytest.mark.parametrize(
    ("extra", "expected", "user_api"),
    [
        ({"KINTONE_USERNAME": "u", "KINTONE_PASSWORD": "p"}, "password", True),
        ({"KINTONE_API_TOKEN": "t1,t2"}, "api_token", False),
        ({"KINTONE_API_TOKEN": "t1", "KINTONE_USER_API_TOKEN": "cy.s.api1.x"}, "api_token", True),
        ({"KINTONE_OAUTH_CLIENT_ID": "c", "KINTONE_OAUTH_CLIENT_SECRET": "s"}, "oauth", False),
        ({"KINTONE_USER_API_TOKEN": "cy.s.api1.x"}, None, True),
    ],
)
def test_auth_type_is_inferred_from_the_only_kind_present(
    extra: dict[str, str], expected: str | None, user_api: bool
) -> None:
    s = load_settings(env={**BASE, **extra})
    assert s.auth_type == expected
    assert s.has_rest_credentials == (expected is not None)
    assert s.has_user_api_credentials == user_api


def test_password_wins_over_tokens_with_a_notice(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="kintone_mcp.settings")
    s = load_settings(env={**PASSWORD, "KINTONE_API_TOKEN": "tok-canary-9"})
    assert s.auth_type == "password"
    notices = [r for r in caplog.records if r.name == "kintone_mcp.settings"]
    assert len(notices) == 1 and "\n" not in notices[0].getMessage()
    assert "KINTONE_AUTH_TYPE=api_token" in notices[0].getMessage()
    assert "tok-canary-9" not in notices[0].getMessage()


def test_api_tokens_with_and_without_apps() -> None:
    s = load_settings(env={**BASE, "KINTONE_API_TOKEN": "1:abc, def ,2:ghi"})
    assert [(t.app, t.token.get_secret_value()) for t in s.api_token] == [(1, "abc"), (None, "def"), (2, "ghi")]


# --- problems ------------------------------------------------------------------------------------------------

ERROR_CASES: list[tuple[str, dict[str, str], str]] = [
    ("no address", {"KINTONE_API_TOKEN": "t"}, "KINTONE_BASE_URL"),
    ("url and subdomain", {**BASE, "KINTONE_SUBDOMAIN": "x", "KINTONE_API_TOKEN": "t"}, "keep one"),
    ("plain http to a remote host", {"KINTONE_BASE_URL": "http://example.com", "KINTONE_API_TOKEN": "t"}, "https://"),
    ("url with a path", {"KINTONE_BASE_URL": "https://example.cybozu.com/k/v1", "KINTONE_API_TOKEN": "t"}, "host"),
    ("not a url", {"KINTONE_BASE_URL": "example.cybozu.com", "KINTONE_API_TOKEN": "t"}, "KINTONE_BASE_URL"),
    ("bad subdomain", {"KINTONE_SUBDOMAIN": "a.b/c", "KINTONE_API_TOKEN": "t"}, "KINTONE_SUBDOMAIN"),
    ("no credentials", dict(BASE), "No credentials"),
    ("username only", {**BASE, "KINTONE_USERNAME": "u"}, "KINTONE_PASSWORD"),
    ("password only", {**BASE, "KINTONE_PASSWORD": "p"}, "KINTONE_USERNAME"),
    ("unknown auth type", {**PASSWORD, "KINTONE_AUTH_TYPE": "kerberos"}, "KINTONE_AUTH_TYPE"),
    ("token type without tokens", {**PASSWORD, "KINTONE_AUTH_TYPE": "token"}, "KINTONE_API_TOKEN"),
    ("oauth without secret", {**BASE, "KINTONE_AUTH_TYPE": "oauth", "KINTONE_OAUTH_CLIENT_ID": "c"}, "SECRET"),
    ("oauth and password", {**PASSWORD, "KINTONE_OAUTH_CLIENT_ID": "c"}, "KINTONE_AUTH_TYPE"),
    ("half a basic gate", {**PASSWORD, "KINTONE_BASIC_AUTH_USERNAME": "g"}, "KINTONE_BASIC_AUTH_PASSWORD"),
    (
        "basic gate with oauth",
        {
            **BASE,
            "KINTONE_OAUTH_CLIENT_ID": "c",
            "KINTONE_OAUTH_CLIENT_SECRET": "s",
            "KINTONE_BASIC_AUTH_USERNAME": "g",
            "KINTONE_BASIC_AUTH_PASSWORD": "gp",
        },
        "cannot be combined with OAuth",
    ),
    (
        "basic gate with user api token",
        {
            **PASSWORD,
            "KINTONE_USER_API_TOKEN": "cy.s.api1.x",
            "KINTONE_BASIC_AUTH_USERNAME": "g",
            "KINTONE_BASIC_AUTH_PASSWORD": "gp",
        },
        "KINTONE_USER_API_TOKEN",
    ),
    ("pfx password alone", {**PASSWORD, "KINTONE_PFX_FILE_PASSWORD": "x"}, "KINTONE_PFX_FILE_PATH"),
    ("pfx file missing", {**PASSWORD, "KINTONE_PFX_FILE_PATH": "/nonexistent/cert.pfx"}, "KINTONE_PFX_FILE_PATH"),
    ("ca bundle missing", {**PASSWORD, "KINTONE_CA_BUNDLE": "/nonexistent/ca.pem"}, "KINTONE_CA_BUNDLE"),
    ("app id not a number", {**PASSWORD, "KINTONE_APP_ID": "deals"}, "KINTONE_APP_ALIASES"),
    ("bad alias", {**PASSWORD, "KINTONE_APP_ALIASES": "deals"}, "name=APP_ID"),
    ("alias to nothing", {**PASSWORD, "KINTONE_APP_ALIASES": "deals=x"}, "app id"),
    ("guest space not a number", {**PASSWORD, "KINTONE_GUEST_SPACE_ID": "guest"}, "KINTONE_GUEST_SPACE_ID"),
    ("read only not a bool", {**PASSWORD, "KINTONE_READ_ONLY": "maybe"}, "KINTONE_READ_ONLY"),
    ("allow and deny overlap", {**PASSWORD, "KINTONE_ALLOW_APPS": "1,2", "KINTONE_DENY_APPS": "2"}, "both"),
    ("tools overlap", {**PASSWORD, "KINTONE_TOOLS": "a,b", "KINTONE_DISABLE_TOOLS": "b"}, "both"),
    ("bad proxy", {**PASSWORD, "HTTPS_PROXY": "proxy:8080"}, "HTTPS_PROXY"),
    ("bad redirect uri", {**PASSWORD, "KINTONE_OAUTH_REDIRECT_URI": "not a url"}, "REDIRECT_URI"),
    ("ten unmapped tokens", {**BASE, "KINTONE_API_TOKEN": ",".join(f"t{i}" for i in range(10))}, "APP_ID:TOKEN"),
    ("malformed token", {**BASE, "KINTONE_API_TOKEN": "good,bad token"}, "entry #2"),
    ("connection without file", {**PASSWORD, "KINTONE_CONNECTION": "prod"}, "KINTONE_CONFIG"),
    ("missing config file", {**PASSWORD, "KINTONE_CONFIG": "/nonexistent/kintone.toml"}, "cannot be read"),
    ("password and its file", {**PASSWORD, "KINTONE_PASSWORD_FILE": "/x"}, "KINTONE_PASSWORD_FILE are both set"),
    ("unreadable secret file", {**BASE, "KINTONE_USERNAME": "u", "KINTONE_PASSWORD_FILE": "/nonexistent"}, "read"),
]


@pytest.mark.parametrize(("env", "fragment"), [(e, f) for _, e, f in ERROR_CASES], ids=[n for n, _, _ in ERROR_CASES])
def test_each_problem_is_reported_with_its_fix(env: dict[str, str], fragment: str) -> None:
    problems = problems_of(env=env)
    assert any(fragment in p for p in problems), problems


def test_plain_http_is_fine_for_loopback() -> None:
    for url in ("http://127.0.0.1:8787", "http://localhost:8787", "http://[::1]:8787", "http://127.1.2.3"):
        assert load_settings(env={"KINTONE_BASE_URL": url, "KINTONE_API_TOKEN": "t"}).base_url == url


def test_every_problem_comes_in_one_message() -> None:
    env = {
        "KINTONE_BASE_URL": "http://example.com",
        "KINTONE_USERNAME": "u",
        "KINTONE_APP_ID": "nope",
        "KINTONE_READ_ONLY": "perhaps",
        "KINTONE_BASIC_AUTH_USERNAME": "g",
    }
    with pytest.raises(ConfigurationError) as info:
        load_settings(env=env)
    assert len(info.value.problems) == 5
    text = str(info.value)
    assert "5 problem(s)" in text
    for name in ("KINTONE_BASE_URL", "KINTONE_PASSWORD", "KINTONE_APP_ID", "KINTONE_READ_ONLY", "BASIC_AUTH"):
        assert name in text


def test_problems_never_echo_secrets(tmp_path: Path) -> None:
    canaries = {
        "KINTONE_PASSWORD": "canary-pw-1",
        "KINTONE_API_TOKEN": "canary token 2",
        "KINTONE_OAUTH_CLIENT_SECRET": "canary-secret-3",
        "KINTONE_BASIC_AUTH_PASSWORD": "canary-gate-4",
        "KINTONE_PFX_FILE_PASSWORD": "canary-pfx-5",
        "KINTONE_USER_API_TOKEN": "canary-user-6",
        "HTTPS_PROXY": "canary://user:canary-proxy-7@",
    }
    with pytest.raises(ConfigurationError) as info:
        load_settings(env={"KINTONE_BASE_URL": "http://example.com", **canaries})
    text = str(info.value) + repr(info.value)
    assert len(info.value.problems) >= 4
    for secret in canaries.values():
        assert secret not in text
        assert "canary" not in text


APP_REFERENCES: list[tuple[object, int | None]] = [
    *[(2, 2), ("2", 2), (" 7 ", 7), ("deals", 5), (" deals ", 5)],
    *[("Deals", None), (0, None), ("-1", None), (True, None)],
]


@pytest.mark.parametrize(("ref", "expected"), APP_REFERENCES)
def test_an_app_reference_is_an_id_or_an_alias(ref: object, expected: int | None) -> None:
    assert app_id_of(ref, {"deals": 5}) == expected
