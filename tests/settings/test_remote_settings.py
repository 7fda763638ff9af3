"""The remote mode's settings refuse to start without TLS (or a TLS proxy) and a public URL, except on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest

from kintone_mcp.server.remote.sealing import KeyConfigError, new_key_text, parse_keys
from kintone_mcp.settings.remote import RemoteSettingsError, load_remote_settings

KEYS = new_key_text("k1")


def load(host: str = "127.0.0.1", **flags: object) -> object:
    return load_remote_settings({"remote_keys": KEYS, **flags}, env={}, host=host)


def problems(host: str = "127.0.0.1", **flags: object) -> str:
    with pytest.raises(RemoteSettingsError) as caught:
        load(host, **flags)
    assert KEYS.split(":", 1)[1] not in str(caught.value)
    return str(caught.value)


def test_plain_http_only_on_loopback_both_ways() -> None:
    assert load(public_url="http://127.0.0.1:8000").resource == "http://127.0.0.1:8000/mcp"  # type: ignore[attr-defined]
    assert "loopback" in problems("0.0.0.0", public_url="http://127.0.0.1:8000")
    assert "plain http" in problems("127.0.0.1", public_url="http://mcp.example.com")


def test_a_public_address_needs_tls_or_the_proxy_flag(tmp_path: Path) -> None:
    assert "refusing to start without TLS" in problems("0.0.0.0", public_url="https://mcp.example.com")
    assert load("0.0.0.0", public_url="https://mcp.example.com", behind_tls_proxy=True)
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    assert load("0.0.0.0", public_url="https://mcp.example.com", tls_cert=cert, tls_key=key)
    assert "go together" in problems("0.0.0.0", public_url="https://mcp.example.com", tls_cert=cert)
    assert "exclude each other" in problems(
        "0.0.0.0", public_url="https://mcp.example.com", tls_cert=cert, tls_key=key, behind_tls_proxy=True)


def test_public_url_keys_and_lifetimes_are_checked() -> None:
    assert "KINTONE_MCP_PUBLIC_URL" in problems()
    assert "origin" in problems(public_url="https://mcp.example.com/mcp")
    with pytest.raises(RemoteSettingsError, match="KINTONE_MCP_REMOTE_KEYS"):
        load_remote_settings({"public_url": "http://127.0.0.1:1"}, env={})
    assert "between" in problems(public_url="http://127.0.0.1:1", access_token_ttl=10**9)
    assert "between" in problems(public_url="http://127.0.0.1:1", code_ttl=3600)
    env = {"KINTONE_MCP_PUBLIC_URL": "https://mcp.example.com", "KINTONE_MCP_BEHIND_TLS_PROXY": "1",
           "KINTONE_MCP_REMOTE_KEYS": KEYS, "KINTONE_MCP_CODE_TTL": "30"}
    settings = load_remote_settings(env=env, host="0.0.0.0")
    assert settings.code_ttl == 30 and settings.behind_tls_proxy
    assert KEYS not in repr(settings)


def test_key_lists() -> None:
    keys = parse_keys(f"{new_key_text('new')},{KEYS}")
    assert [k.kid for k in keys] == ["new", "k1"] and "secret='***'" in repr(keys[0])
    for bad, match in (("k1", "KID:BASE64URL"), ("k1:AAAA", "32"), (f"{KEYS},{KEYS}", "twice"), ("", "no key")):
        with pytest.raises(KeyConfigError, match=match):
            parse_keys(bad)
