"""Member lists: built from the tools' codes, and merged with a space's current members (read, merge, write)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.tools.spaces._common import split_code, written

if TYPE_CHECKING:
    from kintone_mcp.client.models.spaces import SpaceMember


def member(code: str, *, admin: bool) -> SpaceMember:
    from kintone_mcp.client.models.spaces import MemberEntity, SpaceMember

    kind, bare = split_code(code)
    if not bare:
        raise ToolInputError(f"{code!r} names no user, organization or group.")
    # An organization's members include its child organizations' people, as in Kintone's own dialog.
    return SpaceMember(entity=MemberEntity(type=kind, code=bare), is_admin=admin, include_subs=kind == "ORGANIZATION")


def build(*, admins: list[str], members: list[str]) -> list[SpaceMember]:
    twice = sorted(set(admins) & set(members))
    if twice:
        raise ToolInputError(f"{', '.join(twice)} is in both admins and members; list each once (admins are "
                             "members too).")
    return [member(c, admin=True) for c in dict.fromkeys(admins)] + [
        member(c, admin=False) for c in dict.fromkeys(members)
    ]


def merge(
    current: list[SpaceMember], *, add: list[str], add_admins: list[str], remove: list[str], make_admin: list[str],
    remove_admin: list[str],
) -> list[SpaceMember]:
    """The members after the changes, every other member kept as it was. Refuses changes that name nobody in the
    space (a typo must not pass as done) and changes that contradict each other."""
    groups = {"add": add, "add_admins": add_admins, "remove": remove, "make_admin": make_admin,
              "remove_admin": remove_admin}
    seen: dict[str, str] = {}
    for arg, codes in groups.items():
        for code in codes:
            if code in seen and seen[code] != arg:
                raise ToolInputError(f"{code} is in both {seen[code]} and {arg}; say one thing per member.")
            seen[code] = arg
    by_code = {written(m.entity): m for m in current}
    present = [c for c in add + add_admins if c in by_code]
    if present:
        raise ToolInputError(f"Already members of the space: {', '.join(present)}. Use make_admin or remove_admin "
                             "to change their role.")
    absent = [c for c in remove + make_admin + remove_admin if c not in by_code]
    if absent:
        raise ToolInputError(f"Not members of the space: {', '.join(absent)}; get_space lists its members "
                             f"({', '.join(by_code) or 'none'}).")
    result = []
    for code, m in by_code.items():
        if code in remove:
            continue
        if code in make_admin or code in remove_admin:
            m = m.model_copy(update={"is_admin": code in make_admin})
        result.append(m)
    result += [member(c, admin=False) for c in add] + [member(c, admin=True) for c in add_admins]
    if not any(m.is_admin and m.entity.type == "USER" for m in result):
        raise ToolInputError("After these changes no user would be a space admin; Kintone requires one. Keep or "
                             "name a user admin (add_admins or make_admin).")
    return result
