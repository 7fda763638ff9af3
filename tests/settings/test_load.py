"""Loading the settings: values from each layer, precedence of flags over environment over the TOML connection."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from kintone_mcp.settings import Settings, app_id_of, load_settings
from tests.settings.helpers import BASE, PASSWORD, write

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
    assert app_id_of("customers", s.app_aliases) == 1 and app_id_of("7", s.app_aliases) == 7
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
