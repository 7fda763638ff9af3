"""``kintone-mcp auth``: the whole sign-in over real sockets (a real process, the sandbox on a port, the test as
the browser following the redirect to the loopback listener), then status, the server using the tokens, logout.
Canary values for the client secret and the tokens must never appear in any output."""

from __future__ import annotations

import os
import queue
import re
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import pytest

from kintone_mcp.auth.token_store import FileTokenStore
from kintone_mcp.commands.main import main
from kintone_mcp.connect import build_client
from kintone_mcp.sandbox import Sandbox, SandboxConfig, serve_in_thread
from kintone_mcp.sandbox.access.oauthclients import OAuthClientSpec, OAuthConfig
from kintone_mcp.settings import load_settings
from tests.oauth.browser import form_fields

pytestmark = pytest.mark.socket

CANARY_SECRET = "CANARY-cli-client-secret-93c1"
SCOPES = "k:app_record:read k:app_settings:read"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class World:
    base_url: str
    redirect_uri: str
    env: dict[str, str]
    store_dir: Path
    outputs: list[str] = field(default_factory=list)

    def tokens(self) -> list[str]:
        entry = FileTokenStore(self.store_dir).load("default")
        return [] if entry is None else [entry.access_token, entry.refresh_token or ""]

    def assert_no_secret_in_outputs(self) -> None:
        secrets = [CANARY_SECRET, *self.tokens()]
        for text in self.outputs:
            for secret in secrets:
                assert secret not in text, "a secret reached the output"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    port = free_port()
    redirect_uri = f"http://127.0.0.1:{port}/callback"
    sb = Sandbox(SandboxConfig(demo=True, demo_records=30,
                               oauth=OAuthConfig(clients=[OAuthClientSpec("cli", CANARY_SECRET, redirect_uri)])))
    with serve_in_thread(sb) as base_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KINTONE_") and k != "HTTPS_PROXY"}
        env.update(
            KINTONE_BASE_URL=base_url,
            KINTONE_OAUTH_CLIENT_ID="cli",
            KINTONE_OAUTH_CLIENT_SECRET=CANARY_SECRET,
            KINTONE_OAUTH_REDIRECT_URI=redirect_uri,
            KINTONE_OAUTH_SCOPES=SCOPES,
            KINTONE_OAUTH_TOKEN_STORE=str(tmp_path / "tokens"),
            HOME=str(tmp_path),
            XDG_CONFIG_HOME=str(tmp_path / "xdg"),
            # webbrowser runs `true URL`: no real browser starts; the test plays it.
            BROWSER="true",
        )
        yield World(base_url, redirect_uri, env, tmp_path / "tokens")
    sb.close()


