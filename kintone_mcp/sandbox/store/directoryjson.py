"""The User API's objects (User, Organization, Group) as JSON, from the directory tables.

``users`` / ``organizations`` / ``groups`` hold what the rest of the sandbox needs (codes, names, time zones,
memberships); the remaining documented attributes (surName, phone, birthDate, …) live as one JSON object per entry in
``directory_details``, so that the core tables stay as they are. Unset strings come out as null, as the User API
documents (docs/kintone-api.md §4.7). Ids are strings, as everywhere else in Kintone's JSON (their type is [U]).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

Kind = Literal["user", "organization", "group"]

#: User attributes kept in ``directory_details`` (strings unless noted), in the documented key order.
USER_DETAIL_STRINGS: tuple[str, ...] = (
    "surName", "givenName", "surNameReading", "givenNameReading", "localName", "localNameLocale",
)
USER_CONTACT_STRINGS: tuple[str, ...] = (
    "description", "phone", "mobilePhone", "extensionNumber",
)
USER_MORE_STRINGS: tuple[str, ...] = ("callto", "url", "employeeNumber")
USER_DATES: tuple[str, ...] = ("birthDate", "joinDate")


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def load_details(conn: sqlite3.Connection, kind: Kind, codes: Iterable[str]) -> dict[str, dict[str, Any]]:
    wanted = list(dict.fromkeys(codes))
    found: dict[str, dict[str, Any]] = {}
    # Chunked: SQLite limits the number of bound parameters.
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(
            f"SELECT code, data FROM directory_details WHERE kind = ? AND code IN ({marks})", (kind, *chunk)
        ):
            found[row["code"]] = json.loads(row["data"])
    return found


def update_details(conn: sqlite3.Connection, kind: Kind, code: str, changes: Mapping[str, Any]) -> None:
    """Set ``changes`` over the stored details of ``code``; None, "" and [] clear a key."""
    current = load_details(conn, kind, [code]).get(code, {})
    kept = {k: v for k, v in {**current, **changes}.items() if v is not None and v != "" and v != []}
    if not kept:
        delete_details(conn, kind, code)
        return
    conn.execute(
        "INSERT INTO directory_details(kind, code, data) VALUES (?, ?, ?)"
        " ON CONFLICT(kind, code) DO UPDATE SET data = excluded.data",
        (kind, code, json.dumps(kept, ensure_ascii=False)),
    )


def delete_details(conn: sqlite3.Connection, kind: Kind, code: str) -> None:
    conn.execute("DELETE FROM directory_details WHERE kind = ? AND code = ?", (kind, code))


def _listing(
    conn: sqlite3.Connection,
    select: str,
    alias: str,
    kind: Kind,
    to_json: Callable[[sqlite3.Row, Mapping[str, Any]], dict[str, Any]],
    where: str,
    params: Sequence[Any],
    offset: int,
    size: int | None,
) -> list[dict[str, Any]]:
    """The rows of ``select`` matching ``where``, ordered by id (a page of them with ``size``), with their details."""
    limit = "" if size is None else f" LIMIT {int(size)} OFFSET {int(offset)}"
    rows = conn.execute(f"{select} WHERE {where} ORDER BY {alias}.id{limit}", tuple(params)).fetchall()
    details = load_details(conn, kind, (r["code"] for r in rows))
    return [to_json(r, details.get(r["code"], {})) for r in rows]


# -- users ----------------------------------------------------------------------------------------------------------


_USER_SELECT = (
    "SELECT u.id, u.code, u.name, u.timezone, u.locale, u.primary_org, u.email, u.valid, u.ctime, u.mtime,"
    " o.id AS primary_org_id FROM users u LEFT JOIN organizations o ON o.code = u.primary_org"
)


def user_json(row: sqlite3.Row, details: Mapping[str, Any]) -> dict[str, Any]:
    d = details
    body: dict[str, Any] = {
        "id": str(row["id"]),
        "code": row["code"],
        "ctime": row["ctime"],
        "mtime": row["mtime"],
        "valid": bool(row["valid"]),
        "name": row["name"],
    }
    body.update({key: _text(d.get(key)) for key in USER_DETAIL_STRINGS})
    body["timezone"] = row["timezone"]
    body["locale"] = _text(row["locale"])
    body.update({key: _text(d.get(key)) for key in USER_CONTACT_STRINGS})
    body["email"] = _text(row["email"])
    body.update({key: _text(d.get(key)) for key in USER_MORE_STRINGS})
    body.update({key: _text(d.get(key)) for key in USER_DATES})
    body["primaryOrganization"] = None if row["primary_org_id"] is None else str(row["primary_org_id"])
    sort_order = d.get("sortOrder")
    body["sortOrder"] = None if sort_order is None else int(sort_order)
    body["customItemValues"] = [
        {"code": str(item["code"]), "value": _text(item.get("value"))} for item in d.get("customItemValues", [])
    ]
    return body


def users(
    conn: sqlite3.Connection,
    where: str = "1",
    params: Sequence[Any] = (),
    *,
    offset: int = 0,
    size: int | None = None,
) -> list[dict[str, Any]]:
    """Users matching ``where`` (over alias ``u``), ordered by id, as User objects."""
    return _listing(conn, _USER_SELECT, "u", "user", user_json, where, params, offset, size)


# -- organizations and groups ---------------------------------------------------------------------------------------


def organization_json(row: sqlite3.Row, details: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "code": row["code"],
        "name": row["name"],
        "localName": _text(details.get("localName")),
        "localNameLocale": _text(details.get("localNameLocale")),
        "parentCode": row["parent_code"],
        "description": _text(details.get("description")),
    }


def organizations(
    conn: sqlite3.Connection,
    where: str = "1",
    params: Sequence[Any] = (),
    *,
    offset: int = 0,
    size: int | None = None,
) -> list[dict[str, Any]]:
    """Organizations matching ``where`` (over alias ``o``), ordered by id."""
    select = "SELECT o.id, o.code, o.name, o.parent_code FROM organizations o"
    return _listing(conn, select, "o", "organization", organization_json, where, params, offset, size)


def group_json(row: sqlite3.Row, details: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "code": row["code"],
        "name": row["name"],
        "description": _text(details.get("description")),
    }


def groups(
    conn: sqlite3.Connection,
    where: str = "1",
    params: Sequence[Any] = (),
    *,
    offset: int = 0,
    size: int | None = None,
) -> list[dict[str, Any]]:
    """Groups matching ``where`` (over alias ``g``), ordered by id."""
    select = "SELECT g.id, g.code, g.name FROM groups g"
    return _listing(conn, select, "g", "group", group_json, where, params, offset, size)
