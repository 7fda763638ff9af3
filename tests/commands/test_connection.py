"""``kintone-mcp connection`` without a terminal (flags and ``--secrets-stdin`` / ``--secrets-file``), in process
against the sandbox on a real socket: add / list / test / edit / remove / default with the keyring (a test keyring)
and with the encrypted file; the check decides what is saved; canary secrets never reach any output or the
connections file; the server started with KINTONE_CONNECTION=NAME works."""

from __future__ import annotations

import io
import json
import os
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import anyio
import keyring
import pytest
from mcp import Client, StdioServerParameters

from kintone_mcp.commands.main import main
from kintone_mcp.sandbox import serve_in_thread
from kintone_mcp.settings.store import KEYRING_SERVICE, encrypted_file_store
from tests.commands.sandboxes import (
    PASSPHRASE,
    PASSWORD,
    TOKEN,
    USER_API_TOKEN,
    WRONG_PASSWORD,
    assert_no_canary,
    canary_sandbox,
)
from tests.conftest import stored_home
from tests.keyrings import FileKeyring, MemoryKeyring
from tests.server.helpers import call_ok

pytestmark = pytest.mark.socket


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    sandbox = canary_sandbox()
    with serve_in_thread(sandbox) as url:
        yield url
    sandbox.close()


class Cli:
    """Runs ``kintone-mcp`` in process, standard input given, and keeps every output for the canary check."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        self.monkeypatch, self.capsys = monkeypatch, capsys
        self.outputs: list[str] = []
        for key in [k for k in os.environ if k.startswith("KINTONE_") or k == "HTTPS_PROXY"]:
            monkeypatch.delenv(key)

    def __call__(self, *args: str, stdin: str = "") -> tuple[int, str, str]:
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(list(args))
        out, err = self.capsys.readouterr()
        self.outputs += [out, err]
        assert_no_canary(out, err)
        return code, out, err


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(monkeypatch, capsys)


@pytest.fixture(params=["file", "keyring"])
def kind(request: pytest.FixtureRequest) -> Iterator[str]:
    """Both stores: for the keyring, a test keyring is installed, so `auto` chooses it."""
    if request.param == "file":
        yield "file"
        return
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    yield "keyring"
    keyring.set_keyring(previous)


def connections() -> dict[str, object]:
    return tomllib.loads((stored_home() / "connections.toml").read_text())


def stored_bytes() -> bytes:
    """Everything kintone-mcp wrote to disk, for the check that no secret is in it in plain text."""
    return b"".join(p.read_bytes() for p in stored_home().rglob("*") if p.is_file())


def add_password(cli: Cli, url: str, name: str = "prod", password: str = PASSWORD, *extra: str) -> tuple[int, str, str]:
    return cli("connection", "add", name, "--url", url, "--auth", "password", "--username", "Administrator",
               "--aliases", "deals=2", "--app", "deals", "--secrets-stdin", *extra, stdin=f"password={password}\n")


def test_add_list_test_edit_remove(cli: Cli, sandbox_url: str, kind: str) -> None:
    code, out, _ = add_password(cli, sandbox_url)
    assert code == 0, out
    assert "[ok  ] credentials: accepted (password)" in out and "Saved connection 'prod' (the default)" in out
    table = connections()["connections"]["prod"]  # type: ignore[index]
    assert table == {"base_url": sandbox_url, "auth_type": "password", "username": "Administrator",
                     "app_aliases": {"deals": 2}, "app_id": "deals", "secret_store": kind}  # fmt: skip
    assert PASSWORD.encode() not in stored_bytes()
    if kind == "keyring":
        assert json.loads(keyring.get_keyring().get_password(KEYRING_SERVICE, "prod")) == {"password": PASSWORD}
        assert not (stored_home() / "secrets").exists()
    else:
        assert encrypted_file_store(stored_home() / "connections.toml", {}).load("prod") == {"password": PASSWORD}

    code, out, _ = cli("connection", "add", "tokens", "--url", sandbox_url, "--auth", "api_token", "--secrets-stdin",
                       stdin=f"api_token=2:{TOKEN}\n")  # fmt: skip
    assert code == 0, out
    code, out, _ = cli("connection", "list")
    assert code == 0
    place = "OS keyring" if kind == "keyring" else "encrypted file"
    lines = out.splitlines()
    assert lines[1].split() == ["NAME", "URL", "AUTH", "APP", "SECRETS"]
    assert lines[2].split() == ["*", "prod", sandbox_url, "password", "deals", *place.split()]
    assert lines[3].split() == ["tokens", sandbox_url, "api_token", "-", *place.split()]
    code, out, _ = cli("connection", "list", "--json")
    assert [c["name"] for c in json.loads(out)["connections"]] == ["prod", "tokens"]

    code, out, _ = cli("connection", "test", "tokens")
    assert code == 0 and "OK: Connected" in out and "API token(s) for app 2" in out

    # Edit without entering the secret again: every other setting may change, the secret is kept, and a setting
    # written by hand that the form does not ask about stays.
    document = (stored_home() / "connections.toml").read_text()
    (stored_home() / "connections.toml").write_text(document.replace('username = "Administrator"\n',
                                                                      'username = "Administrator"\nretries = 2\n'))
    code, out, _ = cli("connection", "edit", "prod", "--aliases", "deals=2,customers=1", "--app", "customers")
    assert code == 0, out
    table = connections()["connections"]["prod"]  # type: ignore[index]
    assert table["app_aliases"] == {"deals": 2, "customers": 1} and table["app_id"] == "customers"
    assert table["retries"] == 2
    code, out, _ = cli("connection", "test", "prod")
    assert code == 0 and "default app 1" in out
    # A new secret that fails the check is not saved: the connection keeps working with the old one.
    code, out, _ = cli("connection", "edit", "prod", "--secrets-stdin", stdin=f"password={WRONG_PASSWORD}\n")
    assert code == 1 and "[FAIL] credentials" in out and "nothing was saved" in out
    assert cli("connection", "test", "prod")[0] == 0

    code, out, _ = cli("connection", "default", "tokens")
    assert code == 0 and connections()["default_connection"] == "tokens"
    code, _, err = cli("connection", "remove", "tokens")
    assert code == 2 and "--yes" in err  # no terminal to confirm on
    code, out, _ = cli("connection", "remove", "tokens", "--yes")
    assert code == 0 and "Removed connection 'tokens' and its secrets" in out
    assert "tokens" not in connections()["connections"] and "default_connection" not in connections()  # type: ignore[operator]
    if kind == "keyring":
        assert keyring.get_keyring().get_password(KEYRING_SERVICE, "tokens") is None
    else:
        assert not (stored_home() / "secrets" / "tokens.secrets").exists()
    code, _, err = cli("connection", "test", "tokens")
    assert code == 2 and "no connection 'tokens'" in err and "connections: prod" in err


def test_a_failed_check_saves_nothing_unless_asked(cli: Cli, sandbox_url: str) -> None:
    code, out, _ = add_password(cli, sandbox_url, "bad", WRONG_PASSWORD)
    assert code == 1 and "[FAIL] credentials" in out and "nothing was saved" in out
    assert not (stored_home() / "connections.toml").exists() and not (stored_home() / "secrets").exists()
    code, out, _ = add_password(cli, sandbox_url, "bad", WRONG_PASSWORD, "--save-anyway")
    assert code == 0 and "saving anyway" in out
    assert "bad" in connections()["connections"]  # type: ignore[operator]
    code, out, _ = cli("connection", "test", "bad")
    assert code == 1 and "[FAIL] credentials" in out


def test_settings_that_cannot_work_are_refused_before_anything_is_sent(cli: Cli, sandbox_url: str) -> None:
    code, out, _ = cli("connection", "add", "x", "--url", "http://kintone.example.com", "--auth", "api_token",
                       "--secrets-stdin", stdin=f"api_token=2:{TOKEN}\n")  # fmt: skip
    assert code == 1 and "plain http://" in out and "nothing was saved" in out
    assert not (stored_home() / "connections.toml").exists()


def test_secrets_come_from_standard_input_or_a_file_never_the_command_line(
    cli: Cli, sandbox_url: str, tmp_path: Path
) -> None:
    with pytest.raises(SystemExit):
        cli("connection", "add", "x", "--url", sandbox_url, "--password", PASSWORD)
    code, _, err = cli("connection", "add", "x", "--url", sandbox_url, "--auth", "password", "--username", "a")
    assert code == 2 and "--secrets-stdin or --secrets-file" in err and "never on the command line" in err
    code, _, err = cli("connection", "add", "x", "--auth", "password")
    assert code == 2 and "Kintone address is needed: give --url" in err and "Nothing was saved" in err
    code, _, err = cli("connection", "add", "x", "--url", sandbox_url, "--auth", "password")
    assert code == 2 and "Login name is needed: give --username" in err
    code, _, err = cli("connection", "add", "x", "--url", sandbox_url, "--auth", "password", "--username", "a",
                       "--secrets-stdin", stdin=f"pasword={PASSWORD}\n")  # fmt: skip
    assert code == 2 and "line 1 is not NAME=VALUE" in err
    secrets = tmp_path / "secrets"
    secrets.write_text(f"# the deals app\napi_token = 2:{TOKEN}\n")
    code, out, _ = cli("connection", "add", "fromfile", "--url", sandbox_url, "--auth", "api_token",
                       "--secrets-file", str(secrets))  # fmt: skip
    assert code == 0, out
    assert not (stored_home() / "connections.toml").read_text().count(TOKEN)


def test_names_are_checked_and_never_overwritten(cli: Cli, sandbox_url: str) -> None:
    assert add_password(cli, sandbox_url)[0] == 0
    code, _, err = add_password(cli, sandbox_url)
    assert code == 2 and "already exists" in err and "connection edit prod" in err
    code, _, err = add_password(cli, sandbox_url, "../etc")
    assert code == 2 and "cannot be a connection name" in err


@pytest.mark.parametrize("store", ["file", "keyring"])
def test_a_server_started_with_the_connection_name_works(
    cli: Cli, sandbox_url: str, store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINTONE_")}
    if store == "keyring":
        # A keyring that outlives the process, as the OS keyring does: this process stores, the server reads.
        monkeypatch.setenv("TEST_KEYRING_FILE", str(tmp_path / "keychain.json"))
        previous = keyring.get_keyring()
        keyring.set_keyring(FileKeyring())
        env.update(PYTHON_KEYRING_BACKEND="tests.keyrings.FileKeyring",
                   TEST_KEYRING_FILE=str(tmp_path / "keychain.json"),
                   PYTHONPATH=str(Path(__file__).resolve().parents[2]))  # fmt: skip
    try:
        assert add_password(cli, sandbox_url)[0] == 0  # the default connection
        assert cli("connection", "add", "tokens", "--url", sandbox_url, "--auth", "api_token", "--secrets-stdin",
                   stdin=f"api_token=2:{TOKEN}\n")[0] == 0  # fmt: skip
        assert connections()["connections"]["tokens"]["secret_store"] == store  # type: ignore[index]
        assert cli("check", "--connection", "tokens")[0] == 0
    finally:
        if store == "keyring":
            keyring.set_keyring(previous)

    def server(**extra: str) -> StdioServerParameters:
        return StdioServerParameters(command=sys.executable, args=["-m", "kintone_mcp"], env={**env, **extra})

    async def use() -> None:
        async with Client(server(KINTONE_CONNECTION="tokens")) as mcp:
            assert (await call_ok(mcp, "get_records", app=2, limit=2))["returned"] == 2
            assert "API token" in json.dumps(await call_ok(mcp, "test_connection"))
        async with Client(server()) as mcp:
            # Nothing named: the default connection, with its default app (the alias deals) and its stored password.
            assert (await call_ok(mcp, "get_records", limit=2))["returned"] == 2
            assert "password of user 'Administrator'" in json.dumps(await call_ok(mcp, "test_connection"))

    anyio.run(use)


def test_a_user_api_connection_and_tokens_beside_app_tokens(cli: Cli, sandbox_url: str) -> None:
    code, out, _ = cli("connection", "add", "people", "--url", sandbox_url, "--api", "user", "--secrets-stdin",
                       stdin=f"user_api_token={USER_API_TOKEN}\n")  # fmt: skip
    assert code == 0 and "[ok  ] user_api" in out, out
    assert connections()["connections"]["people"] == {"base_url": sandbox_url, "secret_store": "file"}  # type: ignore[index]
    assert "user_api" in cli("connection", "list")[1]
    code, out, _ = cli("connection", "add", "both", "--url", sandbox_url, "--auth", "api_token",
                       "--user-api-token", "yes", "--secrets-stdin",
                       stdin=f"api_token=2:{TOKEN}\nuser_api_token={USER_API_TOKEN}\n")  # fmt: skip
    assert code == 0 and "[ok  ] user_api" in out and "[ok  ] credentials" in out, out


def test_a_passphrase_from_the_environment_encrypts_the_secrets(
    cli: Cli, sandbox_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KINTONE_SECRETS_PASSPHRASE", PASSPHRASE)
    code, out, _ = add_password(cli, sandbox_url)
    assert code == 0 and "key from a passphrase" in out
    assert not (stored_home() / "secrets.key").exists()
    assert PASSPHRASE.encode() not in stored_bytes() and PASSWORD.encode() not in stored_bytes()
    assert cli("connection", "test", "prod")[0] == 0
    monkeypatch.delenv("KINTONE_SECRETS_PASSPHRASE")
    code, _, err = cli("connection", "test", "prod")
    assert code == 1 and "encrypted with a passphrase: set KINTONE_SECRETS_PASSPHRASE" in err


def test_edit_replaces_damaged_secrets_and_moves_them_between_stores(cli: Cli, sandbox_url: str) -> None:
    assert add_password(cli, sandbox_url)[0] == 0
    secrets_file = stored_home() / "secrets" / "prod.secrets"
    secrets_file.write_bytes(secrets_file.read_bytes().replace(b'"ciphertext": "', b'"ciphertext": "AAAA'))
    code, _, err = cli("connection", "test", "prod")
    assert code == 1 and "fail their integrity check" in err
    code, out, _ = cli("connection", "edit", "prod", "--secrets-stdin", stdin=f"password={PASSWORD}\n")
    assert code == 0 and "cannot be used" in out, out
    assert cli("connection", "test", "prod")[0] == 0
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        code, out, _ = cli("connection", "edit", "prod", "--secret-store", "keyring")
        assert code == 0, out
        assert not secrets_file.exists() and connections()["connections"]["prod"]["secret_store"] == "keyring"  # type: ignore[index]
        assert json.loads(keyring.get_keyring().get_password(KEYRING_SERVICE, "prod")) == {"password": PASSWORD}
        assert cli("connection", "test", "prod")[0] == 0
    finally:
        keyring.set_keyring(previous)
