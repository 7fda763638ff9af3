"""What ``kintone-mcp export`` and ``kintone-mcp import`` share: the connection options, a server state built from
the configured connection (profiles included), the progress display, and the exit codes.

The progress display is rich's (a well-kept library) on a terminal: records done, rate
and time left on stderr. When stderr is not a terminal (a log, CI), plain lines instead, at most one every few
seconds, so a log stays readable. Nothing goes to stdout but the final summary.

Imported to build the command line, so it imports nothing heavy at the top.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from kintone_mcp.server.state import ServerState
    from kintone_mcp.settings import Settings

T = TypeVar("T")

#: exit codes of both commands (documented in docs/transfer.md and in --help)
OK, FAILED, USAGE, PROBLEMS, PARTIAL = 0, 1, 2, 3, 4
EPILOG = (
    "exit codes: 0 done (a dry run: the file is valid); 1 refused or failed, nothing written; 2 wrong command line; "
    "3 the dry run found problems (listed on stderr), nothing written; 4 import only: a later transaction failed "
    "after earlier ones were committed (stderr names the committed rows)"
)
_PLAIN_EVERY = 5.0


#: cli-kintone's spellings (--encoding utf8|sjis) are taken too
_ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8-sig", "shift_jis": "shift_jis",
              "sjis": "shift_jis", "cp932": "cp932"}  # fmt: skip


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    parser.add_argument(
        "--encoding", choices=tuple(_ENCODINGS), default="utf-8", type=lambda v: _ENCODINGS.get(v.lower(), v),
        help="of the file (default utf-8; utf-8-sig: with the BOM Excel wants; cp932: Windows' Shift_JIS, which "
        "holds ① and ㈱ that shift_jis lacks; utf8 and sjis as cli-kintone spells them)",
    )  # fmt: skip
    parser.add_argument("--app", help="app id or alias (default: the configured default app, KINTONE_APP_ID)")
    parser.add_argument("--config", help="TOML file of named connections (KINTONE_CONFIG)")
    parser.add_argument("--connection", help="connection to use from the TOML file (KINTONE_CONNECTION)")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def load(args: argparse.Namespace) -> Settings | None:
    from kintone_mcp.settings import ConfigurationError, load_settings

    overrides = {k: getattr(args, k) for k in ("config", "connection") if getattr(args, k, None)}
    try:
        return load_settings(overrides)
    except ConfigurationError as exc:
        sys.stderr.write(f"FAILED: {exc}\n")
        return None


def state_for(settings: Settings, folder: Path) -> ServerState:
    """The state the tools use, for one folder: the configured policy (read-only, app lists) and limits."""
    import dataclasses

    from kintone_mcp.connect import build_client
    from kintone_mcp.server.launch import options_from_settings, policy_from_settings
    from kintone_mcp.server.state import ServerState

    options = dataclasses.replace(options_from_settings(settings), download_dir=folder.expanduser().resolve())
    return ServerState(client_factory=lambda: build_client(settings), policy=policy_from_settings(settings),
                       options=options)


class Progress:
    """The engine's progress callback, shown as a bar on a terminal and as plain lines elsewhere."""

    def __init__(self, *, quiet: bool) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self._bar: Any = None
        self._task: Any = None
        self._stage = ""
        self._last = 0.0

    def __enter__(self) -> Progress:
        if self.tty and not self.quiet:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TaskProgressColumn,
                TextColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as Bar

            self._bar = Bar(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._bar.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.__exit__(kind, exc, tb)

    async def __call__(self, done: int, total: int | None, stage: str) -> None:
        if self.quiet:
            return
        if self._bar is not None:
            if stage != self._stage:
                self._stage = stage
                self._started = time.monotonic()
                self._task = self._bar.add_task(stage, total=total, rate="")
            elapsed = max(time.monotonic() - self._started, 1e-6)
            self._bar.update(self._task, completed=done, total=total, rate=f"{done / elapsed:,.0f} records/s")
            return
        now = time.monotonic()
        final = total is not None and done >= total
        if stage != self._stage or final or now - self._last >= _PLAIN_EVERY:
            self._stage, self._last = stage, now
            of = f" of {total:,}" if total is not None else ""
            sys.stderr.write(f"{stage}: {done:,}{of} records\n")
            sys.stderr.flush()


def run_engine(settings: Settings, folder: Path, work: Callable[[ServerState, Progress], Awaitable[T]],
               *, quiet: bool) -> tuple[T | None, int]:
    """Runs ``work`` with a state and a progress display; failures are printed (masked, as the tools' texts are)
    and turned into an exit code."""
    import anyio

    from kintone_mcp.server.errors import describe
    from kintone_mcp.server.tools.records.transfer import PartialImportError

    async def main() -> T:
        state = state_for(settings, folder)
        try:
            with Progress(quiet=quiet) as progress:
                return await work(state, progress)
        finally:
            await state.aclose()

    try:
        return anyio.run(main), OK
    except PartialImportError as exc:
        sys.stderr.write(f"PARTLY WRITTEN: {exc}\n")
        return None, PARTIAL
    except Exception as exc:
        text = describe("kintone-mcp", exc)
        if text is None:
            raise
        sys.stderr.write(f"FAILED: {text}\n")
        return None, FAILED
