"""The README's tool table is the registry's: same tools, same order, summaries and kinds from the specs."""

from __future__ import annotations

from kintone_mcp.server.tools.registry import ALL_TOOLS
from tests.server.tool_table import COMMAND, END, README, START, render, table_in, with_table


def test_every_tool_has_a_one_line_summary_and_a_kind() -> None:
    table = render()
    assert [line.split("`")[1] for line in table.splitlines()[2:]] == [s.name for s in ALL_TOOLS]
    kinds = {s.name: s.kind for s in ALL_TOOLS}
    assert kinds["get_records"] == "read" and kinds["add_record"] == "write"
    assert kinds["delete_records"] == "write, destructive" and kinds["download_file"] == "writes a local file"


def test_the_table_goes_between_the_markers_and_nothing_else_changes() -> None:
    text = f"intro\n{START}\nold\n{END}\nrest\n"
    new = with_table(text, render())
    assert new.startswith(f"intro\n{START}\n| Tool |") and new.endswith(f"{END}\nrest\n")
    assert table_in(new) == render()


def test_readme_tool_table_is_generated_from_the_registry() -> None:
    text = README.read_text(encoding="utf-8")
    current = table_in(text)
    assert current is not None, f"README.md has lost its {START} ... {END} markers"
    assert current == render(), f"README.md's tool table differs from the registry: run `{COMMAND}`"
