"""The token store: one entry per connection, 0600 files written atomically, the keyring when usable."""

from __future__ import annotations

import stat
import sys
import types
from pathlib import Path

import pytest

from kintone_mcp.auth.oauth_tokens import OAuthTokens
from kintone_mcp.auth.token_store import (
    FileTokenStore,
    KeyringTokenStore,
    TokenStoreError,
    entry_file_name,
    open_token_store,
)
from kintone_mcp.oskeyring import usable_keyring
from kintone_mcp.settings import user_config_dir

TOKENS = OAuthTokens(
    access_token="CANARY-access-1234567890",
    refresh_token="CANARY-refresh-1234567890",
    expires_at=1_800_000_000.0,
    scopes=("k:app_record:read",),
    base_url="https://example.cybozu.com",
    client_id="client",
    user="sato",
    obtained_at=1_799_996_400.0,
)


def test_a_file_entry_is_0600_in_a_0700_directory_and_round_trips(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "kintone-mcp" / "oauth")
    store.save("prod", TOKENS)
    path = store.path_of("prod")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert store.load("prod") == TOKENS
    assert store.load("staging") is None


def test_saving_replaces_the_entry_atomically_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path)
    store.save("prod", TOKENS)
    inode = store.path_of("prod").stat().st_ino
    newer = OAuthTokens(**{**TOKENS.__dict__, "access_token": "CANARY-access-second"})
    store.save("prod", newer)
    assert store.load("prod") == newer
    assert store.path_of("prod").stat().st_ino != inode  # a new file renamed over the old one
    assert sorted(p.name for p in tmp_path.iterdir()) == ["prod.json"]


def test_one_entry_per_connection(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path)
    store.save("a", TOKENS)
    store.save("b", OAuthTokens(**{**TOKENS.__dict__, "user": "suzuki"}))
    assert store.load("a") == TOKENS and store.load("b") is not None and store.load("b").user == "suzuki"  # type: ignore[union-attr]
    assert store.delete("a") is True and store.delete("a") is False
    assert store.load("a") is None and store.load("b") is not None


@pytest.mark.parametrize("name", ["prod", "my.conn_1", "../escape", "with space", "日本", ".hidden", "a/b", ".."])
def test_any_connection_name_maps_to_a_file_inside_the_directory(tmp_path: Path, name: str) -> None:
    file_name = entry_file_name(name)
    assert "/" not in file_name and not file_name.startswith(".")
    store = FileTokenStore(tmp_path)
    store.save(name, TOKENS)
    assert store.path_of(name).parent == tmp_path
    assert store.load(name) == TOKENS


def test_an_unreadable_entry_says_to_sign_in_again_without_echoing_it(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path)
    store.path_of("prod").write_text('{"access_token": "CANARY-broken-token"')
    with pytest.raises(TokenStoreError) as raised:
        store.load("prod")
    assert "auth login" in str(raised.value) and "CANARY" not in str(raised.value)


def test_token_reprs_hide_the_tokens() -> None:
    for text in (repr(TOKENS), str(TOKENS)):
        assert "CANARY" not in text and "client" in text


class MemoryKeyring:
    """A keyring backend that keeps passwords in a dict (what keyring's own backends offer, minus the OS)."""

    priority = 5

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, user: str) -> str | None:
        return self.entries.get((service, user))

    def set_password(self, service: str, user: str, password: str) -> None:
        self.entries[(service, user)] = password

    def delete_password(self, service: str, user: str) -> None:
        del self.entries[(service, user)]


def test_the_keyring_store_keeps_one_entry_per_connection_under_the_service() -> None:
    backend = MemoryKeyring()
    store = KeyringTokenStore(backend)
    store.save("prod", TOKENS)
    assert list(backend.entries) == [("kintone-mcp", "prod")]
    assert store.load("prod") == TOKENS
    assert store.delete("prod") and not store.delete("prod")
    assert "OS keyring" in store.describe()


def test_a_failing_keyring_is_reported_without_the_tokens() -> None:
    class Broken(MemoryKeyring):
        def set_password(self, service: str, user: str, password: str) -> None:
            raise RuntimeError(f"locked, cannot store {password}")

    with pytest.raises(TokenStoreError) as raised:
        KeyringTokenStore(Broken()).save("prod", TOKENS)
    assert "CANARY" not in str(raised.value) and "RuntimeError" in str(raised.value)


@pytest.fixture
def fake_keyring_package(monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    """Stands in for the optional ``keyring`` package: its public get_keyring and its fail backend."""
    state = types.SimpleNamespace(backend=MemoryKeyring())
    fail = types.ModuleType("keyring.backends.fail")

    class FailKeyring(MemoryKeyring):
        priority = 0

    fail.Keyring = FailKeyring  # type: ignore[attr-defined]
    package = types.ModuleType("keyring")
    package.get_keyring = lambda: state.backend  # type: ignore[attr-defined]
    backends = types.ModuleType("keyring.backends")
    monkeypatch.setitem(sys.modules, "keyring", package)
    monkeypatch.setitem(sys.modules, "keyring.backends", backends)
    monkeypatch.setitem(sys.modules, "keyring.backends.fail", fail)
    state.fail = FailKeyring
    return state


def test_auto_prefers_a_usable_keyring(fake_keyring_package: types.SimpleNamespace, tmp_path: Path) -> None:
    assert usable_keyring() is fake_keyring_package.backend
    assert isinstance(open_token_store(None, tmp_path), KeyringTokenStore)
    assert isinstance(open_token_store("auto", tmp_path), KeyringTokenStore)
    assert isinstance(open_token_store("file", tmp_path), FileTokenStore)


def test_auto_falls_back_to_files_when_the_keyring_stores_nothing(
    fake_keyring_package: types.SimpleNamespace, tmp_path: Path
) -> None:
    fake_keyring_package.backend = fake_keyring_package.fail()
    assert usable_keyring() is None
    store = open_token_store("auto", tmp_path)
    assert isinstance(store, FileTokenStore) and store.directory == tmp_path
    with pytest.raises(TokenStoreError, match="kintone-mcp\\[keyring\\]"):
        open_token_store("keyring", tmp_path)


def test_without_the_keyring_package_auto_means_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "keyring", None)  # makes `import keyring` fail
    assert usable_keyring() is None
    assert isinstance(open_token_store(None, tmp_path), FileTokenStore)


def test_a_directory_setting_means_files_there(tmp_path: Path) -> None:
    store = open_token_store(str(tmp_path / "elsewhere"), tmp_path / "default")
    assert isinstance(store, FileTokenStore) and store.directory == tmp_path / "elsewhere"


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="XDG applies to other systems")
def test_the_default_directory_follows_xdg(tmp_path: Path) -> None:
    assert user_config_dir({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "kintone-mcp"
    assert user_config_dir({"XDG_CONFIG_HOME": "relative/ignored"}) == Path.home() / ".config" / "kintone-mcp"
    assert user_config_dir({}) == Path.home() / ".config" / "kintone-mcp"
