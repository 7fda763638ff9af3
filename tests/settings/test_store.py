"""The secret stores and the connections file under ``kintone-mcp connection``: the encrypted file holds no secret
in any encoding, refuses every tampering with a clear message, keeps its key apart; the keyring store keeps one entry
per connection apart from the OAuth tokens; the TOML writer gives back what it was handed."""

from __future__ import annotations

import base64
import binascii
import json
import stat
import tomllib
import urllib.parse
from pathlib import Path

import keyring
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kintone_mcp.oskeyring import usable_keyring
from kintone_mcp.settings.store import (
    KEYRING_SERVICE,
    ConnectionsFile,
    EncryptedFileSecretStore,
    KeyringSecretStore,
    StoreError,
    encrypted_file_store,
    open_secret_store,
)
from tests.keyrings import MemoryKeyring

SECRETS = {
    "password": "pw-CANARY-Zq81mX04",
    "api_token": "2:tokCANARY2b8e4f0a1c3d5b7f9e1a3c5d7b9f1a3c5,3:tokCANARY3c9f5a1b2d4e6c8a0f2b4d6e8c0a2b4d6",
    "basic_auth_password": "basic-CANARY-6d2c8e40-ünï",
}


def encodings(secret: str) -> list[bytes]:
    """The forms a secret could take in a file: as is, base64 (standard, URL-safe, at each alignment), hex, URL
    encoding, JSON escaping, UTF-16."""
    raw = secret.encode()
    forms = [raw, raw.hex().encode(), raw.hex().upper().encode(), urllib.parse.quote(secret).encode(),
             json.dumps(secret).encode(), secret.encode("utf-16-le"), secret.encode("utf-16-be")]  # fmt: skip
    for shift in range(3):
        # base64 of the secret inside a longer text starts at any of three alignments; the middle part is stable.
        b64 = base64.b64encode(b"x" * shift + raw)[4:-4]
        forms += [b64, b64.replace(b"+", b"-").replace(b"/", b"_")]
    return forms


def store(tmp_path: Path, passphrase: str | None = None) -> EncryptedFileSecretStore:
    return EncryptedFileSecretStore(tmp_path / "secrets", tmp_path / "secrets.key", passphrase=passphrase)


@pytest.mark.parametrize("passphrase", [None, "correct horse battery staple"])
def test_the_encrypted_file_round_trips_and_holds_no_secret_in_any_encoding(
    tmp_path: Path, passphrase: str | None
) -> None:
    s = store(tmp_path, passphrase)
    s.save("prod", SECRETS)
    assert s.load("prod") == SECRETS
    assert s.load("staging") is None
    content = s.path_of("prod").read_bytes()
    for secret in [*SECRETS.values(), *SECRETS["api_token"].split(",")]:
        for form in encodings(secret):
            assert form not in content, f"a form of a secret is in the file: {form[:10]!r}"
    assert stat.S_IMODE(s.path_of("prod").stat().st_mode) == 0o600
    assert stat.S_IMODE(s.directory.stat().st_mode) == 0o700
    if passphrase is None:
        assert stat.S_IMODE(s.key_file.stat().st_mode) == 0o600
        assert s.key_file.parent != s.directory  # the key is not beside the ciphertext
    else:
        assert not s.key_file.exists()  # the passphrase is the key: nothing else is written
        assert passphrase.encode() not in content
    assert sorted(p.name for p in s.directory.iterdir()) == ["prod.secrets"]  # no temporary file left


