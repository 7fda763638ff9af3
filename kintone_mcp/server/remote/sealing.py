"""Sealed values: what the remote server hands out instead of keeping it (docs/remote.md, "Stateless").

Every value the server would otherwise store (an authorization transaction, a code, a client registration, the
user's Kintone tokens) travels inside a compact JWE: ``dir`` key agreement with ``A256GCM``, so it is encrypted and
authenticated with one symmetric key, and the header's ``kid`` names the key. Any replica holding the keys opens
any value, and a key is rotated by adding a new one first in the list (new values use it) while the old one stays
listed until the values sealed with it have expired. The crypto is joserfc's; this module only chooses what goes
in, checks the kind and the lifetime, and never lets a value, a key or a decryption detail out in an error.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OctKey

#: bytes of each key: A256GCM with ``dir`` uses the key as the content key
KEY_BYTES = 32


class SealError(Exception):
    """A sealed value is not ours, was changed, has expired, or is of another kind. Says which, never more."""


class KeyConfigError(ValueError):
    """The key list cannot be used; raised at start-up. Never quotes a key."""


@dataclass(frozen=True)
class SealingKey:
    kid: str
    secret: bytes = field(repr=False)

    def __repr__(self) -> str:
        return f"SealingKey(kid={self.kid!r}, secret='***')"


def parse_keys(text: str) -> list[SealingKey]:
    """``KID:BASE64URL[,KID:BASE64URL...]``, newest (the one that seals) first; each key exactly 32 bytes."""
    keys: list[SealingKey] = []
    for n, item in enumerate(part.strip() for part in text.replace("\n", ",").split(",")):
        if not item:
            continue
        kid, sep, encoded = item.partition(":")
        kid = kid.strip()
        if not sep or not kid or not encoded.strip():
            raise KeyConfigError(f"key {n + 1} of KINTONE_MCP_REMOTE_KEYS is not KID:BASE64URL")
        try:
            secret = base64.urlsafe_b64decode(encoded.strip() + "=" * (-len(encoded.strip()) % 4))
        except (binascii.Error, ValueError):
            raise KeyConfigError(f"key {kid!r} of KINTONE_MCP_REMOTE_KEYS is not base64url") from None
        if len(secret) != KEY_BYTES:
            raise KeyConfigError(
                f"key {kid!r} of KINTONE_MCP_REMOTE_KEYS is {len(secret)} bytes; each key must be {KEY_BYTES} "
                "random bytes, base64url (docs/remote.md shows how to make one)"
            )
        if any(k.kid == kid for k in keys):
            raise KeyConfigError(f"key id {kid!r} appears twice in KINTONE_MCP_REMOTE_KEYS")
        keys.append(SealingKey(kid, secret))
    if not keys:
        raise KeyConfigError("KINTONE_MCP_REMOTE_KEYS lists no key")
    return keys


def new_key_text(kid: str) -> str:
    import secrets

    return f"{kid}:" + base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode().rstrip("=")


class Sealer:
    """Seals claims of one ``kind`` with the first key and opens values sealed with any listed key."""

    def __init__(self, keys: Sequence[SealingKey], *, clock: Callable[[], float] = time.time) -> None:
        if not keys:
            raise KeyConfigError("no sealing key")
        self._current = keys[0]
        self._keys = KeySet([OctKey.import_key(k.secret, {"kid": k.kid}) for k in keys])
        self._kids = frozenset(k.kid for k in keys)
        self.clock = clock

    def __repr__(self) -> str:
        return f"Sealer(kids={sorted(self._kids)!r})"

    def seal(self, kind: str, claims: Mapping[str, Any], *, ttl: float) -> str:
        now = self.clock()
        body = {**claims, "knd": kind, "iat": int(now), "exp": now + ttl}
        header = {"alg": "dir", "enc": "A256GCM", "kid": self._current.kid}
        key = self._keys.get_by_kid(self._current.kid)
        return jwe.encrypt_compact(header, json.dumps(body, separators=(",", ":")).encode(), key)

    def open(self, kind: str, value: str) -> dict[str, Any]:
        """The claims of a value sealed as ``kind`` and not expired; SealError otherwise."""
        if not isinstance(value, str) or value.count(".") != 4 or len(value) > 16_384:
            raise SealError("not a value this server issued")
        try:
            header = json.loads(base64.urlsafe_b64decode(value.split(".", 1)[0] + "==="))
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise SealError("not a value this server issued") from None
        if not isinstance(header, dict) or header.get("alg") != "dir" or header.get("enc") != "A256GCM":
            raise SealError("not a value this server issued")
        if header.get("kid") not in self._kids:
            raise SealError("sealed with a key this server no longer has (or never had)")
        try:
            plain = jwe.decrypt_compact(value, self._keys).plaintext
            claims = json.loads(plain or b"")
        except (JoseError, ValueError, UnicodeDecodeError):
            raise SealError("not a value this server issued, or changed since") from None
        if not isinstance(claims, dict) or claims.get("knd") != kind:
            raise SealError(f"not a sealed {kind}")
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or exp <= self.clock():
            raise SealError(f"the {kind} has expired")
        return claims
