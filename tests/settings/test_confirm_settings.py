"""KINTONE_CONFIRM and KINTONE_CONFIRM_BULK: from the environment, a TOML connection and the command line, checked
with the fix named; passed to the server's options."""

from __future__ import annotations

from pathlib import Path

import pytest

from kintone_mcp.server.launch import options_from_settings
from kintone_mcp.settings import load_settings
from tests.settings.helpers import PASSWORD, problems_of, write


def test_the_default_asks_before_destructive_calls_over_100_records() -> None:
    settings = load_settings({}, PASSWORD)
    assert (settings.confirm, settings.confirm_bulk) == ("destructive", 100)
    options = options_from_settings(settings)
    assert (options.confirm, options.confirm_bulk) == ("destructive", 100)


@pytest.mark.parametrize("value", ["destructive", "writes", "never", "WRITES", " never "])
def test_each_mode_from_the_environment(value: str) -> None:
    settings = load_settings({}, {**PASSWORD, "KINTONE_CONFIRM": value, "KINTONE_CONFIRM_BULK": "250"})
    assert settings.confirm == value.strip().lower()
    assert options_from_settings(settings).confirm_bulk == 250


def test_the_flag_beats_the_environment_which_beats_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[connections.main]\nconfirm = "never"\nconfirm_bulk = 7\n')
    env = {**PASSWORD, "KINTONE_CONFIG": str(path)}
    assert (load_settings({}, env).confirm, load_settings({}, env).confirm_bulk) == ("never", 7)
    assert load_settings({}, {**env, "KINTONE_CONFIRM": "writes"}).confirm == "writes"
    assert load_settings({"confirm": "destructive"}, {**env, "KINTONE_CONFIRM": "writes"}).confirm == "destructive"


def test_a_wrong_value_is_refused_with_the_choices() -> None:
    problems = problems_of(env={**PASSWORD, "KINTONE_CONFIRM": "always", "KINTONE_CONFIRM_BULK": "0"})
    assert any("KINTONE_CONFIRM must be destructive" in p and "writes" in p and "never" in p and "'always'" in p
               for p in problems)  # fmt: skip
    assert any(p.startswith("KINTONE_CONFIRM_BULK must be a whole number from 1") for p in problems)


def test_the_serve_command_takes_the_flags() -> None:
    import argparse

    from kintone_mcp.commands.serve import add_arguments, overrides

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--confirm", "writes", "--confirm-bulk", "20"])
    assert overrides(args) == {"confirm": "writes", "confirm_bulk": 20}
    with pytest.raises(SystemExit):
        parser.parse_args(["--confirm", "sometimes"])
