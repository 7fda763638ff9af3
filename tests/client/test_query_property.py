"""Property: any text put into an equality condition with the query builder finds exactly the record holding that
text, and no other, when the query goes through the client to the sandbox.

The values are what a user could type into a single-line text field: quotes, backslashes, any Unicode outside the
surrogates, tabs, newlines, leading and trailing blanks, the empty string. Control characters other than tab and
newline cannot be written in a query string at all (the builder refuses them), so they are left out.
"""

from __future__ import annotations

from collections.abc import Iterator

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kintone_mcp.query import build_query, eq, in_, ne
from kintone_mcp.sandbox import Sandbox, SandboxConfig

from .conftest import client_for, create_app

_FORBIDDEN = [chr(c) for c in range(0x20) if c not in (0x09, 0x0A)] + ["\x7f"]

field_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=_FORBIDDEN),
    max_size=30,
)
# Make the characters that need escaping (and their neighbours) common rather than lucky.
tricky_text = st.lists(
    st.sampled_from(['"', "\\", '\\"', '"\\', " ", "\t", "\n", "\u3000", "é", "日本", "😀", "x", "'", "%", "*"]),
    max_size=8,
).map("".join)
values = st.lists(st.one_of(field_text, tricky_text), min_size=1, max_size=6, unique=True)


@pytest.fixture(scope="module")
def text_app() -> Iterator[tuple[Sandbox, int]]:
    sb = Sandbox(SandboxConfig(demo=False))

    async def make() -> int:
        return await create_app(sb, "Texts", {"text": {"type": "SINGLE_LINE_TEXT", "label": "Text"}})

    yield sb, anyio.run(make)
    sb.close()


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=values)
def test_equality_finds_exactly_the_record_holding_the_value(text_app: tuple[Sandbox, int], texts: list[str]) -> None:
    sb, app = text_app

    async def check() -> None:
        async with client_for(sb) as client:
            added = await client.add_records(app, [{"text": {"value": t}} for t in texts])
            try:
                holder = dict(zip(texts, added.ids, strict=True))
                for text, record_id in holder.items():
                    page = await client.get_records(app, query=build_query(eq("text", text)), fields=["$id", "text"])
                    assert [(r.id, r.value("text")) for r in page.records] == [(record_id, text)]
                    others = await client.get_records(app, query=build_query(ne("text", text)), fields=["$id"])
                    assert sorted(r.id for r in others.records) == sorted(i for i in added.ids if i != record_id)
                both = texts[:3]
                page = await client.get_records(app, query=build_query(in_("text", both)), fields=["$id"])
                assert sorted(r.id for r in page.records) == sorted(holder[t] for t in both)
            finally:
                await client.delete_records(app, added.ids)

    anyio.run(check)
