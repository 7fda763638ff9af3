"""Validating and applying User API writes: users, organizations, groups and memberships.

Request shapes follow cybozu.dev where it was read (POST users.json, PUT userOrganizations.json, PUT user/groups.json,
PUT group/users.json) and otherwise mirror the read objects [U]:

* ``POST users.json {users: [User-like objects]}`` (code, password and name required); ``PUT users.json`` the same
  with only ``code`` required (keys left out keep their value, null or "" clears); ``DELETE users.json {codes}``.
  ``primaryOrganization`` takes an organization code, or the id a read gives; the user joins that organization.
* ``POST/PUT organizations.json {organizations: [{code, name, localName, localNameLocale, parentCode,
  description}]}``, ``DELETE organizations.json {codes}``; groups alike with ``{code, name, description}``.
* ``PUT userOrganizations.json {userOrganizations: [{code, organizations: [{orgCode}]}]}`` replaces a user's
  organizations; ``PUT user/groups.json {code, groups: [group codes]}`` and ``PUT group/users.json {code,
  users: [login names]}`` replace group memberships. Titles are not modelled, so ``titleCode`` is refused.
* At most 100 entries per call (1,000 codes in the membership lists). Every problem in a request is reported at once
  as CB_VA01 with keys such as ``users[2].email``, and nothing is written unless all entries are valid.
* Read-only keys of the read objects (``id``, ``ctime``, ``mtime``) are accepted and ignored, so a read object can be
  sent back changed; other unknown keys are refused.

Every write answers ``{}``, as the documented ones do.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kintone_mcp.sandbox.errors import invalid_many
from kintone_mcp.sandbox.store import directory, directoryjson
from kintone_mcp.sandbox.store.directory import ADMIN_LOGIN, ADMINISTRATORS_GROUP, DEFAULT_TIMEZONE

MAX_ENTRIES = 100
MAX_MEMBERS = 1000
LOCALES: tuple[str, ...] = ("auto", "ja", "en", "zh", "zh-TW", "es", "pt-BR", "th")
_NAME_LOCALES = tuple(loc for loc in LOCALES if loc != "auto")
_READ_ONLY = frozenset({"id", "ctime", "mtime"})
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

#: Optional user strings and their documented maximum lengths.
_USER_STRINGS: dict[str, int] = {
    "surName": 64, "givenName": 64, "surNameReading": 64, "givenNameReading": 64, "localName": 128,
    "description": 1000, "phone": 100, "mobilePhone": 100, "extensionNumber": 100, "email": 256, "callto": 256,
    "url": 256, "employeeNumber": 100,
}
_USER_KEYS = frozenset(
    {"code", "password", "name", "valid", "timezone", "locale", "localNameLocale", "primaryOrganization",
     "birthDate", "joinDate", "sortOrder", "customItemValues", *_USER_STRINGS}
)
_ORG_KEYS = frozenset({"code", "name", "localName", "localNameLocale", "parentCode", "description"})
_GROUP_KEYS = frozenset({"code", "name", "description"})


class Problems:
    """Collects every validation problem of a request, to report them in one CB_VA01."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise invalid_many(self.errors)


def entries(params: Mapping[str, Any], name: str, limit: int = MAX_ENTRIES) -> list[Mapping[str, Any]]:
    """The array of objects a write sends under ``name`` (1..limit of them)."""
    value = params.get(name)
    problems = Problems()
    if not isinstance(value, list) or not value:
        problems.add(name, f"Required: send a non-empty array of objects under '{name}'.")
    elif len(value) > limit:
        problems.add(name, f"Specify at most {limit} entries per request; {len(value)} were sent.")
    else:
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                problems.add(f"{name}[{i}]", "Must be an object.")
    problems.raise_if_any()
    assert isinstance(value, list)
    return value


def code_list(params: Mapping[str, Any], name: str = "codes", limit: int = MAX_ENTRIES) -> list[str]:
    """A non-empty array of code strings (DELETE bodies)."""
    value = params.get(name)
    problems = Problems()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        problems.add(name, f"Required: send a non-empty array of codes under '{name}'.")
    elif len(value) > limit:
        problems.add(name, f"Specify at most {limit} codes per request; {len(value)} were sent.")
    else:
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                problems.add(f"{name}[{i}]", "Must be a non-empty string.")
    problems.raise_if_any()
    assert isinstance(value, list)
    return [str(v) for v in value]


