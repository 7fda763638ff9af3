"""Spaces, their members and threads, and cross search: password authentication only (docs/kintone-api.md §2.2).

A guest space's own APIs answer on its guest path. Which spaces are guest spaces is learnt as for apps
(``client/spaces.py``): a call goes to the normal path unless the space is known to be a guest space, and Kintone's
refusal of a guest space there (400 GAIA_IL23, as the sandbox answers; Kintone's code is unmeasured [U]) sends it
once more on the guest path, which is then remembered. The refusal comes before anything is done, so resending a
write is safe.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kintone_mcp.client.connection import Connection
from kintone_mcp.client.decode import decode
from kintone_mcp.client.errors import ApiError
from kintone_mcp.client.models.comments import Mention
from kintone_mcp.client.models.spaces import SearchPage, Space, SpaceMember
from kintone_mcp.client.spaces import GUEST_APP_ON_NORMAL_PATH


class SpacesMixin:
    """Part of :class:`~kintone_mcp.client.KintoneClient`."""

    _conn: Connection

    async def _space_call(
        self, method: str, endpoint: str, space: int, *, params: Mapping[str, Any] | None = None,
        body: Any = None, idempotent: bool | None = None,
    ) -> Any:
        spaces = self._conn.spaces
        path: int | None = space if spaces.is_guest(space) else None
        try:
            return await self._conn.call(method, "rest", endpoint, params=params, body=body, space=path,
                                         idempotent=idempotent)
        except ApiError as exc:
            if path is not None or exc.code != GUEST_APP_ON_NORMAL_PATH:
                raise
        spaces.mark_guest(space)
        return await self._conn.call(method, "rest", endpoint, params=params, body=body, space=space,
                                     idempotent=idempotent)

    async def get_space(self, space: int) -> Space:
        data = await self._space_call("GET", "space", space, params={"id": space})
        return decode(Space, data, f"space {space}")

    async def get_space_members(self, space: int) -> list[SpaceMember]:
        data = await self._space_call("GET", "space/members", space, params={"id": space})
        return [decode(SpaceMember, m, f"the members of space {space}") for m in data.get("members", [])]

    async def update_space_members(self, space: int, members: Sequence[SpaceMember]) -> None:
        """Replaces the members (and admins) of a space with ``members``: Kintone takes the whole list."""
        body = {"id": space, "members": [m.request() for m in members]}
        await self._space_call("PUT", "space/members", space, body=body, idempotent=True)

    async def update_space(self, space: int, **settings: Any) -> None:
        """PUT space.json with settings in Kintone's names (``name``, ``isPrivate``, ``showThreadList``...)."""
        await self._space_call("PUT", "space", space, body={"id": space, **settings}, idempotent=True)

    async def update_space_body(self, space: int, body: str) -> None:
        await self._space_call("PUT", "space/body", space, body={"id": space, "body": body}, idempotent=True)

    async def delete_space(self, space: int) -> None:
        await self._space_call("DELETE", "space", space, body={"id": space}, idempotent=False)

    async def update_space_guests(self, space: int, guests: Sequence[str]) -> None:
        """Replaces the guest members of a guest space (e-mail addresses). Kintone gives no way to read them back:
        ``get_space_members`` leaves guests out."""
        await self._space_call("PUT", "space/guests", space, body={"id": space, "guests": list(guests)},
                               idempotent=True)

    async def add_guests(self, guests: Sequence[Mapping[str, Any]]) -> None:
        """Creates guest users (``{code: e-mail, password, timezone, name, ...}``); normal path only."""
        await self._conn.call("POST", "rest", "guests", body={"guests": list(guests)}, space=None, idempotent=False)

    async def create_space_from_template(
        self, template: int, name: str, members: Sequence[SpaceMember], *, private: bool = False,
        guest: bool = False, fixed_member: bool = False,
    ) -> int:
        """A new space from a space template (``template/space.json``, normal path only); returns its id."""
        body = {"id": template, "name": name, "members": [m.request() for m in members], "isPrivate": private,
                "isGuest": guest, "fixedMember": fixed_member}
        data = await self._conn.call("POST", "rest", "template/space", body=body, space=None, idempotent=False)
        return int(data["id"])

    async def add_thread(self, space: int, name: str) -> int:
        data = await self._space_call("POST", "space/thread", space, body={"space": space, "name": name},
                                      idempotent=False)
        return int(data["id"])

    async def update_thread(self, space: int, thread: int, *, name: str | None = None, body: str | None = None) -> None:
        """``space`` decides the path (a guest space's thread answers on its guest path)."""
        payload: dict[str, Any] = {"id": thread}
        if name is not None:
            payload["name"] = name
        if body is not None:
            payload["body"] = body
        await self._space_call("PUT", "space/thread", space, body=payload, idempotent=True)

    async def add_thread_comment(
        self, space: int, thread: int, text: str, *, mentions: Sequence[Mention] = (), file_keys: Sequence[str] = (),
    ) -> int:
        comment: dict[str, Any] = {"text": text}
        if mentions:
            comment["mentions"] = [{"code": m.code, "type": m.type} for m in mentions]
        if file_keys:
            comment["files"] = [{"fileKey": k} for k in file_keys]
        data = await self._space_call("POST", "space/thread/comment", space,
                                      body={"space": space, "thread": thread, "comment": comment}, idempotent=False)
        return int(data["id"])

    async def search(self, request: Mapping[str, Any], *, guest_space: int | None = None) -> SearchPage:
        """``POST search.json`` with a request in Kintone's form (``query``, ``types``, ``scopes``,
        ``excludeScopes``, ``createdAfter``, ``createdBefore``, ``creators``, ``sort``, ``limit``, ``pageToken``).
        A search changes nothing, so it may be sent again."""
        data = await self._conn.call("POST", "rest", "search", body=dict(request), space=guest_space,
                                     idempotent=True)
        return decode(SearchPage, data, "a search")
