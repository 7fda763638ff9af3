"""Stored connections resolved by the settings: ``KINTONE_CONNECTION=NAME`` (or ``--connection NAME``) finds the
connection in the default connections file with its secrets from the encrypted file or the keyring; flags and the
environment still win; a damaged or missing store is a problem that names the fix, never a secret."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from kintone_mcp.settings import draft_settings, load_settings, stored_connection_settings, user_config_dir
from kintone_mcp.settings.store import ConnectionsFile, KeyringSecretStore, encrypted_file_store
from tests.keyrings import MemoryKeyring
from tests.settings.helpers import problems_of

PASSWORD = "pw-CANARY-stored-8c1e5a"
TOKEN = "tokCANARYstored9f8e7d6c5b4a3f2e1d0c9b8a7f6e5"


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"XDG_CONFIG_HOME": str(tmp_path / "config"), **extra}


def save(env: dict[str, str], name: str, table: dict[str, object], secrets: dict[str, str], *,
         kind: str = "file", default: bool = False) -> Path:  # fmt: skip
    path = user_config_dir(env) / "connections.toml"
    document = ConnectionsFile.read(path)
    document.connections[name] = {**table, "secret_store": kind}
    if default:
        document.default = name
    document.write()
    store = encrypted_file_store(path, env) if kind == "file" else KeyringSecretStore()
    store.save(name, secrets)
    return path


@pytest.fixture
def test_keyring() -> Iterator[MemoryKeyring]:
    backend, previous = MemoryKeyring(), keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


PROD = {"base_url": "https://prod.example.com", "auth_type": "password", "username": "sato", "app_id": "deals",
        "app_aliases": {"deals": 2}}  # fmt: skip


@pytest.mark.parametrize("kind", ["file", "keyring"])
def test_a_named_connection_resolves_with_its_stored_secrets(
    tmp_path: Path, kind: str, test_keyring: MemoryKeyring
) -> None:
    env = env_for(tmp_path)
    save(env, "prod", PROD, {"password": PASSWORD}, kind=kind)
    for s in (load_settings(env={**env, "KINTONE_CONNECTION": "prod"}), load_settings({"connection": "prod"}, env)):
        assert s.connection == "prod" and s.base_url == "https://prod.example.com"
        assert s.auth_type == "password" and s.username == "sato" and s.app_id == 2
        assert s.password is not None and s.password.get_secret_value() == PASSWORD
    assert bool(test_keyring.entries) == (kind == "keyring")


def test_flags_and_the_environment_still_win_over_a_stored_connection(tmp_path: Path) -> None:
    env = env_for(tmp_path, KINTONE_CONNECTION="prod", KINTONE_PASSWORD="pw-from-the-environment-1")
    save(env, "prod", PROD, {"password": PASSWORD})
    s = load_settings({"app_id": "7"}, env)
    assert s.password is not None and s.password.get_secret_value() == "pw-from-the-environment-1"
    assert s.app_id == 7 and s.username == "sato"


def test_the_default_connection_applies_only_when_nothing_else_says_where_kintone_is(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    save(env, "prod", PROD, {"password": PASSWORD}, default=True)
    assert load_settings(env=env).connection == "prod"
    # A host configured through the environment is not changed by a connection stored later.
    own = load_settings(env={**env, "KINTONE_BASE_URL": "https://other.example.com", "KINTONE_API_TOKEN": TOKEN})
    assert own.connection is None and own.auth_type == "api_token" and own.password is None
    # Named explicitly, it applies under the environment's values as documented.
    named = load_settings(env={**env, "KINTONE_CONNECTION": "prod", "KINTONE_BASE_URL": "https://other.example.com"})
    assert named.connection == "prod" and named.base_url == "https://other.example.com"


def test_a_stored_file_without_a_default_changes_nothing(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    save(env, "a", PROD, {"password": PASSWORD})
    save(env, "b", PROD, {"password": PASSWORD})
    assert any("No Kintone address" in p for p in problems_of(env=env))


def test_an_unknown_name_says_how_to_add_it(tmp_path: Path) -> None:
    env = env_for(tmp_path, KINTONE_CONNECTION="prod")
    assert any("connection add prod" in p for p in problems_of(env=env))
    save(env, "staging", PROD, {"password": PASSWORD})
    assert any("defines only: staging" in p for p in problems_of(env=env))


def test_damaged_or_missing_secrets_are_problems_naming_the_fix(tmp_path: Path) -> None:
    env = env_for(tmp_path, KINTONE_CONNECTION="prod")
    path = save(env, "prod", PROD, {"password": PASSWORD})
    secrets_file = encrypted_file_store(path, env).path_of("prod")
    content = bytearray(secrets_file.read_bytes())
    content[content.index(b'"ciphertext": "') + 20] ^= 0x01
    secrets_file.write_bytes(bytes(content))
    problems = problems_of(env=env)
    assert any("fail their integrity check" in p and "connection edit prod" in p for p in problems), problems
    assert not any(PASSWORD in p for p in problems)
    secrets_file.unlink()
    assert any("none are there" in p and "connection edit prod" in p for p in problems_of(env=env))


def test_a_secret_both_stored_and_in_the_table_is_refused(tmp_path: Path) -> None:
    env = env_for(tmp_path, KINTONE_CONNECTION="prod")
    save(env, "prod", {**PROD, "password": "plain-in-the-table-1"}, {"password": PASSWORD})
    assert any("KINTONE_PASSWORD is both in the stored secrets" in p for p in problems_of(env=env))


def test_the_stored_connection_alone_ignores_the_environments_connection_settings(tmp_path: Path) -> None:
    env = env_for(tmp_path, KINTONE_BASE_URL="https://env.example.com", KINTONE_PASSWORD="pw-env-override-12",
                  KINTONE_TIMEOUT="7", KINTONE_APP_ID="9")  # fmt: skip
    save(env, "prod", PROD, {"password": PASSWORD})
    s = stored_connection_settings("prod", env=env)
    assert s.base_url == "https://prod.example.com" and s.app_id == 2 and s.timeout == 7
    assert s.password is not None and s.password.get_secret_value() == PASSWORD
    draft = draft_settings("new", {"subdomain": "acme", "api_token": TOKEN}, env)
    assert draft.base_url == "https://acme.cybozu.com" and draft.connection == "new" and draft.auth_type == "api_token"
