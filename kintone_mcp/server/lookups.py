"""What the connection can see, as lists a person picks from: apps (the app allow / deny lists applied), an app's
fields, views and process states, and users. Completions offer them and prompts resolve their arguments with them.

Each list is read from Kintone once per ``LookupCache.ttl`` per connection (``ServerState.lookups``). Matching
folds case, full-width / half-width forms (NFKC) and katakana / hiragana, so that "ｶｸﾆﾝ", "カクニン" and "かくにん"
find one another, and users match on their name readings too ("さとう" finds 佐藤).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kintone_mcp.client.errors import CredentialsMissingError, KintoneError
from kintone_mcp.server.fieldinfo import Properties
from kintone_mcp.server.policy import Policy
from kintone_mcp.server.state import ServerState

logger = logging.getLogger(__name__)

#: the User API has no name search: at most this many users are read for a list (as list_users scans)
MAX_USERS = 5000
_PAGE = 100


@dataclass(frozen=True)
class Choice:
    """One value a person can pick, and the texts typing matches it by (the value itself first)."""

    value: str
    keys: tuple[str, ...]


@dataclass(frozen=True)
class AppEntry:
    id: int
    name: str
    code: str = ""
    alias: str | None = None


# --- matching ---------------------------------------------------------------------------------------------------

_KATAKANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}


def fold(text: str) -> str:
    """The form typed text and names are compared in: NFKC (full-width Latin and half-width kana become the usual
    forms), case-folded, katakana as hiragana, without spaces (people type 佐藤太郎 for 佐藤 太郎)."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_KATAKANA)
    return "".join(folded.split())


def ranked(choices: Iterable[Choice], typed: str) -> list[str]:
    """The values of the choices that match ``typed``: those with a key starting with it first, then those with a key
    containing it, each group in the given order; every choice when nothing is typed. A value is listed once."""
    needle = fold(typed)
    starts: dict[str, None] = {}
    contains: dict[str, None] = {}
    for choice in choices:
        keys = [fold(k) for k in choice.keys if k]
        if any(k.startswith(needle) for k in keys):
            starts.setdefault(choice.value)
        elif any(needle in k for k in keys):
            contains.setdefault(choice.value)
    return list(starts) + [v for v in contains if v not in starts]


# --- apps -------------------------------------------------------------------------------------------------------


def names_id_or_alias(policy: Policy, text: str) -> bool:
    """Whether an app argument is an id or a configured alias (which the policy resolves), rather than a name."""
    return (text.isascii() and text.isdigit()) or text.casefold() in {a.casefold() for a in policy.aliases}


async def apps(state: ServerState) -> list[AppEntry]:
    """Every app this server may use: those the credentials list (guest spaces it knows included) that the app
    lists allow; with API tokens, which cannot list apps, the apps the configuration names."""
    cached: list[AppEntry] | None = state.lookups.get(("apps",))
    # An app create_app made since is read afresh rather than missing from the menu for a minute.
    if cached is not None and state.policy.created_apps <= {e.id for e in cached}:
        return cached
    client, policy = state.client, state.policy
    found: dict[int, tuple[str, str]] = {}
    try:
        for app in await client.list_all_apps(guest_space=None):
            found[app.app_id] = (app.name, app.code)
        for space in client.known_guest_spaces:
            try:
                for app in await client.list_all_apps(guest_space=space):
                    found.setdefault(app.app_id, (app.name, app.code))
            except KintoneError:
                continue
    except CredentialsMissingError:
        named = {*policy.aliases.values(), *(policy.allow_apps or ())}
        if policy.default_app is not None:
            named.add(policy.default_app)
        for app_id in sorted(named):
            try:
                app = await client.get_app(app_id)
            except KintoneError:
                continue  # not there, or not this token's: nothing to offer
            found[app.app_id] = (app.name, app.code)
    alias_of = {app_id: alias for alias, app_id in sorted(policy.aliases.items(), reverse=True)}
    entries = [
        AppEntry(id=app_id, name=name, code=code, alias=alias_of.get(app_id))
        for app_id, (name, code) in sorted(found.items())
        if policy.app_allowed(app_id)
    ]
    state.lookups.put(("apps",), entries)
    return entries


def app_choices(entries: Sequence[AppEntry], *, uri_safe: bool) -> list[Choice]:
    """Apps to pick. The value is what names the app best where it goes: its alias; else (in a prompt, which takes
    names) its name when no other app has it; else its id. A resource URI takes only an id or an alias."""
    names: dict[str, int] = {}
    for e in entries:
        names[fold(e.name)] = names.get(fold(e.name), 0) + 1
    aliases = {fold(e.alias) for e in entries if e.alias}
    out = []
    for e in entries:
        value = e.alias or str(e.id)
        name_is_unique = names[fold(e.name)] == 1 and fold(e.name) not in aliases and not e.name.strip().isdigit()
        if e.alias is None and not uri_safe and name_is_unique and e.name.strip():
            value = e.name
        out.append(Choice(value, (value, e.name, str(e.id), e.alias or "", e.code)))
    return out


# --- an app's fields, views and states -----------------------------------------------------------------------------


def field_choices(properties: Properties, types: frozenset[str] | None = None) -> list[Choice]:
    """The app's fields (of ``types``, when given) as field code choices, matched by code and label."""
    return [
        Choice(code, (code, str(prop.get("label", ""))))
        for code, prop in properties.items()
        if (types is None or prop.get("type") in types) and in_use(prop)
    ]


def in_use(prop: Mapping[str, Any]) -> bool:
    """False for the status and assignee fields of an app without process management: they hold nothing."""
    return prop.get("type") not in ("STATUS", "STATUS_ASSIGNEE") or bool(prop.get("enabled"))


async def views(state: ServerState, app_id: int) -> list[tuple[str, str]]:
    """The app's saved views in their order: (name, filter)."""
    key = ("views", app_id)
    cached: list[tuple[str, str]] | None = state.lookups.get(key)
    if cached is None:
        cached = [(v.name, v.filter_cond) for v in (await state.client.get_views(app_id)).ordered()]
        state.lookups.put(key, cached)
    return cached


async def process_states(state: ServerState, app_id: int) -> list[str]:
    """The app's process management states in order; empty when process management is off."""
    key = ("states", app_id)
    cached: list[str] | None = state.lookups.get(key)
    if cached is None:
        settings = await state.client.get_process_settings(app_id)
        cached = [s.name for s in settings.ordered_states()] if settings.enable else []
        state.lookups.put(key, cached)
    return cached


# --- users ------------------------------------------------------------------------------------------------------


async def users(state: ServerState) -> list[Choice]:
    """Users by code (the login name, what user fields and queries take), matched by code, name, name readings and
    email; empty when the connection has no User API credential (API tokens)."""
    if not state.options.user_api:
        return []
    cached: list[Choice] | None = state.lookups.get(("users",))
    if cached is not None:
        return cached
    out: list[Choice] = []
    scanned = 0
    while scanned < MAX_USERS:
        batch = await state.client.list_users(offset=scanned, size=_PAGE)
        scanned += len(batch)
        # Users who can no longer sign in are left out: an assignment to one would fail.
        out += [Choice(u.code, user_keys(u)) for u in batch if u.valid]
        if len(batch) < _PAGE:
            break
    state.lookups.put(("users",), out)
    return out


def user_keys(user: Any) -> tuple[str, ...]:
    readings = (user.sur_name_reading or "", user.given_name_reading or "")
    return (user.code, user.name, "".join(readings), readings[1], user.email or "")
