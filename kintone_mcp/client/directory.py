"""cybozu.com User API lookups: users, organizations, groups, and who belongs where (``/v1/...``).

These calls use the connection's User API credentials (a User API token or password authentication), never app
API tokens, which the User API does not accept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kintone_mcp.client.connection import Connection
from kintone_mcp.client.decode import decode_list
from kintone_mcp.client.models.directory import Group, Organization, OrganizationTitle, User, UserTitle

#: the User API's page size limit
MAX_DIRECTORY_PAGE = 100


def _list(value: Sequence[Any] | None) -> list[Any] | None:
    return list(value) if value else None


class DirectoryMixin:
    """Part of :class:`~kintone_mcp.client.KintoneClient`."""

    _conn: Connection

    async def list_users(
        self,
        *,
        ids: Sequence[int] | None = None,
        codes: Sequence[str] | None = None,
        offset: int = 0,
        size: int = MAX_DIRECTORY_PAGE,
    ) -> list[User]:
        data = await self._conn.call(
            "GET", "user", "users", params={"ids": _list(ids), "codes": _list(codes), "offset": offset, "size": size}
        )
        return decode_list(User, data, "users", "the User API")

    async def list_all_users(self) -> list[User]:
        out: list[User] = []
        while True:
            page = await self.list_users(offset=len(out))
            out.extend(page)
            if len(page) < MAX_DIRECTORY_PAGE:
                return out

    async def list_organizations(
        self,
        *,
        ids: Sequence[int] | None = None,
        codes: Sequence[str] | None = None,
        offset: int = 0,
        size: int = MAX_DIRECTORY_PAGE,
    ) -> list[Organization]:
        data = await self._conn.call(
            "GET",
            "user",
            "organizations",
            params={"ids": _list(ids), "codes": _list(codes), "offset": offset, "size": size},
        )
        return decode_list(Organization, data, "organizations", "the User API")

    async def list_groups(
        self,
        *,
        ids: Sequence[int] | None = None,
        codes: Sequence[str] | None = None,
        offset: int = 0,
        size: int = MAX_DIRECTORY_PAGE,
    ) -> list[Group]:
        data = await self._conn.call(
            "GET", "user", "groups", params={"ids": _list(ids), "codes": _list(codes), "offset": offset, "size": size}
        )
        return decode_list(Group, data, "groups", "the User API")

    async def get_user_organizations(self, code: str) -> list[OrganizationTitle]:
        """The organizations a user (by login name) belongs to, with the user's title in each."""
        data = await self._conn.call("GET", "user", "user/organizations", params={"code": code})
        return decode_list(OrganizationTitle, data, "organizationTitles", "the User API")

    async def get_user_groups(self, code: str) -> list[Group]:
        data = await self._conn.call("GET", "user", "user/groups", params={"code": code})
        return decode_list(Group, data, "groups", "the User API")

    async def get_organization_users(
        self, code: str, *, offset: int = 0, size: int = MAX_DIRECTORY_PAGE
    ) -> list[UserTitle]:
        data = await self._conn.call(
            "GET", "user", "organization/users", params={"code": code, "offset": offset, "size": size}
        )
        return decode_list(UserTitle, data, "userTitles", "the User API")

    async def get_group_users(self, code: str, *, offset: int = 0, size: int = MAX_DIRECTORY_PAGE) -> list[User]:
        data = await self._conn.call(
            "GET", "user", "group/users", params={"code": code, "offset": offset, "size": size}
        )
        return decode_list(User, data, "users", "the User API")
