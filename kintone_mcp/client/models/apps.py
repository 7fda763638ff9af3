"""Apps and their settings: ``app.json`` / ``apps.json``, ``app/form/layout.json``, ``app/views.json``,
``app/status.json`` (process management)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag

from kintone_mcp.client.models.base import Entity, EntityRef, KintoneModel, OptionalInt


class App(KintoneModel):
    app_id: int
    code: str = ""
    name: str
    description: str = ""
    space_id: OptionalInt = None
    thread_id: OptionalInt = None
    created_at: datetime | None = None
    creator: Entity | None = None
    modified_at: datetime | None = None
    modifier: Entity | None = None


# --- layout --------------------------------------------------------------------------------------------------


class ElementSize(KintoneModel):
    width: OptionalInt = None
    height: OptionalInt = None
    inner_height: OptionalInt = None


class LayoutElement(KintoneModel):
    """One item of a row: a field (``code``), a LABEL (``label``), a SPACER (``element_id``) or an HR."""

    type: str
    code: str | None = None
    label: str | None = None
    element_id: str | None = None
    size: ElementSize | None = None


class LayoutRow(KintoneModel):
    type: Literal["ROW"] = "ROW"
    fields: list[LayoutElement] = Field(default_factory=list)


class LayoutSubtable(KintoneModel):
    type: Literal["SUBTABLE"] = "SUBTABLE"
    code: str
    fields: list[LayoutElement] = Field(default_factory=list)


class LayoutGroup(KintoneModel):
    type: Literal["GROUP"] = "GROUP"
    code: str
    layout: list[LayoutRow] = Field(default_factory=list)


def _layout_tag(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if kind in ("ROW", "SUBTABLE", "GROUP") else "ROW"


LayoutItem = Annotated[
    Annotated[LayoutRow, Tag("ROW")]
    | Annotated[LayoutSubtable, Tag("SUBTABLE")]
    | Annotated[LayoutGroup, Tag("GROUP")],
    Discriminator(_layout_tag),
]


class FormLayout(KintoneModel):
    layout: list[LayoutItem]
    revision: OptionalInt = None

    def field_codes(self) -> list[str]:
        """Field codes in form order (subtables and groups by their own code, then their contents)."""
        out: list[str] = []

        def row(elements: list[LayoutElement]) -> None:
            out.extend(e.code for e in elements if e.code)

        for item in self.layout:
            if isinstance(item, LayoutRow):
                row(item.fields)
            elif isinstance(item, LayoutSubtable):
                out.append(item.code)
                row(item.fields)
            else:
                out.append(item.code)
                for r in item.layout:
                    row(r.fields)
        return out


# --- views ---------------------------------------------------------------------------------------------------


class View(KintoneModel):
    """A saved list, calendar or custom view. ``filter_cond`` and ``sort`` are query fragments."""

    type: str
    name: str
    id: OptionalInt = None
    index: OptionalInt = None
    builtin_type: str | None = None
    fields: list[str] = Field(default_factory=list)
    date: str | None = None
    title: str | None = None
    html: str | None = None
    pager: bool | None = None
    device: str | None = None
    filter_cond: str = ""
    sort: str = ""


class Views(KintoneModel):
    views: dict[str, View]
    revision: OptionalInt = None

    def ordered(self) -> list[View]:
        return sorted(self.views.values(), key=lambda v: (v.index is None, v.index or 0))


# --- process management --------------------------------------------------------------------------------------


class AssigneeEntity(KintoneModel):
    entity: EntityRef
    include_subs: bool = False


class Assignee(KintoneModel):
    """Who is assigned in a state: ONE (one of the entities, chosen on the action), ALL or ANY of them."""

    type: str = "ONE"
    entities: list[AssigneeEntity] = Field(default_factory=list)


class ProcessState(KintoneModel):
    name: str
    index: OptionalInt = None
    assignee: Assignee | None = None


class ExecutableUser(KintoneModel):
    entities: list[AssigneeEntity] = Field(default_factory=list)


class ProcessAction(KintoneModel):
    name: str
    from_: str = Field(alias="from")
    to: str
    filter_cond: str = ""
    type: str | None = None
    executable_user: ExecutableUser | None = None


class ProcessSettings(KintoneModel):
    enable: bool = False
    states: dict[str, ProcessState] | None = None
    actions: list[ProcessAction] | None = None
    revision: OptionalInt = None

    def ordered_states(self) -> list[ProcessState]:
        return sorted((self.states or {}).values(), key=lambda s: (s.index is None, s.index or 0))

    def actions_from(self, state: str) -> list[ProcessAction]:
        """Actions that can be taken from ``state`` (their ``filter_cond`` may still exclude a given record)."""
        return [a for a in self.actions or [] if a.from_ == state]
