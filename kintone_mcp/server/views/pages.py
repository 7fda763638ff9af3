"""The views' pages, assembled from the files beside this module, and the SDK's Apps extension that serves them.

Each page is one self-contained HTML document: its script and style inline (``common.js`` / ``common.css`` shared),
no network fetch, no library. Hosts load it into a sandboxed frame under the strict default CSP of the ext-apps spec
("UI Resource Format": no connect-src, inline script and style only), which the pages need and declare as such.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import cache
from importlib.resources import files

from mcp.server.apps import Apps, ResourceCsp

from kintone_mcp.server.views import CHART_VIEW, RECORDS_VIEW

#: view -> (page file, title, description)
_VIEWS = {
    RECORDS_VIEW: ("records.html", "Records table", "get_records' answer as a table: sort, page on, open a record."),
    CHART_VIEW: ("chart.html", "Aggregate chart", "aggregate_records' answer as bars or lines by group."),
}


def _read(name: str) -> str:
    return files(__package__).joinpath(name).read_text(encoding="utf-8")


def _squeeze(text: str) -> str:
    """Leading indentation, blank lines and whole-line ``//`` comments dropped: a third off the bytes a host fetches.

    Safe for these files because none has a string or template spanning lines."""
    kept = (line.strip() for line in text.splitlines())
    return "\n".join(line for line in kept if line and not line.startswith("//"))


@cache
def page(uri: str) -> str:
    """The HTML of one view, its shared script and style filled in."""
    name = _VIEWS[uri][0]
    html = _read(name).replace("/*common.css*/", _read("common.css")).replace("/*common.js*/", _read("common.js"))
    return _squeeze(html)


def apps_extension(views: Collection[str]) -> Apps:
    """The MCP Apps extension serving ``views`` (the views of the tools the server offers)."""
    apps = Apps()
    for uri in sorted(views):
        _, title, description = _VIEWS[uri]
        apps.add_html_resource(
            uri,
            page(uri),
            name=uri.removeprefix("ui://").replace("/", "_"),
            title=title,
            description=description,
            # Stated rather than left out: no origin beyond the page itself, whatever a host's defaults are.
            csp=ResourceCsp(),
            prefers_border=True,
        )
    return apps


__all__ = ["apps_extension", "page"]
