"""Continuation tokens for get_records: everything needed to fetch the next records, in one opaque string.

A model passes the token back as ``next`` and nothing else, so it cannot get the app, the query, the order, the
field list, the page size or the position subtly wrong between pages. The token is not a secret nor a capability:
it holds a query, and the server re-checks the app against the policy and the query against the app's fields when
it is used.

Position is kept as a record id when the order is by ``$id`` (keyset: exact however far the reader goes, and
insensitive to records added meanwhile), otherwise as an offset (Kintone caps offsets at 10,000).

The token travels in every paged answer and comes back in every call for the next page, so it is kept short: a
version character, then base64url of a JSON array of the values in a fixed order with the trailing defaults left
out (deflated first, marked by a different version character, when that is shorter, as for a long query). A
five-record page of two fields carries a 44-character token; the keyed-JSON form before it took 86.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from dataclasses import astuple, dataclass, fields

from kintone_mcp.server.errors import ToolInputError

#: The first character of a token: its format, plain or deflated.
_PLAIN, _DEFLATED = "3", "Z"
#: Always in the field list (get_records adds them), so not worth carrying.
_IDENTITY = ("$id", "$revision")
#: What ``fields`` holds for "every field, the system ones included" (``fields: ["*"]``).
ALL_FIELDS = ("*",)
DEFAULT_LIMIT = 20
DEFAULT_TEXT_CHARS = 1000


@dataclass(frozen=True)
class Continuation:
    # The order of the fields is the order in the token: the most often set first, so that defaults trail.
    app: int
    #: keyset: the last id returned (order by $id); None means offset paging
    after_id: int | None = None
    #: position of the next record in the whole result (records returned or skipped before it)
    seen: int = 0
    #: records per call, as the first call asked; a call with `next` may change it
    limit: int = DEFAULT_LIMIT
    #: None: every field but the system ones (get_records' default); ALL_FIELDS: every field; else these codes
    fields: tuple[str, ...] | None = None
    where: str = ""
    order: str = ""
    offset: int = 0
    max_text_chars: int = DEFAULT_TEXT_CHARS

    def check_types(self) -> None:
        """A token is text from the caller: a position spliced into the query (``$id > after_id``) must be a number,
        or an edited token could add conditions that were never checked against the app's fields."""

        def count(v: object, low: int = 0) -> bool:
            return isinstance(v, int) and not isinstance(v, bool) and v >= low

        fields_ok = self.fields is None or all(isinstance(f, str) for f in self.fields)
        if not (
            count(self.app, 1)
            and (self.after_id is None or count(self.after_id))
            and count(self.seen)
            and count(self.limit, 1)
            and count(self.offset)
            and count(self.max_text_chars, 1)
            and fields_ok
            and isinstance(self.where, str)
            and isinstance(self.order, str)
        ):
            raise ValueError("types")

    def encode(self) -> str:
        values = list(astuple(self))
        names = [f.name for f in fields(self)]
        if self.fields is not None and self.fields != ALL_FIELDS:
            values[names.index("fields")] = [f for f in self.fields if f not in _IDENTITY]
        defaults = [f.default for f in fields(self)]
        while len(values) > 1 and values[-1] == defaults[len(values) - 1]:
            values.pop()
        raw = json.dumps(values, separators=(",", ":"), ensure_ascii=False).encode()
        packed = zlib.compress(raw, 9)
        kind, body = (_DEFLATED, packed) if len(packed) < len(raw) else (_PLAIN, raw)
        return kind + base64.urlsafe_b64encode(body).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Continuation:
        try:
            kind, body = token[:1], base64.urlsafe_b64decode(token[1:] + "=" * (-len(token[1:]) % 4))
            if kind == _DEFLATED:
                body = zlib.decompress(body)
            elif kind != _PLAIN:
                raise ValueError("version")
            values = json.loads(body)
            if not isinstance(values, list) or not values or len(values) > len(fields(cls)):
                raise ValueError("shape")
            cont = cls(*values)
            if cont.fields is not None:
                listed = tuple(cont.fields)
                object.__setattr__(cont, "fields", listed if listed == ALL_FIELDS else (*_IDENTITY, *listed))
            cont.check_types()
            return cont
        except (ValueError, TypeError, KeyError, binascii.Error, zlib.error) as exc:
            raise ToolInputError(
                "`next` is not a continuation token from get_records (copy it exactly as returned), "
                "or it comes from another version of this server. Run the query again without `next`."
            ) from exc
