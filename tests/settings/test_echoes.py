"""What a configuration problem may quote (issue 17, items 8 and 15): never a URL's user and password, never a whole
value that may be a secret pasted into the wrong setting; and an allow list that lists nothing refuses to start."""

from __future__ import annotations

import pytest

from kintone_mcp.commands.main import main
from kintone_mcp.server.policy import Policy, PolicyConfigError
from kintone_mcp.settings import load_settings
from tests.settings.helpers import PASSWORD, problems_of

SECRET = "canary-9d2f7e61b4"


def _clean_env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("KINTONE_") or key.upper() in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)


@pytest.mark.parametrize(
    "url",
    [
        f"ftp://u:{SECRET}@example.com",
        f"https://u:{SECRET}@host:abc",
        f"https://u:{SECRET}@example.cybozu.com/k/",
        f"u:{SECRET}@example.cybozu.com",
        f"https://u:{SECRET}/x@example.cybozu.com?",
    ],
)
def test_a_malformed_base_url_is_never_quoted_with_its_password(url: str) -> None:
    problems = problems_of(env={**PASSWORD, "KINTONE_BASE_URL": url})
    assert problems and not any(SECRET in p or SECRET[:8] in p for p in problems), problems
    assert any("KINTONE_BASE_URL" in p for p in problems)


@pytest.mark.parametrize(
    "setting",
    ["KINTONE_READ_ONLY", "KINTONE_TIMEOUT", "KINTONE_RETRIES", "KINTONE_APP_ID", "KINTONE_GUEST_SPACE_ID",
     "KINTONE_AUTH_TYPE", "KINTONE_APP_ALIASES", "KINTONE_MCP_HTTP_MAX_SESSIONS", "KINTONE_DOWNLOAD_MAX_BYTES"],
)  # fmt: skip
def test_a_secret_pasted_into_another_setting_is_quoted_only_masked(setting: str) -> None:
    problems = problems_of(env={**PASSWORD, setting: SECRET})
    [problem] = [p for p in problems if setting in p]
    assert SECRET not in problem and "not shown" in problem, problem


def test_short_wrong_values_are_still_quoted_whole() -> None:
    assert any("'maybe'" in p for p in problems_of(env={**PASSWORD, "KINTONE_READ_ONLY": "maybe"}))


@pytest.mark.parametrize("command", [["check"], ["serve"]])
def test_check_and_serve_never_print_the_url_password(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _clean_env(monkeypatch, {**PASSWORD, "KINTONE_BASE_URL": f"ftp://u:{SECRET}@example.com"})
    assert main(command) in (1, 2)
    out = capsys.readouterr()
    assert "KINTONE_BASE_URL" in out.err and SECRET not in out.out + out.err


@pytest.mark.parametrize("given", ["", ",", " , "])
def test_an_empty_allow_list_on_the_command_line_refuses_to_start(
    given: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _clean_env(monkeypatch, {**PASSWORD, "KINTONE_BASE_URL": "http://127.0.0.1:9"})
    assert main(["serve", "--allow-apps", given]) == 2
    assert "lists no app" in capsys.readouterr().err


def test_an_allow_list_that_lists_nothing_is_a_problem_in_every_source() -> None:
    assert any("lists no app" in p for p in problems_of(env={**PASSWORD, "KINTONE_ALLOW_APPS": ","}))
    assert any("lists no app" in p for p in problems_of({"allow_apps": []}, env=PASSWORD))
    # An empty environment variable is how hosts pass a setting the user left unset: it means "not set".
    assert load_settings(None, {**PASSWORD, "KINTONE_ALLOW_APPS": ""}).allow_apps is None
    with pytest.raises(PolicyConfigError, match="given but empty"):
        Policy.build(allow_apps=[])
