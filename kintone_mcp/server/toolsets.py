"""Toolsets: named groups of tools a server offers, chosen with KINTONE_TOOLSETS / --toolsets (the convention of
github-mcp-server). The default is what the server offered before toolsets existed, so that a host's ``tools/list``
(and the tokens it costs every session) does not grow for users who did not ask for more.

``core`` (test_connection, list_apps, get_app) is always on: every other toolset needs a way to find apps and read
their fields, and a check of the connection.
"""

from __future__ import annotations

from collections.abc import Iterable

#: name -> what it holds (the words test_connection, `check` and the docs use)
TOOLSETS: dict[str, str] = {
    "core": "test_connection, list_apps, get_app (always on)",
    "records": "reading and writing records, process management of records, comments, search",
    "files": "downloading and uploading attachments",
    "users": "users, organizations and groups",
    "apps": "creating apps and changing their fields, layout, settings, views and process; deploying",
    "spaces": "spaces, their members and threads; posting in threads",
}
ALWAYS_ON = "core"
#: What a server offers when KINTONE_TOOLSETS is not set.
DEFAULT_TOOLSETS: frozenset[str] = frozenset({"core", "records", "files", "users"})
#: The name that turns every toolset on.
ALL = "all"


class UnknownToolsetError(ValueError):
    pass


def resolve_toolsets(names: Iterable[str] | None) -> frozenset[str]:
    """The toolsets a configuration turns on (``core`` always among them). Raises UnknownToolsetError naming the
    unknown names and the known ones: a typo must stop the server, not silently offer less (or more)."""
    if names is None:
        return DEFAULT_TOOLSETS
    chosen = {n.strip().lower() for n in names if n.strip()}
    if not chosen:
        return DEFAULT_TOOLSETS
    if ALL in chosen:
        chosen = (chosen - {ALL}) | set(TOOLSETS)
    unknown = sorted(chosen - set(TOOLSETS))
    if unknown:
        raise UnknownToolsetError(
            f"KINTONE_TOOLSETS names unknown toolset(s) {', '.join(unknown)}; known toolsets: "
            f"{', '.join(TOOLSETS)} (or {ALL})"
        )
    return frozenset(chosen | {ALWAYS_ON})


def describe(toolsets: Iterable[str]) -> str:
    """The toolsets in their canonical order, for messages."""
    on = set(toolsets)
    return ", ".join(name for name in TOOLSETS if name in on)
