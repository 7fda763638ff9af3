"""``kintone-mcp connection add`` and ``edit`` at a real terminal: a pseudo-terminal (the ``pty`` module) runs the
command as a user would, types the answers, and reads everything the terminal shows. Secrets typed are never
echoed; a failed check saves nothing; Ctrl-C at any question leaves nothing behind, not even a temporary file."""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kintone_mcp.sandbox import serve_in_thread
from kintone_mcp.settings.store import encrypted_file_store
from tests.commands.sandboxes import PASSWORD, WRONG_PASSWORD, assert_no_canary, canary_sandbox

pytestmark = [pytest.mark.socket, pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX terminal")]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    sandbox = canary_sandbox()
    with serve_in_thread(sandbox) as url:
        yield url
    sandbox.close()


class Terminal:
    """``kintone-mcp ARGS`` on a new pseudo-terminal, which is its controlling terminal (so ``getpass`` uses it and
    Ctrl-C sends SIGINT, as at a real one)."""

    def __init__(self, home: Path, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KINTONE_")}
        env.update(XDG_CONFIG_HOME=str(home), TERM="dumb", COLUMNS="200", PYTHONPATH=str(ROOT))
        pid, fd = pty.fork()
        if pid == 0:  # the child: the pty is already its stdin, stdout, stderr and controlling terminal
            # As a shell does for a job in the foreground: Ctrl-C interrupts it even when the test runner was started
            # in the background (where SIGINT is ignored, and an ignored signal stays ignored across exec).
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
            os.execve(sys.executable, [sys.executable, "-m", "kintone_mcp", *args], env)
        self.pid, self.fd = pid, fd
        self.screen = ""
        self.code: int | None = None

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 4096)
        except OSError:  # the child closed the terminal
            data = b""
        if not data:
            raise EOFError
        self.screen += data.decode("utf-8", "replace")
        return True

    def expect(self, pattern: str, timeout: float = 30) -> None:
        """Waits until the screen, since the last answer, shows ``pattern``."""
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.screen[self._mark :]):
            try:
                if not self._read(max(0.0, deadline - time.monotonic())) and time.monotonic() > deadline:
                    raise AssertionError(f"the terminal never showed {pattern!r}; it shows:\n{self.screen[-1500:]}")
            except EOFError:
                raise AssertionError(f"the command ended before showing {pattern!r}:\n{self.screen[-1500:]}") from None

    _mark = 0

    def type(self, text: str) -> None:
        self._mark = len(self.screen)
        os.write(self.fd, text.encode())

    def answer(self, prompt: str, text: str) -> None:
        self.expect(prompt)
        self.type(text + "\r")

    def interrupt(self) -> None:
        """Ctrl-C once the command waits for the answer, as a person would press it.

        Python raises KeyboardInterrupt when a blocked read is interrupted; a SIGINT that arrives after the prompt is
        written but before the read begins is only noticed once the read returns (a person would press Ctrl-C
        again). So wait until the process sleeps in its read; without /proc, give it a moment.
        """
        stat = Path(f"/proc/{self.pid}/stat")
        if stat.exists():
            deadline, asleep = time.monotonic() + 10, 0
            while asleep < 3 and time.monotonic() < deadline:
                state = stat.read_text().rsplit(")", 1)[1].split()[0]
                asleep = asleep + 1 if state == "S" else 0
                time.sleep(0.02)
        else:
            time.sleep(0.5)
        self._mark = len(self.screen)
        os.write(self.fd, b"\x03")  # the terminal's intr character: SIGINT to the foreground process

    def finish(self, timeout: float = 60) -> int:
        """Reads the rest of the screen and the exit code (the child is killed if it has not ended by then)."""
        deadline = time.monotonic() + timeout
        status: int | None = None
        while time.monotonic() < deadline and status is None:
            with contextlib.suppress(EOFError):
                self._read(0.2)
            done, code = os.waitpid(self.pid, os.WNOHANG)
            if done:
                status = code
        if status is None:
            os.kill(self.pid, signal.SIGKILL)
            _, status = os.waitpid(self.pid, 0)
        with contextlib.suppress(EOFError, OSError):
            while self._read(0.1):
                pass
        os.close(self.fd)
        self.code = os.waitstatus_to_exitcode(status)
        return self.code


def files_under(home: Path) -> list[str]:
    return sorted(str(p.relative_to(home)) for p in home.rglob("*")) if home.exists() else []


def start_add(home: Path, url: str, password: str) -> Terminal:
    """Answers every question of `connection add` up to the check."""
    t = Terminal(home, "connection", "add")
    t.answer(r"Connection name \[default\]: ", "prod")
    t.answer(r"Kintone address .*: ", url)
    t.expect(r"rest: apps and records")
    t.answer(r"API \(rest/user\) \[rest\]: ", "")
    t.answer(r"Authentication \(password/api_token/oauth\) \[api_token\]: ", "pass")  # a unique prefix will do
    t.answer(r"Login name: ", "Administrator")
    t.answer(r"Password: ", password)
    t.answer(r"Basic authentication gate .*\[y/N\]: ", "")
    t.answer(r"App aliases .*: ", "deals=2")
    t.answer(r"Default app .*: ", "deals")
    t.answer(r"Guest space id .*: ", "")
    t.answer(r"client certificate .*\[y/N\]: ", "n")
    return t