def test_every_change_to_the_file_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    s = store(tmp_path)
    s.save("prod", SECRETS)
    path = s.path_of("prod")
    original = path.read_bytes()
    envelope = json.loads(original)
    ciphertext = base64.b64decode(envelope["ciphertext"])

    def refused(content: bytes) -> str:
        path.write_bytes(content)
        with pytest.raises(StoreError) as raised:
            s.load("prod")
        text = str(raised.value)
        assert not any(v in text for v in SECRETS.values())
        return text

    for index in (0, len(ciphertext) // 2, len(ciphertext) - 1):  # first byte, middle, inside the GCM tag
        flipped = bytearray(ciphertext)
        flipped[index] ^= 0x01
        text = refused(json.dumps({**envelope, "ciphertext": base64.b64encode(bytes(flipped)).decode()}).encode())
        assert "fail their integrity check" in text and "connection edit prod" in text
    nonce = bytearray(base64.b64decode(envelope["nonce"]))
    nonce[0] ^= 0x80
    assert "integrity" in refused(json.dumps({**envelope, "nonce": base64.b64encode(bytes(nonce)).decode()}).encode())
    assert "integrity" in refused(original[: len(original) // 2])  # truncated
    assert "integrity" in refused(b"\x00garbage")
    assert "integrity" in refused(json.dumps({**envelope, "kdf": {"name": "none"}}).encode())
    path.write_bytes(original)
    assert s.load("prod") == SECRETS


def test_a_file_copied_over_another_connections_is_refused(tmp_path: Path) -> None:
    s = store(tmp_path)
    s.save("prod", SECRETS)
    s.save("staging", {"password": "pw-CANARY-staging-000"})
    # The connection's name is authenticated: prod's secrets cannot be passed off as staging's.
    s.path_of("staging").write_bytes(s.path_of("prod").read_bytes())
    with pytest.raises(StoreError, match="integrity check"):
        s.load("staging")


def test_the_key_is_needed_whole_and_private(tmp_path: Path) -> None:
    s = store(tmp_path)
    s.save("prod", SECRETS)
    key = s.key_file.read_bytes()
    s.key_file.chmod(0o644)
    with pytest.raises(StoreError, match="chmod 600"):
        s.load("prod")
    s.key_file.chmod(0o600)
    s.key_file.write_text(base64.b64encode(b"\x01" * 32).decode())  # another key
    with pytest.raises(StoreError, match="integrity check"):
        s.load("prod")
    s.key_file.write_text("short")
    with pytest.raises(StoreError, match="256-bit key"):
        s.load("prod")
    s.key_file.unlink()
    with pytest.raises(StoreError, match=r"key file .* is missing"):
        s.load("prod")
    s.key_file.write_bytes(key)
    s.key_file.chmod(0o600)
    assert s.load("prod") == SECRETS


def test_a_passphrase_file_needs_the_passphrase(tmp_path: Path) -> None:
    store(tmp_path, "the right passphrase").save("prod", SECRETS)
    with pytest.raises(StoreError, match="KINTONE_SECRETS_PASSPHRASE"):
        store(tmp_path).load("prod")
    with pytest.raises(StoreError, match="integrity check"):
        store(tmp_path, "a wrong passphrase").load("prod")
    assert store(tmp_path, "the right passphrase").load("prod") == SECRETS


def test_the_store_beside_a_connections_file_takes_the_environment(tmp_path: Path) -> None:
    connections = tmp_path / "conf" / "connections.toml"
    plain = encrypted_file_store(connections, {})
    assert plain.directory == (tmp_path / "conf" / "secrets").resolve()
    assert plain.key_file == (tmp_path / "conf" / "secrets.key").resolve()
    elsewhere = encrypted_file_store(connections, {"KINTONE_SECRETS_KEY_FILE": str(tmp_path / "usb" / "k")})
    assert elsewhere.key_file == tmp_path / "usb" / "k"
    (tmp_path / "pass").write_text("from a file\n")
    from_file = encrypted_file_store(connections, {"KINTONE_SECRETS_PASSPHRASE_FILE": str(tmp_path / "pass")})
    from_file.save("prod", SECRETS)
    assert encrypted_file_store(connections, {"KINTONE_SECRETS_PASSPHRASE": "from a file"}).load("prod") == SECRETS
    with pytest.raises(StoreError, match="both set"):
        encrypted_file_store(connections, {"KINTONE_SECRETS_PASSPHRASE": "a",
                                           "KINTONE_SECRETS_PASSPHRASE_FILE": str(tmp_path / "pass")})  # fmt: skip


def test_the_keyring_store_keeps_one_entry_per_connection_apart_from_oauth_tokens() -> None:
    backend = MemoryKeyring()
    s = KeyringSecretStore(backend)
    s.save("prod", SECRETS)
    assert list(backend.entries) == [(KEYRING_SERVICE, "prod")] and KEYRING_SERVICE != "kintone-mcp"
    assert s.load("prod") == SECRETS and s.load("other") is None
    backend.entries[(KEYRING_SERVICE, "prod")] = "not json"
    with pytest.raises(StoreError, match="changed by something else"):
        s.load("prod")
    assert s.delete("prod") and not s.delete("prod")


def test_auto_is_the_keyring_when_usable_else_the_encrypted_file(tmp_path: Path) -> None:
    path = tmp_path / "connections.toml"
    assert usable_keyring() is None  # the suite's isolation: keyring's backend that stores nothing
    assert open_secret_store("auto", path, {}).kind == "file"
    with pytest.raises(StoreError, match="no OS keyring is usable"):
        open_secret_store("keyring", path, {})
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        assert open_secret_store("auto", path, {}).kind == "keyring"
        assert open_secret_store("file", path, {}).kind == "file"
    finally:
        keyring.set_keyring(previous)
    with pytest.raises(StoreError, match="keyring or file"):
        open_secret_store("vault", path, {})


# --- the connections file -----------------------------------------------------------------------------------

_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
_scalar = st.one_of(_text, st.integers(-(2**63), 2**63 - 1), st.booleans(),
                    st.floats(allow_nan=False, allow_infinity=False))  # fmt: skip
_table = st.dictionaries(
    _text.filter(bool),
    st.one_of(_scalar, st.lists(st.one_of(_text, st.integers(0, 10**6)), max_size=4),
              st.dictionaries(_text.filter(bool), st.integers(1, 10**6), max_size=3)),
    max_size=5,
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(connections=st.dictionaries(_text.filter(bool), _table, max_size=3), default=st.none() | _text)
# Found by Hypothesis: a key ending in a newline passed the bare-key check (Python's `$` matches before it).
@example(connections={"0\n": {}}, default=None)
@example(connections={"0": {}, "0\n": {}}, default=None)
@example(connections={"0": {"0\n": ""}}, default=None)
def test_the_writer_gives_back_what_it_was_handed(
    connections: dict[str, dict[str, object]], default: str | None
) -> None:
    document = ConnectionsFile(Path("unused.toml"), default, connections)
    parsed = tomllib.loads(document.render())
    assert parsed.get("default_connection") == default
    assert parsed.get("connections", {}) == connections


def test_a_file_read_and_written_keeps_its_connections_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "connections.toml"
    path.write_text('default_connection = "a"\n# a comment\n[connections.a]\nsubdomain = "x"\n'
                    '[connections.a.app_aliases]\ndeals = 2\n[connections."b c"]\nbase_url = "https://b.example"\n')
    document = ConnectionsFile.read(path)
    document.write()
    assert tomllib.loads(path.read_text()) == {
        "default_connection": "a",
        "connections": {"a": {"subdomain": "x", "app_aliases": {"deals": 2}}, "b c": {"base_url": "https://b.example"}},
    }
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ConnectionsFile.read(tmp_path / "absent.toml").connections == {}


def test_a_file_it_cannot_keep_whole_is_refused_not_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "connections.toml"
    path.write_text("[connections.a]\nwhen = 2024-01-01\n")
    with pytest.raises(StoreError, match="cannot write a value of type date"):
        ConnectionsFile.read(path).write()
    assert path.read_text() == "[connections.a]\nwhen = 2024-01-01\n"
    path.write_text("[connections.a\n")
    with pytest.raises(StoreError, match="not valid TOML"):
        ConnectionsFile.read(path)
    path.write_text("extra = 1\n")
    with pytest.raises(StoreError, match="unknown top-level"):
        ConnectionsFile.read(path)


def test_encodings_helper_finds_what_it_should() -> None:
    # The helper itself must catch a base64 copy at any alignment, or the no-secret test above proves nothing.
    secret = SECRETS["password"]
    for prefix in (b"", b"a", b"ab"):
        blob = base64.b64encode(prefix + secret.encode())
        assert any(form in blob for form in encodings(secret))
    assert any(form in binascii.hexlify(secret.encode()) for form in encodings(secret))


@pytest.mark.parametrize("name", ["prod\n", "prod\r\n", "prod\x00"])
def test_a_name_ending_in_a_control_character_never_becomes_a_file_name_as_it_is(name: str) -> None:
    # Python's `$` matches before a final newline: "prod\n" once passed as tame and named a file "prod\n.secrets".
    from kintone_mcp.auth.token_store import entry_file_name
    from kintone_mcp.privatefiles import file_name_for
    from kintone_mcp.settings.store.connections_file import NAME

    for file_name in (file_name_for(name, ".secrets"), entry_file_name(name)):
        assert file_name.isprintable() and file_name != file_name_for("prod", ".secrets")
    assert not NAME.match(name)
