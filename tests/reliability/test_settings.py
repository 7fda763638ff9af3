"""The reliability and transport settings: KINTONE_TIMEOUT, _CONNECT_TIMEOUT, _TOTAL_TIMEOUT, _RETRIES,
_MAX_CONCURRENCY, KINTONE_MCP_HTTP_TOKEN(_FILE), KINTONE_MCP_HTTP_MAX_BODY and KINTONE_DOWNLOAD_DIR: parsing, the
TOML file, precedence, every refusal, and what build_client and the server make of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2
import pytest

from kintone_mcp.client import BackoffRetry
from kintone_mcp.connect import build_client
from kintone_mcp.server.launch import http_token, options_from_settings
from kintone_mcp.settings import ConfigurationError, Settings, load_settings

BASE = {"KINTONE_BASE_URL": "https://example.cybozu.com", "KINTONE_API_TOKEN": "2:tokentokentoken"}
TOKEN = "a-long-random-http-token-0123456789"


def problems_of(env: dict[str, str], cli: dict[str, Any] | None = None) -> list[str]:
    with pytest.raises(ConfigurationError) as info:
        load_settings(cli, {**BASE, **env})
    return info.value.problems


def test_defaults() -> None:
    s = load_settings(env=BASE)
    assert (s.timeout, s.connect_timeout, s.total_timeout) == (60.0, 10.0, 120.0)
    assert (s.retries, s.max_concurrency, s.mcp_http_max_body) == (3, 10, 1024 * 1024)
    assert s.mcp_http_token is None and s.download_dir is None


def test_environment_values(tmp_path: Path) -> None:
    s = load_settings(
        env={
            **BASE,
            "KINTONE_TIMEOUT": "30",
            "KINTONE_CONNECT_TIMEOUT": "2.5",
            "KINTONE_TOTAL_TIMEOUT": "90",
            "KINTONE_RETRIES": "5",
            "KINTONE_MAX_CONCURRENCY": "20",
            "KINTONE_MCP_HTTP_TOKEN": TOKEN,
            "KINTONE_MCP_HTTP_MAX_BODY": "4096",
            "KINTONE_DOWNLOAD_DIR": str(tmp_path),
        }
    )
    assert (s.timeout, s.connect_timeout, s.total_timeout, s.retries, s.max_concurrency) == (30, 2.5, 90, 5, 20)
    assert s.mcp_http_token is not None and s.mcp_http_token.get_secret_value() == TOKEN
    assert s.mcp_http_max_body == 4096 and s.download_dir == tmp_path.resolve()
    assert TOKEN not in repr(s)


def test_the_http_token_from_a_file(tmp_path: Path) -> None:
    (tmp_path / "token").write_text(TOKEN + "\n")
    s = load_settings(env={**BASE, "KINTONE_MCP_HTTP_TOKEN_FILE": str(tmp_path / "token")})
    assert s.mcp_http_token is not None and s.mcp_http_token.get_secret_value() == TOKEN


def test_a_toml_connection_and_precedence(tmp_path: Path) -> None:
    (tmp_path / "downloads").mkdir()
    config = tmp_path / "kintone.toml"
    config.write_text(
        '[connections.main]\nbase_url = "https://example.cybozu.com"\napi_token = "tok"\ntimeout = 20\n'
        'retries = 0\nmax_concurrency = 4\ndownload_dir = "downloads"\nmcp_http_token_file = "token"\n',
        encoding="utf-8",
    )
    (tmp_path / "token").write_text(TOKEN)
    s = load_settings(env={"KINTONE_CONFIG": str(config), "KINTONE_MAX_CONCURRENCY": "6"})
    assert (s.timeout, s.retries, s.max_concurrency) == (20, 0, 6)  # the environment wins over the file
    assert s.download_dir == (tmp_path / "downloads").resolve()  # relative to the file
    assert s.mcp_http_token is not None and s.mcp_http_token.get_secret_value() == TOKEN
    assert load_settings({"retries": 2}, {"KINTONE_CONFIG": str(config)}).retries == 2  # flags win


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"KINTONE_TIMEOUT": "0"}, "KINTONE_TIMEOUT must be a number from 0.1 to 86400, got '0'"),
        ({"KINTONE_TIMEOUT": "soon"}, "KINTONE_TIMEOUT must be a number"),
        ({"KINTONE_TIMEOUT": "nan"}, "KINTONE_TIMEOUT must be a number"),
        ({"KINTONE_CONNECT_TIMEOUT": "-1"}, "KINTONE_CONNECT_TIMEOUT must be a number from 0.1"),
        ({"KINTONE_TOTAL_TIMEOUT": "inf"}, "KINTONE_TOTAL_TIMEOUT must be a number"),
        ({"KINTONE_RETRIES": "many"}, "KINTONE_RETRIES must be a whole number from 0 to 10, got 'many'"),
        ({"KINTONE_RETRIES": "11"}, "KINTONE_RETRIES must be a whole number from 0 to 10"),
        ({"KINTONE_RETRIES": "1.5"}, "KINTONE_RETRIES must be a whole number"),
        ({"KINTONE_MAX_CONCURRENCY": "100"}, "KINTONE_MAX_CONCURRENCY must be a whole number from 1 to 99"),
        ({"KINTONE_MAX_CONCURRENCY": "0"}, "Kintone allows 100 concurrent requests per domain"),
        ({"KINTONE_MCP_HTTP_MAX_BODY": "10"}, "KINTONE_MCP_HTTP_MAX_BODY must be a whole number from 1024"),
        ({"KINTONE_TIMEOUT": "60", "KINTONE_TOTAL_TIMEOUT": "30"}, "cannot be shorter than KINTONE_TIMEOUT (60 s)"),
        ({"KINTONE_DOWNLOAD_DIR": "/no/such/folder"}, "KINTONE_DOWNLOAD_DIR points at /no/such/folder"),
        ({"KINTONE_MCP_HTTP_TOKEN": "short-tok"}, "KINTONE_MCP_HTTP_TOKEN must be at least 16 characters"),
        ({"KINTONE_MCP_HTTP_TOKEN": "has spaces in the token"}, "without spaces"),
    ],
)
def test_refusals_name_the_setting(env: dict[str, str], problem: str) -> None:
    problems = problems_of(env)
    assert any(problem in p for p in problems), problems
    assert not any("short-tok" in p or "has spaces in" in p for p in problems)  # a token is never echoed


def test_every_problem_is_reported_at_once() -> None:
    problems = problems_of({"KINTONE_TIMEOUT": "x", "KINTONE_RETRIES": "x", "KINTONE_MAX_CONCURRENCY": "x"})
    assert len(problems) == 3


@pytest.mark.anyio
async def test_build_client_uses_them() -> None:
    settings = load_settings(
        env={
            **BASE,
            "KINTONE_TIMEOUT": "30",
            "KINTONE_CONNECT_TIMEOUT": "4",
            "KINTONE_TOTAL_TIMEOUT": "45",
            "KINTONE_RETRIES": "6",
            "KINTONE_MAX_CONCURRENCY": "12",
        }
    )
    async with build_client(settings, transport=httpx2.MockTransport(lambda r: httpx2.Response(200))) as client:
        conn = client._conn
        assert conn.attempt_timeout == 30 and conn._http.timeout.connect == 4 and conn._http.timeout.read == 30
        assert conn.concurrency == (0, 12)
        policy = client.retry_policy
        assert isinstance(policy, BackoffRetry) and (policy.retries, policy.total_timeout) == (6, 45)


def test_the_server_takes_the_download_folder_and_token_with_flags_winning(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    settings: Settings = load_settings(
        env={**BASE, "KINTONE_DOWNLOAD_DIR": str(tmp_path / "a"), "KINTONE_MCP_HTTP_TOKEN": TOKEN}
    )
    assert options_from_settings(settings).download_dir == (tmp_path / "a").resolve()
    assert options_from_settings(settings, download_dir=tmp_path / "b").download_dir == (tmp_path / "b").resolve()
    assert http_token(settings, None) == TOKEN
    assert http_token(settings, "from-the-flag-file-0000") == "from-the-flag-file-0000"
    assert http_token(load_settings(env=BASE), None) is None
