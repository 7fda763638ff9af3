"""Continuation tokens: short, exact, carrying the page size, and an old format refused with the way out."""

from __future__ import annotations

import base64
import json

import pytest

from kintone_mcp.server.continuation import ALL_FIELDS, Continuation
from kintone_mcp.server.errors import ToolInputError


def test_continuation_tokens_are_short_and_exact() -> None:
    paged = Continuation(app=2, where='stage in ("Won")', fields=("$id", "$revision", "title"), after_id=298,
                         seen=20, limit=500)  # fmt: skip
    by_offset = Continuation(app=3, order="amount desc", max_text_chars=50, offset=40, seen=40)
    every = Continuation(app=1, fields=ALL_FIELDS, after_id=7, seen=3, limit=3)
    long_query = Continuation(app=2, where=" or ".join(f'title like "customer {i}"' for i in range(40)), seen=5)
    for cont in (paged, by_offset, every, long_query):
        assert Continuation.decode(cont.encode()) == cont
    # Five records of two fields: the keyed-JSON token was 86 characters.
    assert len(Continuation(app=2, fields=("$id", "$revision", "title", "amount"), after_id=19996, seen=5,
                            limit=5).encode()) <= 45  # fmt: skip
    assert len(paged.encode()) <= 70  # the version before this one: 102
    # A long query is deflated: far shorter than the query itself.
    assert len(long_query.encode()) < len(long_query.where) / 3


@pytest.mark.parametrize(
    "token",
    [
        base64.urlsafe_b64encode(json.dumps({"v": 2, "a": 2}).encode()).decode(),  # the keyed form before
        "3" + base64.urlsafe_b64encode(b'["two"]').decode(),
        "3" + base64.urlsafe_b64encode(b"[]").decode(),
        "Znotdeflated",
        "",
        # An edited position that would splice conditions into the query unchecked.
        "3" + base64.urlsafe_b64encode(b'[2,"1 or $id > 0",5]').decode(),
        "3" + base64.urlsafe_b64encode(b"[2,null,0,0]").decode(),
        "3" + base64.urlsafe_b64encode(b'[2,null,0,20,[1]]').decode(),
    ],
)
def test_a_token_from_elsewhere_is_refused_with_the_way_out(token: str) -> None:
    with pytest.raises(ToolInputError, match="Run the query again without `next`"):
        Continuation.decode(token)
