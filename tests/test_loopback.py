"""The one loopback check: names and addresses that are this machine, and look-alikes that are not."""

from __future__ import annotations

import pytest

from kintone_mcp.loopback import is_loopback


@pytest.mark.parametrize(
    "host",
    ["localhost", "LOCALHOST", " localhost ", "app.localhost", "localhost.localdomain", "ip6-localhost",
     "127.0.0.1", "127.8.9.10", "::1", "[::1]"],
)
def test_this_machine(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize(
    "host",
    ["", "example.cybozu.com", "localhost.example.com", "notlocalhost", "10.0.0.1", "192.168.1.5", "0.0.0.0", "::",
     "[2001:db8::1]", "128.0.0.1"],
)
def test_not_this_machine(host: str) -> None:
    assert not is_loopback(host)
