"""The README's tool table, rendered from the registry (``ALL_TOOLS``): one row per tool, in the order tools are listed.

    python -m tests.server.tool_table            # print the table
    python -m tests.server.tool_table --write    # put it into README.md, between the tool-table markers

``test_tool_table`` fails when README.md's table differs from this rendering, so the two cannot drift.
"""

from __future__ import annotations

import argparse
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
START, END = "<!-- tool-table -->", "<!-- /tool-table -->"
COMMAND = "python -m tests.server.tool_table --write"


def render() -> str:
    """The Markdown table: the tool's name, its summary, and what it does to the world (from its spec's flags)
    and the toolset it is in."""
    from kintone_mcp.server.tools.registry import ALL_TOOLS

    rows = ["| Tool | What it does | Kind | Toolset |", "|---|---|---|---|"]
    for spec in ALL_TOOLS:
        if not spec.summary.strip() or "|" in spec.summary or "\n" in spec.summary:
            raise ValueError(f"{spec.name}: the summary must be one non-empty line without '|'")
        rows.append(f"| `{spec.name}` | {spec.summary} | {spec.kind} | {spec.toolset} |")
    return "\n".join(rows) + "\n"


def table_in(text: str) -> str | None:
    """The text between the markers (without the newline after the opening one), or None without markers."""
    if START not in text or END not in text:
        return None
    return text.split(START, 1)[1].split(END, 1)[0].removeprefix("\n")


def with_table(text: str, table: str) -> str:
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    return f"{before}{START}\n{table}{END}{after}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="replace the table between the markers in README.md")
    args = parser.parse_args()
    table = render()
    if not args.write:
        print(table, end="")
        return
    text = README.read_text(encoding="utf-8")
    if table_in(text) is None:
        raise SystemExit(f"README.md has no {START} ... {END} markers to put the table between")
    README.write_text(with_table(text, table), encoding="utf-8")


if __name__ == "__main__":
    main()
