"""``kintone-mcp serve --auth kintone-oauth`` refuses an unsafe or incomplete configuration before listening."""

from __future__ import annotations

import pytest

from kintone_mcp.commands.main import main
from kintone_mcp.server.remote.sealing import new_key_text

KEYS = new_key_text("k1")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"KINTONE_BASE_URL": "https://example.cybozu.com", "KINTONE_AUTH_TYPE": "oauth",
                        "KINTONE_OAUTH_CLIENT_ID": "team", "KINTONE_OAUTH_CLIENT_SECRET": "s" * 24,
                        "KINTONE_MCP_REMOTE_KEYS": KEYS}.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--host", "0.0.0.0", "--public-url", "https://mcp.example.com"], "refusing to start without TLS"),
        (["--host", "0.0.0.0", "--public-url", "http://mcp.example.com", "--behind-tls-proxy"], "plain http"),
        (["--host", "127.0.0.1"], "KINTONE_MCP_PUBLIC_URL"),
        (["--public-url", "http://127.0.0.1:8000", "--http-token-file", "/nonexistent"], "neither"),
    ],
)
def test_refused_before_listening(env: None, argv: list[str], said: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--transport", "http", "--auth", "kintone-oauth", *argv]) == 2
    err = capsys.readouterr().err
    assert said in err and KEYS.split(":", 1)[1] not in err and "s" * 24 not in err


def test_needs_http_and_the_kintone_oauth_client(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--auth", "kintone-oauth"]) == 2
    assert "--transport http" in capsys.readouterr().err
    monkeypatch.setenv("KINTONE_BASE_URL", "https://example.cybozu.com")
    monkeypatch.setenv("KINTONE_USERNAME", "sato")
    monkeypatch.setenv("KINTONE_PASSWORD", "p" * 20)
    monkeypatch.setenv("KINTONE_MCP_REMOTE_KEYS", KEYS)
    assert main(["serve", "--transport", "http", "--auth", "kintone-oauth", "--public-url",
                 "http://127.0.0.1:8000"]) == 2
    assert "KINTONE_OAUTH_CLIENT_ID" in capsys.readouterr().err
