"""The ``kintone-mcp`` command.

Each sub-command is a module of this package and registers its own options through ``add_arguments``;
this module only dispatches. Imports are lazy so that ``kintone-mcp`` (stdio server) pays only for what it runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from kintone_mcp import __version__

#: sub-command -> (module holding ``add_arguments(parser)`` and ``run(args) -> int``, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("kintone_mcp.commands.serve", "run the MCP server (the default command): stdio, or --transport http"),
    "check": ("kintone_mcp.commands.check", "check the configured Kintone connection; exit 0 when it works"),
    "sandbox": ("kintone_mcp.commands.sandbox", "run the Kintone-compatible sandbox server in the foreground"),
    "connection": (
        "kintone_mcp.commands.connection",
        "named connections: add, list, test, edit, remove, default (secrets stored encrypted, never shown)",
    ),
    "auth": (
        "kintone_mcp.commands.auth",
        "sign in with OAuth 2.0 (login), show the sign-in (status), forget it (logout)",
    ),
}


class _Parser(argparse.ArgumentParser):
    """argparse, except that words it does not know are not echoed: someone who types ``--password SECRET`` (there
    is no such flag: secrets come from files, standard input or a prompt) must not see the secret printed back
    into a terminal log or a CI transcript. Option names are shown; values are not."""

    def error(self, message: str) -> NoReturn:
        prefix = "unrecognized arguments: "
        if message.startswith(prefix):
            words = message[len(prefix):].split()
            shown = [w.partition("=")[0] for w in words if w.startswith("-")]
            message = prefix + (" ".join(shown) or "(values not shown)")
            if len(shown) != len(words):
                message += " (other words not shown, as they may be secrets)"
        super().error(message)


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``selected``, only that sub-command's module is imported (the server starts faster)."""
    parser = _Parser(
        prog="kintone-mcp",
        description="MCP server for Kintone, with a built-in Kintone-compatible sandbox.",
    )
    parser.add_argument("--version", action="version", version=f"kintone-mcp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sp = sub.add_parser(name, help=help_text, description=help_text)
        if selected is None or name == selected:
            importlib.import_module(module_name).add_arguments(sp)
        sp.set_defaults(_module=module_name)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if not words or (words[0].startswith("-") and words[0] not in ("-h", "--help", "--version")):
        words.insert(0, "serve")  # `kintone-mcp` and `kintone-mcp --read-only` mean `kintone-mcp serve ...`
    args = build_parser(words[0] if words[0] in SUBCOMMANDS else None).parse_args(words)
    module_name = getattr(args, "_module", None)
    if module_name is None:
        build_parser().print_help(sys.stderr)
        return 2
    code: int = importlib.import_module(module_name).run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
