"""Which credentials a tool needs (``ToolSpec.needs``), and whether this server's configuration has them.

Kintone accepts each API with some credentials only (docs/kintone-api.md §2.2): the cybozu.com User API takes a
password or a User API token; the space APIs and ``search.json`` take password (or session) authentication only,
refusing app API tokens and OAuth. A tool the configured credentials cannot use is withheld from ``tools/list``,
and a call to it is answered with the reason (``server/app.py``), rather than offered to fail at every call.
"""

from __future__ import annotations

from typing import Literal

from kintone_mcp.server.state import ServerOptions

Need = Literal["user_api", "password"]

#: what each need is, in the words of the reason a withheld tool gives
_WHAT: dict[str, str] = {
    "user_api": "password authentication or a User API token",
    "password": "password authentication (Kintone refuses API tokens and OAuth on these APIs)",
}
_AFTER: dict[str, str] = {
    "user_api": "Codes in records still work as values, and answers give their names.",
    "password": "Tell the user: a connection with KINTONE_USERNAME and KINTONE_PASSWORD offers it.",
}


def has(options: ServerOptions, need: str) -> bool:
    if need == "user_api":
        return options.user_api
    if need == "password":
        return options.auth_type == "password"
    raise ValueError(f"unknown credential need {need!r}")


def missing(options: ServerOptions, needs: tuple[str, ...]) -> str | None:
    """The first need the configuration lacks, or None."""
    return next((n for n in needs if not has(options, n)), None)


def reason(tool: str, need: str) -> str:
    return f"{tool} is not offered: it needs {_WHAT[need]}, which this connection lacks. {_AFTER[need]}"
