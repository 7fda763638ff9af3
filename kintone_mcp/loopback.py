"""What counts as this machine: the one loopback check every layer uses.

Plain ``http://`` to Kintone, a listener without a bearer token, the OAuth login's redirect listener and the
sandbox's admin endpoints are each allowed only on loopback, so the four must agree on what loopback is. A leaf
module (it imports nothing of ours), so the sandbox may use it as well as the server, the settings and auth.
"""

from __future__ import annotations

import ipaddress

__all__ = ["is_loopback"]

#: Host names that mean this machine: RFC 6761 reserves ``localhost`` and every name under it; the other two are
#: what Debian-style /etc/hosts files call the loopback address.
_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name, an IPv4 or IPv6 address, with or without ``[]``) is this machine."""
    name = host.strip().strip("[]").lower()
    if name in _NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