def _check_code(problems: Problems, key: str, value: Any, *, what: str, login: bool = False) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems.add(key, f"Required: the {what} must be a non-empty string.")
        return None
    if len(value) > 128:
        problems.add(key, f"The {what} must be 128 characters or fewer.")
        return None
    if login and ":" in value:
        # X-Cybozu-Authorization is base64 of login:password, so a colon in the login could never authenticate.
        problems.add(key, "A login name cannot contain ':'.")
        return None
    return value


def _check_text(problems: Problems, key: str, value: Any, limit: int, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            problems.add(key, "Required: must be a non-empty string.")
        return None
    if not isinstance(value, str):
        problems.add(key, "Must be a string.")
        return None
    if required and not value.strip():
        problems.add(key, "Must not be blank.")
        return None
    if len(value) > limit:
        problems.add(key, f"Must be {limit} characters or fewer.")
        return None
    return value


def _unknown_keys(problems: Problems, prefix: str, item: Mapping[str, Any], allowed: frozenset[str]) -> None:
    for key in item:
        if key not in allowed and key not in _READ_ONLY:
            problems.add(f"{prefix}.{key}", f"Unknown key. Allowed keys: {', '.join(sorted(allowed))}.")


def _duplicates(problems: Problems, name: str, codes: Sequence[str | None]) -> None:
    seen: set[str] = set()
    for i, code in enumerate(codes):
        if code is None:
            continue
        if code in seen:
            problems.add(f"{name}[{i}].code", f"'{code}' appears more than once in this request.")
        seen.add(code)


# -- users ----------------------------------------------------------------------------------------------------------


@dataclass
class UserChange:
    code: str
    #: Users-table columns to set (name, timezone, locale, email, valid, primary_org).
    columns: dict[str, Any] = field(default_factory=dict)
    #: directory_details keys to set (None clears).
    details: dict[str, Any] = field(default_factory=dict)
    password: str | None = None


def _user_change(
    conn: sqlite3.Connection, problems: Problems, prefix: str, item: Mapping[str, Any], *, new: bool
) -> UserChange | None:
    _unknown_keys(problems, prefix, item, _USER_KEYS)
    code = _check_code(problems, f"{prefix}.code", item.get("code"), what="login name (code)", login=True)
    if code is None:
        return None
    if new and directory.exists(conn, "users", code):
        problems.add(f"{prefix}.code", f"The user '{code}' already exists; update it with PUT users.json.")
    if not new and not directory.exists(conn, "users", code):
        problems.add(f"{prefix}.code", f"The user '{code}' does not exist; add it with POST users.json.")
    change = UserChange(code)
    if new or "password" in item:
        change.password = _check_text(problems, f"{prefix}.password", item.get("password"), 64, required=True)
    if new or "name" in item:
        name = _check_text(problems, f"{prefix}.name", item.get("name"), 128, required=True)
        if name is not None:
            change.columns["name"] = name
    if "valid" in item:
        if isinstance(item["valid"], bool):
            change.columns["valid"] = int(item["valid"])
        else:
            problems.add(f"{prefix}.valid", "Must be true or false.")
    if "timezone" in item or new:
        tz = item.get("timezone") or DEFAULT_TIMEZONE
        try:
            ZoneInfo(str(tz))
            change.columns["timezone"] = str(tz)
        except (ZoneInfoNotFoundError, ValueError):
            problems.add(f"{prefix}.timezone", f"Unknown time zone {tz!r}; use an IANA name such as 'Asia/Tokyo'.")
    if "locale" in item or new:
        locale = item.get("locale") or "auto"
        if locale in LOCALES:
            change.columns["locale"] = locale
        else:
            problems.add(f"{prefix}.locale", f"Must be one of {', '.join(LOCALES)}.")
    for key, limit in _USER_STRINGS.items():
        if key in item:
            value = _check_text(problems, f"{prefix}.{key}", item[key], limit)
            if key == "email":
                change.columns["email"] = value or ""
            else:
                change.details[key] = value
    if item.get("localNameLocale") not in (None, ""):
        if item["localNameLocale"] in _NAME_LOCALES:
            change.details["localNameLocale"] = item["localNameLocale"]
        else:
            problems.add(f"{prefix}.localNameLocale", f"Must be one of {', '.join(_NAME_LOCALES)}.")
    elif "localNameLocale" in item:
        change.details["localNameLocale"] = None
    for key in ("birthDate", "joinDate"):
        if key in item:
            change.details[key] = _check_date(problems, f"{prefix}.{key}", item[key])
    if "sortOrder" in item:
        change.details["sortOrder"] = _check_sort_order(problems, f"{prefix}.sortOrder", item["sortOrder"])
    if "customItemValues" in item:
        change.details["customItemValues"] = _check_custom_items(
            problems, f"{prefix}.customItemValues", item["customItemValues"]
        )
    if "primaryOrganization" in item:
        change.columns["primary_org"] = _check_primary(
            conn, problems, f"{prefix}.primaryOrganization", item["primaryOrganization"]
        )
    return change


def _check_date(problems: Problems, key: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and _DATE.match(value):
        try:
            date.fromisoformat(value)
            return value
        except ValueError:
            pass
    problems.add(key, "Must be a date in YYYY-MM-DD form (or null).")
    return None


def _check_sort_order(problems: Problems, key: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
        problems.add(key, "Must be a whole number of 0 or more (or null).")
        return None
    number = int(value)
    if number < 0:
        problems.add(key, "Must be a whole number of 0 or more (or null).")
        return None
    return number


def _check_custom_items(problems: Problems, key: str, value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(key, "Must be an array of {code, value} objects.")
        return []
    items: list[dict[str, Any]] = []
    for i, item in enumerate(value):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("code"), str)
            or not item["code"]
            or not isinstance(item.get("value"), str | None)
        ):
            problems.add(f"{key}[{i}]", "Must be an object {code: string, value: string or null}.")
            continue
        items.append({"code": item["code"], "value": item.get("value")})
    return items


def _check_primary(conn: sqlite3.Connection, problems: Problems, key: str, value: Any) -> str | None:
    """An organization code, or an organization id as reads give it ("3" or 3) -> the organization's code.

    A code wins over an id with the same text, so a read object sent back unchanged keeps its organization.
    """
    if value is None or value == "":
        return None
    row = None
    if isinstance(value, str):
        row = conn.execute("SELECT code FROM organizations WHERE code = ?", (value,)).fetchone()
    if row is None and not isinstance(value, bool) and str(value).isdigit():
        row = conn.execute("SELECT code FROM organizations WHERE id = ?", (int(value),)).fetchone()
    if row is None:
        problems.add(key, f"No organization with code (or id) {value!r}; add it first with POST organizations.json.")
        return None
    return str(row["code"])


def validate_users(conn: sqlite3.Connection, items: Sequence[Mapping[str, Any]], *, new: bool) -> list[UserChange]:
    problems = Problems()
    changes = [_user_change(conn, problems, f"users[{i}]", item, new=new) for i, item in enumerate(items)]
    _duplicates(problems, "users", [c.code if c else None for c in changes])
    for i, change in enumerate(changes):
        if change is not None and change.code == ADMIN_LOGIN and change.columns.get("valid") == 0:
            problems.add(f"users[{i}].valid", "The Administrator user cannot be deactivated in this sandbox.")
    problems.raise_if_any()
    return [c for c in changes if c is not None]


def apply_users(conn: sqlite3.Connection, changes: Sequence[UserChange], *, new: bool, now: str) -> None:
    for change in changes:
        cols = change.columns
        if new:
            assert change.password is not None
            directory.upsert_user(
                conn, change.code, change.password, name=cols["name"], now=now, timezone=cols["timezone"],
                email=cols.get("email", ""),
            )
        elif change.password is not None:
            directory.upsert_user(conn, change.code, change.password, name=None, now=now)
        if cols:
            assignments = ", ".join(f"{column} = ?" for column in cols)
            conn.execute(
                f"UPDATE users SET {assignments}, mtime = ? WHERE code = ?", (*cols.values(), now, change.code)
            )
        if cols.get("primary_org"):
            directory.add_org_member(conn, cols["primary_org"], change.code)
        if change.details:
            directoryjson.update_details(conn, "user", change.code, change.details)
        if not new:
            conn.execute("UPDATE users SET mtime = ? WHERE code = ?", (now, change.code))


def validate_user_deletion(conn: sqlite3.Connection, codes: Sequence[str]) -> None:
    problems = Problems()
    for i, code in enumerate(codes):
        if code == ADMIN_LOGIN:
            problems.add(f"codes[{i}]", "The Administrator user cannot be deleted in this sandbox.")
        elif not directory.exists(conn, "users", code):
            problems.add(f"codes[{i}]", f"The user '{code}' does not exist.")
    problems.raise_if_any()


def delete_users(conn: sqlite3.Connection, codes: Sequence[str]) -> None:
    # Records keep the codes of deleted users (as Kintone shows them), so only the directory entries go.
    for code in codes:
        conn.execute("DELETE FROM org_users WHERE user_code = ?", (code,))
        conn.execute("DELETE FROM group_users WHERE user_code = ?", (code,))
        directoryjson.delete_details(conn, "user", code)
        conn.execute("DELETE FROM users WHERE code = ?", (code,))


# -- organizations --------------------------------------------------------------------------------------------------


@dataclass
class OrgChange:
    code: str
    name: str | None = None
    #: parent code; only meaningful when ``parent_given``.
    parent: str | None = None
    parent_given: bool = False
    details: dict[str, Any] = field(default_factory=dict)


def validate_organizations(
    conn: sqlite3.Connection, items: Sequence[Mapping[str, Any]], *, new: bool
) -> list[OrgChange]:
    problems = Problems()
    changes: list[OrgChange | None] = []
    created: set[str] = set()
    for i, item in enumerate(items):
        prefix = f"organizations[{i}]"
        _unknown_keys(problems, prefix, item, _ORG_KEYS)
        code = _check_code(problems, f"{prefix}.code", item.get("code"), what="organization code (code)")
        if code is None:
            changes.append(None)
            continue
        if new and directory.exists(conn, "organizations", code):
            problems.add(f"{prefix}.code", f"The organization '{code}' already exists; update it with PUT.")
        if not new and not directory.exists(conn, "organizations", code):
            problems.add(f"{prefix}.code", f"The organization '{code}' does not exist; add it with POST.")
        change = OrgChange(code)
        if new or "name" in item:
            change.name = _check_text(problems, f"{prefix}.name", item.get("name"), 128, required=True)
        if "localName" in item:
            change.details["localName"] = _check_text(problems, f"{prefix}.localName", item["localName"], 128)
        if "description" in item:
            change.details["description"] = _check_text(
                problems, f"{prefix}.description", item["description"], 1000
            )
        if "localNameLocale" in item:
            locale = item["localNameLocale"]
            if locale in (None, "") or locale in _NAME_LOCALES:
                change.details["localNameLocale"] = locale or None
            else:
                problems.add(f"{prefix}.localNameLocale", f"Must be one of {', '.join(_NAME_LOCALES)}.")
        if "parentCode" in item:
            change.parent_given = True
            parent = item["parentCode"]
            if parent in (None, ""):
                change.parent = None
            elif not isinstance(parent, str):
                problems.add(f"{prefix}.parentCode", "Must be an organization code (a string) or null.")
            elif parent == code:
                problems.add(f"{prefix}.parentCode", "An organization cannot be its own parent.")
            elif parent not in created and not directory.exists(conn, "organizations", parent):
                problems.add(
                    f"{prefix}.parentCode",
                    f"No organization '{parent}'; add parents first (earlier in the same request is fine).",
                )
            else:
                change.parent = parent
        created.add(code)
        changes.append(change)
    _duplicates(problems, "organizations", [c.code if c else None for c in changes])
    if not new:
        _check_cycles(conn, problems, [c for c in changes if c is not None])
    problems.raise_if_any()
    return [c for c in changes if c is not None]


def _check_cycles(conn: sqlite3.Connection, problems: Problems, changes: Sequence[OrgChange]) -> None:
    parents = {r["code"]: r["parent_code"] for r in conn.execute("SELECT code, parent_code FROM organizations")}
    for change in changes:
        if change.parent_given:
            parents[change.code] = change.parent
    for i, change in enumerate(changes):
        seen = {change.code}
        current = parents.get(change.code)
        while current is not None:
            if current in seen:
                problems.add(
                    f"organizations[{i}].parentCode",
                    f"Making '{change.parent}' the parent of '{change.code}' would create a cycle.",
                )
                break
            seen.add(current)
            current = parents.get(current)


def apply_organizations(conn: sqlite3.Connection, changes: Sequence[OrgChange], *, new: bool) -> None:
    for change in changes:
        if new:
            assert change.name is not None
            directory.add_organization(conn, change.code, change.name, change.parent)
        else:
            if change.name is not None:
                conn.execute("UPDATE organizations SET name = ? WHERE code = ?", (change.name, change.code))
            if change.parent_given:
                conn.execute("UPDATE organizations SET parent_code = ? WHERE code = ?", (change.parent, change.code))
        if change.details:
            directoryjson.update_details(conn, "organization", change.code, change.details)


def validate_organization_deletion(conn: sqlite3.Connection, codes: Sequence[str]) -> None:
    problems = Problems()
    doomed = set(codes)
    for i, code in enumerate(codes):
        if not directory.exists(conn, "organizations", code):
            problems.add(f"codes[{i}]", f"The organization '{code}' does not exist.")
            continue
        children = [
            r["code"] for r in conn.execute("SELECT code FROM organizations WHERE parent_code = ?", (code,))
            if r["code"] not in doomed
        ]
        if children:
            problems.add(
                f"codes[{i}]",
                f"The organization '{code}' has child organizations ({', '.join(children)}): delete or move them "
                "first (or delete them in the same request).",
            )
    problems.raise_if_any()


def delete_organizations(conn: sqlite3.Connection, codes: Sequence[str]) -> None:
    for code in codes:
        conn.execute("DELETE FROM org_users WHERE org_code = ?", (code,))
        conn.execute("UPDATE users SET primary_org = NULL WHERE primary_org = ?", (code,))
        directoryjson.delete_details(conn, "organization", code)
        conn.execute("DELETE FROM organizations WHERE code = ?", (code,))


# -- groups ---------------------------------------------------------------------------------------------------------


@dataclass
class GroupChange:
    code: str
    name: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def validate_groups(conn: sqlite3.Connection, items: Sequence[Mapping[str, Any]], *, new: bool) -> list[GroupChange]:
    problems = Problems()
    changes: list[GroupChange | None] = []
    for i, item in enumerate(items):
        prefix = f"groups[{i}]"
        _unknown_keys(problems, prefix, item, _GROUP_KEYS)
        code = _check_code(problems, f"{prefix}.code", item.get("code"), what="group code (code)")
        if code is None:
            changes.append(None)
            continue
        if new and directory.exists(conn, "groups", code):
            problems.add(f"{prefix}.code", f"The group '{code}' already exists; update it with PUT.")
        if not new and not directory.exists(conn, "groups", code):
            problems.add(f"{prefix}.code", f"The group '{code}' does not exist; add it with POST.")
        change = GroupChange(code)
        if new or "name" in item:
            change.name = _check_text(problems, f"{prefix}.name", item.get("name"), 128, required=True)
        if "description" in item:
            change.details["description"] = _check_text(
                problems, f"{prefix}.description", item["description"], 1000
            )
        changes.append(change)
    _duplicates(problems, "groups", [c.code if c else None for c in changes])
    problems.raise_if_any()
    return [c for c in changes if c is not None]


def apply_groups(conn: sqlite3.Connection, changes: Sequence[GroupChange], *, new: bool) -> None:
    for change in changes:
        if new:
            assert change.name is not None
            directory.add_group(conn, change.code, change.name, [])
        elif change.name is not None:
            conn.execute("UPDATE groups SET name = ? WHERE code = ?", (change.name, change.code))
        if change.details:
            directoryjson.update_details(conn, "group", change.code, change.details)


def validate_group_deletion(conn: sqlite3.Connection, codes: Sequence[str]) -> None:
    problems = Problems()
    for i, code in enumerate(codes):
        if code == ADMINISTRATORS_GROUP:
            problems.add(f"codes[{i}]", "The Administrators group is built in and cannot be deleted.")
        elif not directory.exists(conn, "groups", code):
            problems.add(f"codes[{i}]", f"The group '{code}' does not exist.")
    problems.raise_if_any()


def delete_groups(conn: sqlite3.Connection, codes: Sequence[str]) -> None:
    for code in codes:
        conn.execute("DELETE FROM group_users WHERE group_code = ?", (code,))
        directoryjson.delete_details(conn, "group", code)
        conn.execute("DELETE FROM groups WHERE code = ?", (code,))


# -- memberships ----------------------------------------------------------------------------------------------------


def validate_user_organizations(
    conn: sqlite3.Connection, items: Sequence[Mapping[str, Any]]
) -> list[tuple[str, list[str]]]:
    """``[{code, organizations: [{orgCode} | "orgCode"]}]`` -> [(login, [org codes])]."""
    problems = Problems()
    result: list[tuple[str, list[str]]] = []
    for i, item in enumerate(items):
        prefix = f"userOrganizations[{i}]"
        _unknown_keys(problems, prefix, item, frozenset({"code", "organizations"}))
        code = _check_code(problems, f"{prefix}.code", item.get("code"), what="login name (code)")
        if code is not None and not directory.exists(conn, "users", code):
            problems.add(f"{prefix}.code", f"The user '{code}' does not exist.")
        orgs = item.get("organizations")
        if not isinstance(orgs, list):
            problems.add(f"{prefix}.organizations", "Required: an array of {orgCode} objects ([] for none).")
            continue
        if len(orgs) > MAX_ENTRIES:
            problems.add(f"{prefix}.organizations", f"Specify at most {MAX_ENTRIES} organizations.")
            continue
        codes: list[str] = []
        for j, org in enumerate(orgs):
            key = f"{prefix}.organizations[{j}]"
            org_code = org.get("orgCode") if isinstance(org, dict) else org
            if isinstance(org, dict) and org.get("titleCode") not in (None, ""):
                problems.add(f"{key}.titleCode", "Titles are not modelled in this sandbox; leave titleCode out.")
            if not isinstance(org_code, str) or not org_code:
                problems.add(key, "Must be an object {orgCode: string}.")
            elif not directory.exists(conn, "organizations", org_code):
                problems.add(f"{key}.orgCode", f"No organization '{org_code}'.")
            elif org_code not in codes:
                codes.append(org_code)
        if code is not None:
            result.append((code, codes))
    _duplicates(problems, "userOrganizations", [c for c, _ in result])
    problems.raise_if_any()
    return result


def set_user_organizations(conn: sqlite3.Connection, user: str, orgs: Sequence[str], *, now: str) -> None:
    conn.execute("DELETE FROM org_users WHERE user_code = ?", (user,))
    conn.executemany("INSERT INTO org_users(org_code, user_code) VALUES (?, ?)", [(o, user) for o in orgs])
    # The primary organization must stay one the user belongs to: keep it if still listed, else the first one.
    row = conn.execute("SELECT primary_org FROM users WHERE code = ?", (user,)).fetchone()
    if row is not None and row["primary_org"] not in orgs:
        conn.execute("UPDATE users SET primary_org = ? WHERE code = ?", (orgs[0] if orgs else None, user))
    conn.execute("UPDATE users SET mtime = ? WHERE code = ?", (now, user))


def validate_members(
    conn: sqlite3.Connection,
    params: Mapping[str, Any],
    *,
    owner_table: str,
    owner_what: str,
    list_key: str,
    member_table: str,
    member_what: str,
) -> tuple[str, list[str]]:
    """``{code, <list_key>: [codes]}`` for PUT user/groups.json and PUT group/users.json."""
    problems = Problems()
    code = _check_code(problems, "code", params.get("code"), what=owner_what)
    if code is not None and not directory.exists(conn, owner_table, code):
        problems.add("code", f"No {owner_what.split(' (')[0]} '{code}'.")
    members = params.get(list_key)
    result: list[str] = []
    if not isinstance(members, list):
        problems.add(list_key, f"Required: an array of {member_what}s ([] for none).")
    elif len(members) > MAX_MEMBERS:
        problems.add(list_key, f"Specify at most {MAX_MEMBERS} entries.")
    else:
        for i, member in enumerate(members):
            if not isinstance(member, str) or not member:
                problems.add(f"{list_key}[{i}]", f"Must be a {member_what} (a string).")
            elif not directory.exists(conn, member_table, member):
                problems.add(f"{list_key}[{i}]", f"No {member_what} '{member}'.")
            elif member not in result:
                result.append(member)
    problems.raise_if_any()
    assert code is not None
    return code, result
