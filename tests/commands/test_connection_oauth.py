"""An OAuth connection made with ``kintone-mcp connection add``: it signs in before the check (the test plays the
browser), saves only when the check passes with that sign-in, and ``auth status`` / ``auth login`` / ``connection
remove`` then work on the same named connection. The client secret and the tokens never reach any output."""

from __future__ import annotations

import tomllib
from pathlib import Path

import httpx2
import pytest

from kintone_mcp.auth.token_store import FileTokenStore
from tests.oauth.test_cli import CANARY_SECRET, SCOPES, Process, World, approve_in_browser, world  # noqa: F401

pytestmark = pytest.mark.socket


def _env(w: World) -> dict[str, str]:
    # The OAuth client comes from the stored connection only; where tokens go is this machine's setting.
    env = {k: v for k, v in w.env.items() if not k.startswith("KINTONE_")}
    return {**env, "KINTONE_OAUTH_TOKEN_STORE": str(w.store_dir)}


def _add(w: World, *extra: str) -> Process:
    args = ["connection", "add", "sso", "--url", w.base_url, "--auth", "oauth", "--oauth-client-id", "cli",
            "--oauth-scopes", SCOPES, "--oauth-redirect-uri", w.redirect_uri, "--user-api-token", "no",
            "--secrets-stdin", *extra]  # fmt: skip
    process = Process(args, _env(w))
    assert process.proc.stdin is not None
    process.proc.stdin.write(f"oauth_client_secret={CANARY_SECRET}\n")
    process.proc.stdin.close()
    return process


def _tokens(w: World) -> list[str]:
    entry = FileTokenStore(w.store_dir).load("sso")
    return [] if entry is None else [entry.access_token, entry.refresh_token or ""]


def _no_secret(w: World, *texts: str) -> None:
    for text in texts:
        for secret in [CANARY_SECRET, *_tokens(w)]:
            assert secret not in text, "a secret reached the output"


def _connections(w: World) -> Path:
    return Path(w.env["XDG_CONFIG_HOME"]) / "kintone-mcp" / "connections.toml"


def test_adding_an_oauth_connection_signs_in_checks_and_attaches_the_sign_in_to_it(world: World) -> None:  # noqa: F811
    add = _add(world)
    url = add.wait_for(r"/oauth2/authorization\?").strip()
    add.wait_for("Waiting for the redirect")
    with httpx2.Client() as browser:
        assert browser.get(approve_in_browser(url)).status_code == 200
    code, out, err = add.finish()
    assert code == 0, out + err
    assert "[ok  ] credentials: accepted (oauth)" in out and "Saved connection 'sso'" in out
    assert len(_tokens(world)) == 2  # the sign-in is stored under the connection's name
    table = tomllib.loads(_connections(world).read_text())["connections"]["sso"]
    assert table["oauth_client_id"] == "cli" and table["auth_type"] == "oauth" and "oauth_client_secret" not in table
    _no_secret(world, out, err, _connections(world).read_text())

    status = Process(["auth", "status", "--connection", "sso"], _env(world))
    code, status_out, status_err = status.finish()
    assert code == 0 and "Connection: sso" in status_out and f"scopes: {SCOPES}" in status_out, status_out
    test = Process(["connection", "test", "sso"], _env(world))
    code, test_out, test_err = test.finish()
    assert code == 0 and "OK: Connected" in test_out, test_out
    # Editing another setting keeps the sign-in: no browser again, the client secret kept as well.
    edit = Process(["connection", "edit", "sso", "--no-input", "--app", "2"], _env(world))
    code, edit_out, edit_err = edit.finish()
    assert code == 0 and "Signing in" not in edit_out and "Saved connection 'sso'" in edit_out, edit_out + edit_err
    assert tomllib.loads(_connections(world).read_text())["connections"]["sso"]["app_id"] == 2
    _no_secret(world, edit_out, edit_err)
    _no_secret(world, status_out, status_err, test_out, test_err)

    remove = Process(["connection", "remove", "sso", "--yes"], _env(world))
    code, remove_out, remove_err = remove.finish()
    assert code == 0 and "its secrets and its OAuth sign-in" in remove_out, remove_out + remove_err
    assert _tokens(world) == []


def test_a_refused_sign_in_saves_nothing_and_keeps_no_tokens(world: World) -> None:  # noqa: F811
    add = _add(world)
    url = add.wait_for(r"/oauth2/authorization\?").strip()
    with httpx2.Client() as browser:
        browser.get(approve_in_browser(url, action="deny"))
    code, out, err = add.finish()
    assert code == 1 and "nothing was saved" in out, out + err
    assert not _connections(world).exists() and _tokens(world) == []
    _no_secret(world, out, err)


def test_without_signing_in_it_is_saved_only_when_asked_and_auth_login_attaches_later(world: World) -> None:  # noqa: F811
    code, out, err = _add(world, "--no-sign-in").finish()
    assert code == 1 and "auth login" in out and not _connections(world).exists(), out + err
    code, out, err = _add(world, "--no-sign-in", "--save-anyway").finish()
    assert code == 0 and "saving anyway" in out, out + err
    login = Process(["auth", "login", "--connection", "sso", "--timeout", "30"], _env(world))
    url = login.wait_for(r"/oauth2/authorization\?").strip()
    login.wait_for("Waiting for the redirect")
    with httpx2.Client() as browser:
        browser.get(approve_in_browser(url))
    code, login_out, login_err = login.finish()
    assert code == 0 and "Signed in: connection sso" in login_out, login_out + login_err
    assert len(_tokens(world)) == 2
    code, test_out, _ = Process(["connection", "test", "sso"], _env(world)).finish()
    assert code == 0, test_out
    _no_secret(world, out, err, login_out, login_err, test_out)
