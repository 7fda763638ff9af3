"""Guest users and the guest members of guest spaces: POST / DELETE guests.json and PUT space/guests.json —
docs/kintone-api.md §4.6.

* ``guests.json`` has no guest-space form (§1) and needs a cybozu.com administrator; a guest's code is their e-mail
  address. Guests cannot sign in to the sandbox: they exist to be guest members.
* ``PUT space/guests.json`` (on the guest space's own path) replaces the space's guest members with the list given;
  a code that is not a guest user is refused whole. Kintone documents no way to read them back:
  ``GET space/members.json`` leaves guests out, and so does the sandbox.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kintone_mcp.sandbox.endpoints.spaces import load_visible
from kintone_mcp.sandbox.errors import ErrorReply, invalid
from kintone_mcp.sandbox.http.routing import RequestContext, Router
from kintone_mcp.sandbox.store import spaces

router = Router()

MAX_GUESTS = 100
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _admin_only(ctx: RequestContext) -> None:
    if not ctx.is_admin:
        raise ErrorReply(403, "CB_NO02", "No privilege to proceed: only a cybozu.com administrator manages guests.")


@router.route("POST", "guests.json", tokens=False)
def add_guests(ctx: RequestContext) -> dict[str, Any]:
    _admin_only(ctx)
    raw = ctx.params.require("guests")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_GUESTS:
        raise invalid("guests", f"Specify 1 to {MAX_GUESTS} guests.")
    for i, guest in enumerate(raw):
        code = guest.get("code") if isinstance(guest, Mapping) else None
        if not isinstance(code, str) or not _EMAIL.match(code):
            raise invalid(f"guests[{i}].code", "Specify the guest's e-mail address.")
        if spaces.guest_exists(ctx.conn, code):
            raise invalid(f"guests[{i}].code", f"The guest {code} already exists.")
        name = guest.get("name")
        if not isinstance(name, str) or not name.strip():
            raise invalid(f"guests[{i}].name", "Required field.")
        spaces.add_guest(ctx.conn, code, name, now=ctx.services.now_text())
    return {}


@router.route("DELETE", "guests.json", tokens=False)
def delete_guests(ctx: RequestContext) -> dict[str, Any]:
    _admin_only(ctx)
    codes = ctx.params.require("guests")
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise invalid("guests", "Specify the guests' e-mail addresses.")
    spaces.delete_guests(ctx.conn, codes)
    return {}


@router.route("PUT", "space/guests.json", tokens=False)
def update_space_guests(ctx: RequestContext) -> dict[str, Any]:
    space = load_visible(ctx, ctx.params.require_int("id"), admin=True)
    if not space.is_guest:
        raise invalid("id", f"Space {space.id} is not a guest space; only guest spaces have guest members.")
    codes = ctx.params.require("guests")
    if not isinstance(codes, list) or len(codes) > MAX_GUESTS:
        raise invalid("guests", f"Specify at most {MAX_GUESTS} guests' e-mail addresses.")
    for i, code in enumerate(codes):
        if not isinstance(code, str) or not spaces.guest_exists(ctx.conn, code):
            raise invalid(f"guests[{i}]", f"{code!r} is not a guest user: add guests with guests.json first.")
    spaces.set_guests(ctx.conn, space.id, list(dict.fromkeys(codes)))
    return {}
