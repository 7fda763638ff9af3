"""cybozu.com User API objects: users, organizations, groups (``/v1/users.json`` etc.).

Ids are numbers here (Kintone may send them as strings or numbers: both are accepted); unset strings are null.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BeforeValidator, Field

from kintone_mcp.client.models.base import KintoneModel, OptionalInt, OptionalStr

_OptionalDate = Annotated[date | None, BeforeValidator(lambda v: None if v in ("", None) else v)]
_OptionalDateTime = Annotated[datetime | None, BeforeValidator(lambda v: None if v in ("", None) else v)]


class CustomItemValue(KintoneModel):
    code: str
    value: str | None = None


class User(KintoneModel):
    id: int
    code: str
    name: str = ""
    valid: bool = True
    ctime: _OptionalDateTime = None
    mtime: _OptionalDateTime = None
    sur_name: str | None = None
    given_name: str | None = None
    sur_name_reading: str | None = None
    given_name_reading: str | None = None
    local_name: str | None = None
    local_name_locale: str | None = None
    timezone: str | None = None
    locale: str | None = None
    description: str | None = None
    phone: str | None = None
    mobile_phone: str | None = None
    extension_number: str | None = None
    email: str | None = None
    callto: str | None = None
    url: str | None = None
    employee_number: str | None = None
    birth_date: _OptionalDate = None
    join_date: _OptionalDate = None
    primary_organization: OptionalInt = None
    sort_order: OptionalInt = None
    custom_item_values: list[CustomItemValue] = Field(default_factory=list)


class Organization(KintoneModel):
    id: int
    code: str
    name: str = ""
    local_name: str | None = None
    local_name_locale: str | None = None
    parent_code: OptionalStr = None
    description: str | None = None


class Group(KintoneModel):
    id: int
    code: str
    name: str = ""
    description: str | None = None


class Title(KintoneModel):
    """A job title held in an organization."""

    id: int
    code: str
    name: str = ""
    description: str | None = None


class OrganizationTitle(KintoneModel):
    """An organization a user belongs to, with the user's title there."""

    organization: Organization
    title: Title | None = None


class UserTitle(KintoneModel):
    """A member of an organization, with their title there."""

    user: User
    title: Title | None = None
