"""The launch configuration: precedence of flags, environment and TOML connections, inference and every error."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from kintone_mcp.config import ConfigurationError, Settings, load_settings

BASE = {"KINTONE_BASE_URL": "https://example.cybozu.com"}
PASSWORD = {**BASE, "KINTONE_USERNAME": "sato", "KINTONE_PASSWORD": "pw-canary-1f2e"}


def problems_of(cli: dict[str, Any] | None = None, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigurationError) as info:
        load_settings(cli, env or {})
    return info.value.problems


def write(tmp_path: Path, text: str, name: str = "kintone.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- values and precedence -----------------------------------------------------------------------------------


def test_environment_values() -> None:
    s = load_settings(
        env={
            **PASSWORD,
            "KINTONE_APP_ID": "2",
            "KINTONE_GUEST_SPACE_ID": "5",
            "KINTONE_READ_ONLY": "yes",
            "KINTONE_ALLOW_APPS": "1, 2",
            "KINTONE_DENY_APPS": "3",
            "KINTONE_DISABLE_TOOLS": "delete_records,add_record",
            "KINTONE_OAUTH_SCOPES": "k:app_record:read k:app_settings:read",
        }
    )
    assert s.base_url == "https://example.cybozu.com"
    assert (s.auth_type, s.username) == ("password", "sato")
    assert isinstance(s.password, SecretStr) and s.password.get_secret_value() == "pw-canary-1f2e"
    assert (s.app_id, s.guest_space_id, s.read_only) == (2, 5, True)
    assert (s.allow_apps, s.deny_apps) == ((1, 2), (3,))
    assert s.disable_tools == ("delete_records", "add_record") and s.tools is None
    assert s.oauth_scopes == ("k:app_record:read", "k:app_settings:read")
    assert "pw-canary-1f2e" not in repr(s)


def test_subdomain_and_domain_build_the_url() -> None:
    s = load_settings(env={"KINTONE_SUBDOMAIN": "Acme", "KINTONE_DOMAIN": "kintone.com", "KINTONE_API_TOKEN": "t1"})
    assert s.base_url == "https://acme.kintone.com"
    assert load_settings(env={"KINTONE_SUBDOMAIN": "acme", "KINTONE_API_TOKEN": "t"}).base_url == (
        "https://acme.cybozu.com"
    )


def test_client_certificate_moves_to_the_secure_access_host(tmp_path: Path) -> None:
    pfx = write(tmp_path, "not really a pfx", "cert.pfx")
    s = load_settings(env={"KINTONE_SUBDOMAIN": "acme", "KINTONE_API_TOKEN": "t", "KINTONE_PFX_FILE_PATH": str(pfx)})
    assert s.base_url == "https://acme.s.cybozu.com"


@pytest.mark.parametrize(
    ("layers", "expected_app"),
    [
        ({"toml": 1}, 1),
        ({"toml": 1, "env": 2}, 2),
        ({"toml": 1, "env": 2, "cli": 3}, 3),
        ({"toml": 1, "cli": 3}, 3),
        ({"env": 2, "cli": 3}, 3),
    ],
)
def test_flags_beat_environment_beat_file(tmp_path: Path, layers: dict[str, int], expected_app: int) -> None:
    env = dict(PASSWORD)
    if "toml" in layers:
        env["KINTONE_CONFIG"] = str(write(tmp_path, f"[connections.main]\napp_id = {layers['toml']}\n"))
    if "env" in layers:
        env["KINTONE_APP_ID"] = str(layers["env"])
    cli = {"app_id": layers["cli"]} if "cli" in layers else None
    assert load_settings(cli, env).app_id == expected_app


def test_toml_connection_with_aliases_and_secret_file(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "token").write_text("2:tokdeals\n", encoding="utf-8")
    path = write(
        tmp_path,
        """
default_connection = "prod"

[connections.prod]
subdomain = "acme"
api_token_file = "secrets/token"
app_id = "deals"
allow_apps = ["deals", 1]

[connections.prod.app_aliases]
deals = 2
customers = 1