def test_adding_at_the_terminal_never_echoes_the_secret_and_saves_after_the_check(
    tmp_path: Path, sandbox_url: str
) -> None:
    home = tmp_path / "config"
    t = start_add(home, sandbox_url, PASSWORD)
    t.expect(r"Saved connection 'prod' \(the default\)")
    assert t.finish() == 0
    assert "[ok  ] credentials: accepted (password)" in t.screen
    # What was typed in the open shows (the terminal echoes it), the password does not.
    assert "Administrator" in t.screen and "deals=2" in t.screen
    assert_no_canary(t.screen)
    connections = home / "kintone-mcp" / "connections.toml"
    assert_no_canary(connections.read_text())
    assert encrypted_file_store(connections, {}).load("prod") == {"password": PASSWORD}

    # Editing: Enter keeps every value shown, the password included.
    e = Terminal(home, "connection", "edit", "prod")
    e.answer(rf"Kintone address .*\[{re.escape(sandbox_url)}\]: ", "")
    e.answer(r"API .*\[rest\]: ", "")
    e.answer(r"Authentication .*\[password\]: ", "")
    e.answer(r"Login name \[Administrator\]: ", "")
    e.answer(r"Password \(Enter keeps the stored one\): ", "")
    e.answer(r"Basic authentication gate .*\[y/N\]: ", "")
    e.answer(r"App aliases .*\[deals=2\]: ", "deals=2,customers=1")
    e.answer(r"Default app .*\[deals\]: ", "")
    e.answer(r"Guest space id .*: ", "")
    e.answer(r"client certificate .*\[y/N\]: ", "")
    e.expect(r"Saved connection 'prod'\.")
    assert e.finish() == 0
    assert "customers = 1" in connections.read_text()
    assert encrypted_file_store(connections, {}).load("prod") == {"password": PASSWORD}
    assert_no_canary(e.screen)


def test_a_failed_check_at_the_terminal_saves_nothing(tmp_path: Path, sandbox_url: str) -> None:
    home = tmp_path / "config"
    t = start_add(home, sandbox_url, WRONG_PASSWORD)
    t.expect(r"\[FAIL\] credentials")
    t.answer(r"The check failed\. Save anyway\? \[y/N\]: ", "")
    t.expect("nothing was saved")
    assert t.finish() == 1
    assert_no_canary(t.screen)
    assert files_under(home) == []


@pytest.mark.parametrize("where", ["name", "password", "last question"])
def test_ctrl_c_at_any_question_leaves_nothing_behind(tmp_path: Path, sandbox_url: str, where: str) -> None:
    home = tmp_path / "config"
    t = Terminal(home, "connection", "add")
    t.expect(r"Connection name \[default\]: ")
    if where != "name":
        t.type("prod\r")
        t.answer(r"Kintone address .*: ", sandbox_url)
        t.answer(r"API .*: ", "")
        t.answer(r"Authentication .*: ", "password")
        t.answer(r"Login name: ", "Administrator")
        t.expect(r"Password: ")
        if where == "password":
            t.type(PASSWORD[:6])  # half a secret typed, then Ctrl-C
        else:
            t.type(PASSWORD + "\r")
            t.answer(r"Basic authentication gate .*: ", "")
            t.answer(r"App aliases .*: ", "")
            t.answer(r"Default app .*: ", "")
            t.answer(r"Guest space id .*: ", "")
            t.expect(r"client certificate .*\[y/N\]: ")
    t.interrupt()
    t.expect("Cancelled: nothing was saved")
    assert t.finish() == 130
    assert files_under(home) == []
    assert_no_canary(t.screen)
    assert PASSWORD[:6] not in t.screen


def test_ctrl_c_while_editing_leaves_the_connection_as_it_was(tmp_path: Path, sandbox_url: str) -> None:
    home = tmp_path / "config"
    t = start_add(home, sandbox_url, PASSWORD)
    t.expect("Saved connection")
    assert t.finish() == 0
    before = {p: (home / p).read_bytes() for p in files_under(home) if (home / p).is_file()}
    e = Terminal(home, "connection", "edit", "prod")
    e.answer(r"Kintone address .*: ", "https://changed.example.com")
    e.answer(r"API .*: ", "")
    e.answer(r"Authentication .*: ", "api_token")
    e.expect(r"API token\(s\).*: ")
    e.interrupt()
    e.expect("Cancelled: nothing was saved")
    assert e.finish() == 130
    after = {p: (home / p).read_bytes() for p in files_under(home) if (home / p).is_file()}
    assert after == before
