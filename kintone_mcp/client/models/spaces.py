"""Spaces (``space.json``, ``space/members.json``) and cross search (``search.json``): docs/kintone-api.md §4.6."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from kintone_mcp.client.models.base import Entity, KintoneModel, OptionalInt, OptionalStr


class AttachedApp(KintoneModel):
    app_id: int
    name: str = ""
    code: str = ""
    thread_id: OptionalInt = None


class ThreadRef(KintoneModel):
    id: int
    name: str = ""


class Space(KintoneModel):
    """A space as ``space.json`` gives it. ``threads`` is None when Kintone does not list them (its documented
    answer has none; the sandbox adds them, docs/findings.md)."""

    id: int
    name: str
    default_thread: OptionalInt = None
    is_private: bool = False
    is_guest: bool = False
    use_multi_thread: bool = True
    fixed_member: bool = False
    body: str = ""
    member_count: OptionalInt = None
    creator: Entity | None = None
    attached_apps: list[AttachedApp] = Field(default_factory=list)
    threads: list[ThreadRef] | None = None
    show_announcement: bool | None = None
    show_thread_list: bool | None = None
    show_app_list: bool | None = None
    show_member_list: bool | None = None
    show_related_link_list: bool | None = None


class MemberEntity(KintoneModel):
    type: str
    code: str
    name: str = ""


class SpaceMember(KintoneModel):
    entity: MemberEntity
    is_admin: bool = False
    is_implicit: bool = False
    include_subs: bool = False

    def request(self) -> dict[str, Any]:
        """The member in the form PUT space/members.json takes."""
        return {"entity": {"type": self.entity.type, "code": self.entity.code}, "isAdmin": self.is_admin,
                "includeSubs": self.include_subs}


class SearchHit(KintoneModel):
    """One hit; its details are under the key its ``type`` names in camelCase (``record``, ``threadComment``...),
    kept as Kintone sent them (``details``) because their shapes are only partly documented [U]."""

    type: str
    url: str = ""
    snippets: list[str] = Field(default_factory=list)

    def details(self) -> dict[str, Any]:
        key = {"RECORD": "record", "RECORD_COMMENT": "recordComment", "SPACE": "space", "THREAD": "thread",
               "THREAD_COMMENT": "threadComment", "PEOPLE_COMMENT": "peopleComment",
               "MESSAGE_COMMENT": "messageComment", "ATTACHMENT": "attachment"}.get(self.type, "")
        extra = self.model_extra or {}
        found = extra.get(key)
        return found if isinstance(found, dict) else {}

    def context(self) -> dict[str, Any]:
        """What an attachment is attached to (its record, thread comment...), else {}."""
        extra = self.model_extra or {}
        for key in ("record", "threadComment", "thread", "space", "peopleComment", "messageComment"):
            if self.type == "ATTACHMENT" and isinstance(extra.get(key), dict):
                return dict(extra[key])
        return {}


class SearchPage(KintoneModel):
    hits: list[SearchHit] = Field(default_factory=list)
    next_page_token: OptionalStr = None
