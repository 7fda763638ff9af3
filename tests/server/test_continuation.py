"""Continuation tokens: short, exact, and an old format refused with the way out."""

from __future__ import annotations

import json

import pytest


def test_continuation_tokens_are_short_and_exact() -> None:
    import base64 as b64

    from kintone_mcp.server.continuation import Continuation
    from kintone_mcp.server.errors import ToolInputError

    paged = Continuation(app=2, where='stage in ("Won")', order="", fields=["$id", "$revision", "title"],
                         max_text_chars=1000, after_id=298, seen=20)  # fmt: skip
    by_offset = Continuation(app=3, where="", order="amount desc", fields=None, max_text_chars=50, offset=40, seen=40)
    for cont in (paged, by_offset):
        assert Continuation.decode(cont.encode()) == cont
    assert len(paged.encode()) <= 102  # the long-key form with every default spelt out was 200
    old = b64.urlsafe_b64encode(json.dumps({"v": 1, "app": 2}).encode()).decode()
    with pytest.raises(ToolInputError, match="Run the query again without `next`"):
        Continuation.decode(old)
