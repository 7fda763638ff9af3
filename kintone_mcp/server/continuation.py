"""Continuation tokens for get_records: everything needed to fetch the next records, in one opaque string.

A model passes the token back as ``next`` and nothing else, so it cannot get the query, the field list or the
position subtly wrong between pages. The token is not a secret nor a capability: it holds a query, and the server
re-checks the app against the policy and the query against the app's fields when it is used.

Position is kept as a record id when the order is by ``$id`` (keyset: exact however far the reader goes, and
insensitive to records added meanwhile), otherwise as an offset (Kintone caps offsets at 10,000).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict, dataclass

from kintone_mcp.server.errors import ToolInputError

_VERSION = 2
#: Short keys: the token travels in every paged answer and comes back in every call for the next page.
_KEYS = {
    "app": "a", "where": "w", "order": "o", "fields": "f", "max_text_chars": "m",
    "after_id": "i", "offset": "n", "seen": "s",
}  # fmt: skip
_NAMES = {short: name for name, short in _KEYS.items()}
#: Left out of the token when they have these values.
_OMITTED = {"where": "", "order": "", "fields": None, "after_id": None, "offset": 0, "seen": 0}
#: Always in the field list (get_records adds them), so not worth carrying.
_IDENTITY = ("$id", "$revision")


@dataclass(frozen=True)
class Continuation:
    app: int
    where: str
    order: str
    fields: list[str] | None
    max_text_chars: int
    #: keyset: the last id returned (order by $id); None means offset paging
    after_id: int | None = None
    offset: int = 0
    #: position of the next record in the whole result (records returned or skipped before it)
    seen: int = 0

    def encode(self) -> str:
        values = asdict(self)
        if values["fields"] is not None:
            values["fields"] = [f for f in values["fields"] if f not in _IDENTITY]
        data = {"v": _VERSION}
        data.update({_KEYS[k]: v for k, v in values.items() if k not in _OMITTED or v != _OMITTED[k]})
        raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Continuation:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            data = json.loads(raw)
            if not isinstance(data, dict) or data.pop("v") != _VERSION:
                raise ValueError("version")
            values = {**_OMITTED, **{_NAMES[k]: v for k, v in data.items()}}
            if values["fields"] is not None:
                values["fields"] = [*_IDENTITY, *values["fields"]]
            return cls(**values)
        except (ValueError, TypeError, KeyError, binascii.Error) as exc:
            raise ToolInputError(
                "`next` is not a continuation token from get_records (copy it exactly as returned), "
                "or it comes from another version of this server. Run the query again without `next`."
            ) from exc
