"""The sources: the TOML connections file (its problems, the connection it chose) and secret files."""

from __future__ import annotations

from pathlib import Path

import pytest

from kintone_mcp.settings import load_settings
from tests.settings.helpers import BASE, PASSWORD, problems_of, write

# --- TOML problems -------------------------------------------------------------------------------------------

TOML_CASES = [
    ("several connections", "[connections.a]\n[connections.b]\n", {}, "KINTONE_CONNECTION"),
    ("unknown connection", "[connections.a]\n", {"KINTONE_CONNECTION": "b"}, "defines only: a"),
    ("unknown key", "[connections.a]\nbase_ulr = 'x'\n", {}, "base_ulr"),
    ("no connections", "title = 'x'\n", {}, "[connections.NAME]"),
    ("not toml", "[connections.a\n", {}, "not valid TOML"),
    ("bad value", "[connections.a]\napp_id = 'zzz'\n", {}, "KINTONE_APP_ID"),
]


@pytest.mark.parametrize(("text", "env", "fragment"), [c[1:] for c in TOML_CASES], ids=[c[0] for c in TOML_CASES])
def test_toml_problems(tmp_path: Path, text: str, env: dict[str, str], fragment: str) -> None:
    path = write(tmp_path, text)
    problems = problems_of(env={**PASSWORD, "KINTONE_CONFIG": str(path), **env})
    assert any(fragment in p for p in problems), problems


def test_cli_overrides_also_take_secret_files(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("cli-pw", encoding="utf-8")
    s = load_settings({"password_file": str(tmp_path / "pw"), "username": "u"}, BASE)
    assert s.password is not None and s.password.get_secret_value() == "cli-pw"
    assert any("Unknown setting" in p for p in problems_of({"app": 3}, PASSWORD))


def test_the_settings_carry_the_connection_the_file_chose(tmp_path: Path) -> None:
    """The connection's name keys its stored OAuth sign-in, so it is known however the file chose it."""
    several = write(tmp_path, "default_connection = 'b'\n[connections.a]\n[connections.b]\n", "several.toml")
    only = write(tmp_path, "[connections.solo]\n", "only.toml")
    assert load_settings(env={**PASSWORD, "KINTONE_CONFIG": str(several)}).connection == "b"
    assert load_settings(env={**PASSWORD, "KINTONE_CONFIG": str(several), "KINTONE_CONNECTION": "a"}).connection == "a"
    assert load_settings({"connection": "a"}, {**PASSWORD, "KINTONE_CONFIG": str(several)}).connection == "a"
    assert load_settings(env={**PASSWORD, "KINTONE_CONFIG": str(only)}).connection == "solo"
    assert load_settings(env=PASSWORD).connection is None


def test_the_file_named_on_the_command_line_wins(tmp_path: Path) -> None:
    flag = write(tmp_path, "[connections.flag]\napp_id = 1\n", "flag.toml")
    env = write(tmp_path, "[connections.env]\napp_id = 2\n", "env.toml")
    s = load_settings({"config": str(flag)}, {**PASSWORD, "KINTONE_CONFIG": str(env)})
    assert (s.config, s.connection, s.app_id) == (flag, "flag", 1)
