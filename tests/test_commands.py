"""The `kintone-mcp` command line: each sub-command reports its own usage, check documents its exit codes, and the
demo options are the same for `sandbox` and `serve --sandbox`."""

from __future__ import annotations

import pytest

from kintone_mcp.commands import demo_options
from kintone_mcp.commands.main import build_parser, main
from kintone_mcp.commands.sandbox import build_config
from kintone_mcp.sandbox import SandboxConfig


@pytest.mark.parametrize(
    ("argv", "usage", "unknown"),
    [
        # Words that are not options are left out: they may be secrets (`--password SECRET` is no option).
        (["serve", "--sandbox", "--demo-recordz", "5"], "usage: kintone-mcp serve ",
         "--demo-recordz (other words not shown, as they may be secrets)"),
        (["--sandbox", "--bogus"], "usage: kintone-mcp serve ", "--bogus"),  # plain `kintone-mcp ...` is serve
        (["check", "--port", "3"], "usage: kintone-mcp check ",
         "--port (other words not shown, as they may be secrets)"),
        (["connection", "add", "x", "--password=pw-CANARY-argv"], "usage: kintone-mcp connection add ", "--password"),
        (["sandbox", "--bogus"], "usage: kintone-mcp sandbox ", "--bogus"),
        (["auth", "login", "--bogus"], "usage: kintone-mcp auth login ", "--bogus"),
    ],
)
def test_an_unknown_option_shows_the_usage_of_its_sub_command(
    argv: list[str], usage: str, unknown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(usage), err
    assert f"error: unrecognized arguments: {unknown}\n" in err
    assert "CANARY" not in err


def test_check_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "exit codes: 0 the connection works" in out
    assert "1 it does not" in out
    assert "3 Kintone answered but the credentials or some checks could not be verified" in out


def test_serve_help_shows_the_demo_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    assert out.startswith("usage: kintone-mcp serve ")
    for flag in ("--demo-records N", "--seed N", "--demo-start YYYY-MM-DD", "--guest-space-id ID"):
        assert flag in out, flag


def test_demo_option_defaults_match_the_sandbox(capsys: pytest.CaptureFixture[str]) -> None:
    """demo_options may not import the sandbox (serve parses it at every start), so its defaults are copies."""
    assert SandboxConfig.demo_records == demo_options.DEMO_RECORDS
    with pytest.raises(SystemExit):
        main(["sandbox", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert f"(default: {SandboxConfig.seed})" in out and f"(default: {SandboxConfig.demo_records};" in out
    config = build_config(build_parser().parse_args(["sandbox", "--seed", "5", "--demo-records", "7"]))
    assert (config.seed, config.demo_records) == (5, 7)
    assert build_config(build_parser().parse_args(["sandbox"])).seed == SandboxConfig.seed


def test_the_lenient_operators_switch() -> None:
    assert build_config(build_parser().parse_args(["sandbox"])).lenient_operators is False
    assert build_config(build_parser().parse_args(["sandbox", "--lenient-operators"])).lenient_operators is True


def test_the_sandbox_banner_lists_every_app() -> None:
    from kintone_mcp.commands.sandbox import banner
    from kintone_mcp.sandbox import Sandbox

    config = build_config(build_parser().parse_args(["sandbox", "--demo-records", "5"]))
    sb = Sandbox(config)
    lines = banner(sb, "http://127.0.0.1:8787", config, fresh=True)
    sb.close()
    apps = lines[lines.index("Apps:") + 1:][:5]
    assert apps == [
        "  1 Customers (CUSTOMERS, 120 records)",
        "  2 Deals (DEALS, 5 records)",
        "  3 Support tickets (TICKETS, 200 records)",
        '  4 Partner requests (PARTNER, 12 records, guest space 2 "Partner portal": '
        "http://127.0.0.1:8787/k/guest/2/v1/)",
        "  5 Contracts (CONTRACTS, 8 records)",
    ]
    empty = build_config(build_parser().parse_args(["sandbox", "--empty"]))
    bare = Sandbox(empty)
    assert "Apps:" not in banner(bare, "http://127.0.0.1:8787", empty, fresh=True)
    bare.close()
