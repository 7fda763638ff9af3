"""Icons: one small SVG of our own per toolset, on every tool of that toolset, and a larger one for the server.

Hosts show a tool's icon beside its name; a model never sees it, yet every byte of it is in the ``tools/list``
answer a host sends at each session start. So each tool icon is one path on an 8×8 grid with a named colour
(readable on light and dark backgrounds), written as a percent-encoded ``data:`` URI (a valid URI, which raw ``<``,
``>`` and spaces would not be; base64 would be a third larger), and costs at most ``MAX_TOOL_ICON_BYTES`` of the
answer, the JSON around it included (tests/server/test_icons.py measures it).
"""

from __future__ import annotations

from urllib.parse import quote

from mcp.types import Icon

#: bytes one tool's icon may add to tools/list: ``,"icons":[{"src":"…"}]`` whole
MAX_TOOL_ICON_BYTES = 180

_SVG = "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0,0,{size},{size}' fill='{colour}'>{body}</svg>"

#: toolset -> (colour, path on the 8×8 grid). A toolset without an entry gets no icon, rather than a wrong one.
_TOOLSET_GLYPHS: dict[str, tuple[str, str]] = {
    "core": ("teal", "M4,0l4,4-4,4-4-4z"),  # a tile: finding apps and reading their schema
    "records": ("#36c", "M0,1h8v2H0zm0,4h8v2H0z"),  # rows
    "files": ("peru", "M1,0h4l2,2v6H1z"),  # a page with a folded corner
    "users": ("green", "M2,0h4v3H2zM0,8a4,4,0,0,1,8,0z"),  # a person
    "apps": ("orchid", "M3,0h2v3h3v2H5v3H3V5H0V3h3z"),  # a plus: building apps
    "spaces": ("#c80", "M4,0l4,4H7v4H1V4H0z"),  # a house: a space
}

#: the server's own icon: a rounded tile with a white "k", larger since it is sent once (initialize, discovery)
_SERVER_BODY = (
    "<rect width='32' height='32' rx='7' fill='#1a8a8a'/>"
    "<path fill='#fff' d='M9 6h4v11l7-7h5l-7 7 8 9h-5l-5.5-6.2L13 22v4H9z'/>"
)


def data_uri(svg: str) -> str:
    """``svg`` as a ``data:`` URI, percent-encoding only what a URI may not hold (quotes stay: SVG uses ``'``)."""
    return "data:image/svg+xml," + quote(svg, safe="/:=',.;()+-!*~")


def _svg(size: int, colour: str, body: str) -> str:
    return _SVG.format(size=size, colour=colour, body=body)


TOOLSET_ICONS: dict[str, list[Icon]] = {
    name: [Icon(src=data_uri(_svg(8, colour, f"<path d='{path}'/>")))]
    for name, (colour, path) in _TOOLSET_GLYPHS.items()
}

SERVER_ICONS: list[Icon] = [
    Icon(src=data_uri(_svg(32, "none", _SERVER_BODY)), mime_type="image/svg+xml", sizes=["any"])
]


def toolset_icons(toolset: str) -> list[Icon] | None:
    """The icons of a tool in ``toolset`` (None for a toolset without one)."""
    return TOOLSET_ICONS.get(toolset)
