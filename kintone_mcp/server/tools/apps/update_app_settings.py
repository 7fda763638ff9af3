"""The ``update_app_settings`` tool: an app's general settings (app/settings.json) in the preview."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import Ctx
from kintone_mcp.server.tools.spec import ToolSpec, write

Theme = Literal["WHITE", "RED", "GREEN", "BLUE", "YELLOW", "BLACK"]
#: field types Kintone lets be the record title
_TITLE_TYPES = {"SINGLE_LINE_TEXT", "NUMBER", "CALC", "RECORD_NUMBER", "LINK", "DATE", "DATETIME", "TIME",
                "DROP_DOWN", "RADIO_BUTTON"}


class SettingsUpdated(Out):
    app: int
    changed: list[str]
    revision: int
    note: str


async def update_app_settings(
    ctx: Ctx,
    app: Annotated[int | str, Field(description="App id or alias.")],
    name: Annotated[str | None, Field(min_length=1, max_length=64)] = None,
    description: Annotated[str | None, Field(max_length=10000, description="HTML")] = None,
    theme: Theme | None = None,
    icon: Annotated[str | None, Field(description='"APP01"…"APP77"')] = None,
    title_field: Annotated[str | None, Field(description='field code or "auto"')] = None,
    number_digits: Annotated[int | None, Field(ge=1, le=30)] = None,
    decimal_places: Annotated[int | None, Field(ge=0, le=10)] = None,
    rounding: Literal["HALF_EVEN", "UP", "DOWN"] | None = None,
    fiscal_year_start: Annotated[int | None, Field(ge=1, le=12, description="month")] = None,
    comments: bool | None = None,
    bulk_deletion: bool | None = None,
    duplicate_record: bool | None = None,
    inline_editing: bool | None = None,
    thumbnails: bool | None = None,
) -> Annotated[CallToolResult, SettingsUpdated]:
    """Change an app's general settings (preview; deploy_app makes them live). Only the settings given change."""
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    body: dict[str, Any] = {}
    if name is not None:
        body["name"] = name.strip()
    if description is not None:
        body["description"] = description
    if theme is not None:
        body["theme"] = theme
    if icon is not None:
        key = icon.strip().upper()
        if not re.fullmatch(r"APP\d{2}", key) or not 1 <= int(key[3:]) <= 77:
            raise ToolInputError(f'Nothing was changed: icon must be a preset key "APP01" to "APP77", not {icon!r}.')
        body["icon"] = {"type": "PRESET", "key": key}
    if title_field is not None:
        if title_field.strip().lower() == "auto":
            body["titleField"] = {"selectionMode": "AUTO"}
        else:
            props = (await state.client.get_fields(app_id, preview=True)).raw()
            prop = props.get(title_field)
            if prop is None or prop.get("type") not in _TITLE_TYPES:
                fit = sorted(c for c, p in props.items() if p.get("type") in _TITLE_TYPES)
                why = "is no field of the app" if prop is None else f"is a {prop.get('type')} field"
                raise ToolInputError(
                    f"Nothing was changed: title_field {title_field!r} {why}; a title can be one of {fit}, or auto."
                )
            body["titleField"] = {"selectionMode": "MANUAL", "code": title_field}
    precision = {
        k: v for k, v in (("digits", number_digits), ("decimalPlaces", decimal_places), ("roundingMode", rounding))
        if v is not None
    }
    if precision:
        body["numberPrecision"] = {k: str(v) for k, v in precision.items()}
    if fiscal_year_start is not None:
        body["firstMonthOfFiscalYear"] = str(fiscal_year_start)
    for key, value in (("enableComments", comments), ("enableBulkDeletion", bulk_deletion),
                       ("enableDuplicateRecord", duplicate_record), ("enableInlineRecordEditing", inline_editing),
                       ("enableThumbnails", thumbnails)):
        if value is not None:
            body[key] = value
    if not body:
        raise ToolInputError("Nothing to change: give at least one setting (name, theme, icon, title_field, ...).")
    revision = await state.client.update_general_settings(app_id, body)
    return ok(
        SettingsUpdated(
            app=app_id,
            changed=list(body),
            revision=revision,
            note=f"Changed in preview; deploy_app (apps=[{app_id}]) makes it live.",
        )
    )


SPEC: ToolSpec = write(
    update_app_settings,
    "Change an app's general settings",
    summary="Name, description, theme, preset icon, title field, number precision, fiscal year, feature switches",
    idempotent=True,
    toolset="apps",
)