[connections.staging]
base_url = "http://127.0.0.1:8787"
username = "Administrator"
password = "sandbox"
""",
    )
    s = load_settings(env={"KINTONE_CONFIG": str(path)})
    assert (s.base_url, s.auth_type, s.app_id, s.allow_apps) == ("https://acme.cybozu.com", "api_token", 2, (2, 1))
    assert [(t.app, t.token.get_secret_value()) for t in s.api_token] == [(2, "tokdeals")]
    assert s.app_aliases == {"deals": 2, "customers": 1}
    assert s.resolve_app("customers") == 1 and s.resolve_app("7") == 7
    staging = load_settings(env={"KINTONE_CONFIG": str(path), "KINTONE_CONNECTION": "staging"})
    assert (staging.base_url, staging.auth_type) == ("http://127.0.0.1:8787", "password")
    by_flag = load_settings({"connection": "staging"}, {"KINTONE_CONFIG": str(path)})
    assert by_flag.base_url == "http://127.0.0.1:8787"


def test_app_aliases_from_the_environment_merge_over_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[connections.a]\napp_aliases = { deals = 2, customers = 1 }\n")
    s = load_settings(env={**PASSWORD, "KINTONE_CONFIG": str(path), "KINTONE_APP_ALIASES": "deals=5,tickets=3"})
    assert s.app_aliases == {"deals": 5, "customers": 1, "tickets": 3}


def test_secret_files_from_the_environment(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("from-file-pw\n", encoding="utf-8")
    (tmp_path / "ut").write_text("cy.s.api1.a.b.c", encoding="utf-8")
    s = load_settings(
        env={
            **BASE,
            "KINTONE_USERNAME": "sato",
            "KINTONE_PASSWORD_FILE": str(tmp_path / "pw"),
            "KINTONE_USER_API_TOKEN_FILE": str(tmp_path / "ut"),
        }
    )
    assert s.password is not None and s.password.get_secret_value() == "from-file-pw"
    assert s.user_api_token is not None and s.user_api_token.get_secret_value() == "cy.s.api1.a.b.c"


def test_empty_environment_variables_count_as_unset() -> None:
    s = load_settings(env={**PASSWORD, "KINTONE_API_TOKEN": "", "KINTONE_APP_ID": "  "})
    assert s.auth_type == "password" and s.app_id is None


def test_os_environ_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in PASSWORD.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("KINTONE_APP_ID", "3")
    assert load_settings().app_id == 3


def test_settings_are_frozen() -> None:
    s = load_settings(env=PASSWORD)
    with pytest.raises(Exception, match="frozen"):
        s.app_id = 5  # type: ignore[misc]


def test_settings_alone_read_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KINTONE_APP_ID", "9")
    s = Settings(base_url="http://localhost:1", api_token="t")  # type: ignore[arg-type]
    assert s.app_id is None and s.auth_type == "api_token"


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
    caplog.set_level(logging.INFO, logger="kintone_mcp.config")
    s = load_settings(env={**PASSWORD, "KINTONE_API_TOKEN": "tok-canary-9"})
    assert s.auth_type == "password"
    notices = [r for r in caplog.records if r.name == "kintone_mcp.config"]
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


# --- TOML problems -------------------------------------------------------------------------------------------

TOML_CASES = [
    ("several connections", "[connections.a]\n[connections.b]\n", {}, "KINTONE_CONNECTION"),
    ("unknown connection", "[connections.a]\n", {"KINTONE_CONNECTION": "b"}, "defines only: a"),
    ("unknown key", "[connections.a]\nbase_ulr = 'x'\n", {}, "base_ulr"),
    ("no connections", "title = 'x'\n", {}, "[connections.NAME]"),
    ("not toml", "[connections.a\n", {}, "not valid TOML"),
    ("bad value", "[connections.a]\napp_id = 'zzz'\n", {}, "KINTONE_APP_ID"),
]


@pytest.mark.parametrize(("text", "env", "fragment"), [c[1:] for c in TOML_CASES], ids=[c[0] for c in TOML_CASES])
def test_toml_problems(tmp_path: Path, text: str, env: dict[str, str], fragment: str) -> None:
    path = write(tmp_path, text)
    problems = problems_of(env={**PASSWORD, "KINTONE_CONFIG": str(path), **env})
    assert any(fragment in p for p in problems), problems


def test_cli_overrides_also_take_secret_files(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("cli-pw", encoding="utf-8")
    s = load_settings({"password_file": str(tmp_path / "pw"), "username": "u"}, BASE)
    assert s.password is not None and s.password.get_secret_value() == "cli-pw"
    assert any("Unknown setting" in p for p in problems_of({"app": 3}, PASSWORD))
