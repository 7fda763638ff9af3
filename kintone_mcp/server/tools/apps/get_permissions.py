"""The ``get_permissions`` tool: who may do what with an app, its records and its fields, in words.

Reads ``app/acl.json``, ``record/acl.json`` and ``field/acl.json`` (docs/kintone-api.md §4.1), which need the app
management right. Changing permissions is out of scope for now (docs/app-design.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import anyio
from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import ServerState, state_of
from kintone_mcp.server.tools.arguments import Ctx
from kintone_mcp.server.tools.spec import ToolSpec, read

_APP_RIGHTS = (("appEditable", "manage app"), ("recordViewable", "view"), ("recordAddable", "add"),
               ("recordEditable", "edit"), ("recordDeletable", "delete"), ("recordImportable", "import"),
               ("recordExportable", "export"))
_RECORD_RIGHTS = (("viewable", "view"), ("editable", "edit"), ("deletable", "delete"))
_KINDS = {"USER": "user", "GROUP": "group", "ORGANIZATION": "org", "FIELD_ENTITY": "field"}


class Right(Out):
    who: str
    may: list[str]


class RecordRule(Out):
    filter: str
    rights: list[Right]


class FieldRights(Out):
    field: str
    rights: list[Right]


class Permissions(Out):
    app: int
    preview: bool
    app_rights: list[Right]
    record_rules: list[RecordRule] | None = None
    field_rights: list[FieldRights] | None = None
    note: str


def _who(entity: Mapping[str, Any], include_subs: bool) -> str:
    kind = str(entity.get("type", ""))
    if kind == "CREATOR":
        return "creator"
    text = f"{_KINDS.get(kind, kind.lower())} {entity.get('code')}"
    return text + " and below" if include_subs else text


def _right(raw: Mapping[str, Any], names: tuple[tuple[str, str], ...]) -> Right:
    return Right(
        who=_who(raw.get("entity") or {}, bool(raw.get("includeSubs"))),
        may=[word for key, word in names if raw.get(key) is True] or ["nothing"],
    )


async def read_permissions(state: ServerState, app_id: int, *, preview: bool = False) -> Permissions:
    client = state.client
    raw: dict[str, dict[str, Any]] = {}

    async def one(kind: Any) -> None:
        raw[kind] = await client.get_permissions(app_id, kind, preview=preview)

    async with anyio.create_task_group() as tg:
        for kind in ("app", "record", "field"):
            tg.start_soon(one, kind)
    records = [
        RecordRule(filter=str(r.get("filterCond", "")), rights=[_right(e, _RECORD_RIGHTS) for e in r["entities"]])
        for r in raw["record"].get("rights") or []
    ]
    fields = [
        FieldRights(
            field=str(r.get("code")),
            rights=[
                Right(who=_who(e.get("entity") or {}, bool(e.get("includeSubs"))),
                      may=[str(e.get("accessibility", "")).lower()])
                for e in r.get("entities") or []
            ],
        )
        for r in raw["field"].get("rights") or []
    ]
    return Permissions(
        app=app_id,
        preview=preview,
        app_rights=[_right(r, _APP_RIGHTS) for r in raw["app"].get("rights") or []],
        record_rules=records or None,
        field_rights=fields or None,
        note=(
            "The first matching entry decides; everyone not listed has no rights. Record rules and field rights "
            "narrow the app rights. Changing permissions is not offered here: the user changes them in Kintone."
        ),
    )


async def get_permissions(
    ctx: Ctx,
    app: Annotated[int | str, Field(description="App id or alias.")],
    preview: Annotated[bool, Field(description="Pending, not deployed.")] = False,
) -> Annotated[CallToolResult, Permissions]:
    """Who may do what with an app (per user, group, org, creator; first match wins), its records (rules with a
    filter) and fields. Needs app management."""
    state = state_of(ctx)
    return ok(await read_permissions(state, state.policy.resolve_app(app), preview=preview))


SPEC: ToolSpec = read(
    get_permissions,
    "Get an app's permissions",
    summary="Who may manage the app and view, add, edit, delete records; record rules with filters; field rights",
    toolset="apps",
)
