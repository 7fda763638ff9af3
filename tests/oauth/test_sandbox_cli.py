"""``kintone-mcp sandbox --oauth-client``: parsing, registration and what the start-up text says."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kintone_mcp.commands.main import build_parser
from kintone_mcp.commands.sandbox import banner, build_config
from kintone_mcp.sandbox import Sandbox
from kintone_mcp.sandbox.access.oauthclients import DEFAULT_REDIRECT_URI, DEMO_CLIENT_ID, OAuthClientSpec
from kintone_mcp.sandbox.access.oauthstore import find_client


def test_oauth_options_reach_the_config() -> None:
    args = build_parser().parse_args([
        "sandbox", "--oauth-client", "cli:s3cret:http://localhost:9999/cb?x=1",
        "--oauth-client", "two:pw:https://example.com/oauth", "--oauth-token-lifetime", "120",
        "--oauth-refresh-rotation", "rotate",
    ])
    config = build_config(args)
    assert config.oauth.clients == [
        OAuthClientSpec("cli", "s3cret", "http://localhost:9999/cb?x=1"),
        OAuthClientSpec("two", "pw", "https://example.com/oauth"),
    ]
    assert config.oauth.access_token_lifetime == timedelta(seconds=120)
    assert config.oauth.refresh_rotation == "rotate"


def test_defaults_register_no_extra_client() -> None:
    config = build_config(build_parser().parse_args(["sandbox"]))
    assert config.oauth.clients == []
    assert config.oauth.access_token_lifetime == timedelta(hours=1)


@pytest.mark.parametrize(
    "value", ["onlyid", "id:secret", "id::http://x/cb", ":s:http://x/cb", "id:s:ftp://x/cb", "id:s:http://x/cb#frag"]
)
def test_bad_oauth_client_values_exit_with_usage(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["sandbox", "--oauth-client", value])
    assert exited.value.code == 2
    assert "--oauth-client" in capsys.readouterr().err


def test_the_banner_prints_the_demo_client_and_the_registered_ones() -> None:
    config = build_config(build_parser().parse_args(["sandbox", "--demo-records", "5", "--oauth-client",
                                                     "mine:my-secret:http://127.0.0.1:7000/cb"]))
    sb = Sandbox(config)
    lines = "\n".join(banner(sb, "http://127.0.0.1:8787", config, fresh=True))
    with sb.store.reading() as conn:
        demo = find_client(conn, DEMO_CLIENT_ID)
        mine = find_client(conn, "mine")
    assert demo is not None and mine is not None
    assert demo.redirect_uri == DEFAULT_REDIRECT_URI
    assert f"client {DEMO_CLIENT_ID}  secret {demo.client_secret}  redirect {DEFAULT_REDIRECT_URI}  (demo)" in lines
    assert "client mine  secret my-secret  redirect http://127.0.0.1:7000/cb" in lines
    assert "http://127.0.0.1:8787/oauth2/authorization" in lines and "http://127.0.0.1:8787/oauth2/token" in lines
    assert "kintone-mcp auth login" in lines


def test_an_empty_sandbox_has_no_demo_client() -> None:
    config = build_config(build_parser().parse_args(["sandbox", "--empty"]))
    sb = Sandbox(config)
    assert "OAuth" not in "\n".join(banner(sb, "http://127.0.0.1:1", config, fresh=True))
    with sb.store.reading() as conn:
        assert find_client(conn, DEMO_CLIENT_ID) is None


def test_the_demo_client_is_the_same_for_the_same_seed() -> None:
    secrets = []
    for _ in range(2):
        sb = Sandbox(build_config(build_parser().parse_args(["sandbox", "--demo-records", "1"])))
        with sb.store.reading() as conn:
            client = find_client(conn, DEMO_CLIENT_ID)
        assert client is not None
        secrets.append(client.client_secret)
    assert secrets[0] == secrets[1] and len(secrets[0]) == 32
