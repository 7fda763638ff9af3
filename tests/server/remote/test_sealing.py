"""Sealed values: rotation by key id, kinds kept apart, expiry, and nothing of the value in an error."""

from __future__ import annotations

import pytest

from kintone_mcp.server.remote.sealing import Sealer, SealError, new_key_text, parse_keys


class Clock:
    now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_rotation_kinds_and_expiry() -> None:
    old, new = new_key_text("2026-01"), new_key_text("2026-07")
    clock = Clock()
    before = Sealer(parse_keys(old), clock=clock)
    sealed = before.seal("access", {"kat": "CANARY-kintone-token"}, ttl=60)
    assert "CANARY" not in sealed
    rotated = Sealer(parse_keys(f"{new},{old}"), clock=clock)  # new key first: seals with it, still opens the old
    assert rotated.open("access", sealed)["kat"] == "CANARY-kintone-token"
    fresh = rotated.seal("access", {"kat": "x"}, ttl=60)
    with pytest.raises(SealError, match="no longer has"):
        before.open("access", fresh)
    dropped = Sealer(parse_keys(new), clock=clock)
    with pytest.raises(SealError, match="no longer has"):
        dropped.open("access", sealed)
    with pytest.raises(SealError, match="not a sealed refresh"):
        rotated.open("refresh", sealed)
    clock.now += 61
    with pytest.raises(SealError, match="expired") as caught:
        rotated.open("access", sealed)
    assert "CANARY" not in str(caught.value) and sealed not in str(caught.value)
    for junk in ("", "a.b.c.d.e", sealed[:-4] + "AAAA", "x" * 20_000):
        with pytest.raises(SealError):
            rotated.open("access", junk)
