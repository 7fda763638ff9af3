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
    "check": (
        "kintone_mcp.commands.check",
        "check the configured Kintone connection; exit 0 works, 1 fails, 3 could not verify",
    ),
    "sandbox": ("kintone_mcp.commands.sandbox", "run the Kintone-compatible sandbox server in the foreground"),
    "connection": (
        "kintone_mcp.commands.connection",
        "named connections: add, list, test, edit, remove, default (secrets stored encrypted, never shown)",
    ),
    "export": (
        "kintone_mcp.commands.export",
        "export records to a CSV (cli-kintone's layout) or JSON Lines file, with a progress bar",
    ),
    "import": (
        "kintone_mcp.commands.import",
        "add, update or upsert records from a CSV or JSON Lines file, checked whole first (--dry-run)",
    ),
    "auth": (
        "kintone_mcp.commands.auth",
        "sign in with OAuth 2.0 (login), show the sign-in (status), forget it (logout)",
    ),
}


class _CommandParser(argparse.ArgumentParser):
    """A parser whose leaf sub-commands report an unknown option themselves, with their own usage line, and never
    echo the words they do not know.

    argparse hands a sub-command's leftovers up to the top parser, whose error shows ``kintone-mcp [-h] COMMAND``:
    no help for someone who typed ``kintone-mcp serve --demo-recods 5``. Erroring in the sub-command that was
    parsing shows the options it does take. Someone who types ``--password SECRET`` (there is no such flag: secrets
    come from files, standard input or a prompt) must not see the secret printed back into a terminal log or a CI
    transcript, so option names are shown and values are not.
    """

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        has_commands = any(isinstance(a, argparse._SubParsersAction) for a in self._actions)
        if extras and not has_commands:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras

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
    parser = _CommandParser(
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