class Process:
    """A kintone-mcp process whose stdout is read line by line without blocking the test forever."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kintone_mcp", *args], env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def wait_for(self, pattern: str, timeout: float = 20) -> str:
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                self.proc.kill()
                assert self.proc.stderr is not None
                raise AssertionError(
                    f"no line matching {pattern!r}; saw {self.seen}; stderr {self.proc.stderr.read()}"
                ) from None
            self.seen.append(line)
            if re.search(pattern, line):
                return line

    def finish(self, timeout: float = 30) -> tuple[int, str, str]:
        assert self.proc.stderr is not None
        code = self.proc.wait(timeout=timeout)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return code, "".join(self.seen), self.proc.stderr.read()


def approve_in_browser(authorization_url: str, *, action: str = "approve") -> str:
    """GET the consent page, POST its form as sato; returns where Kintone redirects the browser."""
    with httpx2.Client() as browser:
        page = browser.get(authorization_url)
        assert page.status_code == 200
        fields = form_fields(page.text)
        fields.update(username="sato", password="sandbox", action=action)
        answer = browser.post(str(page.url.join("/oauth2/authorization")), data=fields)
        assert answer.status_code == 302, answer.text
        return answer.headers["location"]


def test_login_with_the_loopback_listener_then_status_server_check_and_logout(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    login = Process(["auth", "login", "--user", "sato", "--timeout", "30"], world.env)
    url = login.wait_for(r"/oauth2/authorization\?").strip()
    login.wait_for("Waiting for the redirect")
    location = approve_in_browser(url)
    assert location.startswith(world.redirect_uri + "?")
    with httpx2.Client() as browser:
        landing = browser.get(location)  # the browser follows the redirect to the CLI's listener
    assert landing.status_code == 200 and "Signed in" in landing.text
    code, out, err = login.finish()
    world.outputs += [out, err]
    assert code == 0, err
    assert "Signed in: connection default" in out and SCOPES in out

    entry = world.store_dir / "default.json"
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert len(world.tokens()) == 2 and all(world.tokens())

    for key, value in world.env.items():
        monkeypatch.setenv(key, value)
    assert main(["auth", "status"]) == 0
    status = capsys.readouterr()
    world.outputs += [status.out, status.err]
    assert "user: sato" in status.out
    assert f"scopes: {SCOPES}" in status.out
    assert "valid until" in status.out and "refresh token: stored" in status.out

    # The server side: the same settings give a client signed in with the stored tokens.
    import anyio

    async def use() -> int:
        async with build_client(load_settings()) as client:
            return len((await client.get_records(2, query="limit 3")).records)

    assert anyio.run(use) == 3

    assert main(["check"]) == 0
    check = capsys.readouterr()
    world.outputs += [check.out, check.err]
    assert "credentials" in check.out and "FAIL" not in check.out.split("user_api")[0]

    assert main(["auth", "logout"]) == 0
    logout = capsys.readouterr()
    world.outputs += [logout.out, logout.err]
    assert "Signed out" in logout.out
    assert not entry.exists()
    assert main(["auth", "status"]) == 1
    after = capsys.readouterr()
    assert "Not signed in. Run `kintone-mcp auth login`." in after.out
    assert main(["check"]) == 1
    failed_check = capsys.readouterr().out
    assert "kintone-mcp auth login" in failed_check
    world.outputs += [after.out, failed_check]
    world.assert_no_secret_in_outputs()


def test_no_browser_prints_the_url_and_takes_the_pasted_redirect(world: World, tmp_path: Path) -> None:
    # A named connection lives in a connections file; its tokens get their own entry.
    connections = tmp_path / "connections.toml"
    connections.write_text(f'[connections.other]\nbase_url = "https://other.example"\n\n'
                           f'[connections.pasted]\nbase_url = "{world.base_url}"\n')
    env = {**world.env, "KINTONE_CONFIG": str(connections)}
    del env["KINTONE_BASE_URL"]
    login = Process(["auth", "login", "--no-browser", "--connection", "pasted", "--timeout", "30"], env)
    url = login.wait_for(r"/oauth2/authorization\?").strip()
    login.wait_for("Paste the full address")
    location = approve_in_browser(url)
    assert login.proc.stdin is not None
    login.proc.stdin.write(location + "\n")
    login.proc.stdin.flush()
    code, out, err = login.finish()
    world.outputs += [out, err]
    assert code == 0, err
    assert "Signed in: connection pasted" in out
    assert FileTokenStore(world.store_dir).load("pasted") is not None
    world.assert_no_secret_in_outputs()


def test_denying_in_the_browser_fails_the_login_clearly(world: World) -> None:
    login = Process(["auth", "login", "--no-browser", "--timeout", "30"], world.env)
    url = login.wait_for(r"/oauth2/authorization\?").strip()
    location = approve_in_browser(url, action="deny")
    assert login.proc.stdin is not None
    login.proc.stdin.write(location + "\n")
    login.proc.stdin.flush()
    code, out, err = login.finish()
    world.outputs += [out, err]
    assert code == 1
    assert "denied" in err and "kintone-mcp auth login" in err
    assert not (world.store_dir / "default.json").exists()
    world.assert_no_secret_in_outputs()


def test_a_url_from_another_sign_in_is_refused(world: World) -> None:
    login = Process(["auth", "login", "--no-browser", "--timeout", "30"], world.env)
    login.wait_for(r"/oauth2/authorization\?")
    assert login.proc.stdin is not None
    login.proc.stdin.write(f"{world.redirect_uri}?code=stolen&state=not-this-one\n")
    login.proc.stdin.flush()
    code, _, err = login.finish()
    assert code == 1 and "state differs" in err


def test_auth_needs_an_oauth_connection(world: World, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    for key, value in world.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("KINTONE_OAUTH_CLIENT_ID")
    monkeypatch.delenv("KINTONE_OAUTH_CLIENT_SECRET")
    monkeypatch.setenv("KINTONE_USERNAME", "sato")
    monkeypatch.setenv("KINTONE_PASSWORD", "sandbox")
    assert main(["auth", "status"]) == 2
    assert "KINTONE_OAUTH_CLIENT_ID" in capsys.readouterr().err
