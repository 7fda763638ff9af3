"""The ``add_fields`` tool: new fields on an app's preview form, from the compact description (``_fields``)."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.client.errors import NotFoundError, PermissionDeniedError
from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import Ctx
from kintone_mcp.server.tools.spec import ToolSpec, write


class FieldsAdded(Out):
    app: int
    added: list[str]
    revision: int
    note: str


async def add_fields(
    ctx: Ctx,
    app: Annotated[int | str, Field(description="App id or alias.")],
    fields: Annotated[
        list[dict[str, Any]],
        Field(
            min_length=1,
            max_length=100,
            description=(
                'Fields, e.g. {"code":"priority","type":"DROP_DOWN","label":"Priority","options":["Low","High"],'
                '"required":true}. Keys: code, type, label, required, unique, default, options, min, max, '
                "decimals, unit, expression (CALC), format, protocol (LINK), lookup {app,key,copy,picker}, "
                "fields (SUBTABLE columns). Types: kintone://docs/field-types."
            ),
        ),
    ],
) -> Annotated[CallToolResult, FieldsAdded]:
    """Add fields to an app's form (preview; deploy_app makes them live). All is checked first (types, codes,
    options, lookups, CALC expressions); on a problem nothing is sent and the error lists each."""
    import pydantic

    # Loaded at the first call: tools/list needs none of it (start-up, issue 12).
    from kintone_mcp.server.tools.apps._fields import FIELD_KEYS, FieldDef, check_fields, to_kintone

    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    defs, problems = [], []
    for i, item in enumerate(fields):
        try:
            defs.append(FieldDef.model_validate(item))
        except pydantic.ValidationError as exc:
            problems += [
                f"fields[{i}].{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]
            ]
    if problems:
        raise ToolInputError(
            f"Nothing was sent: a field description is not understood ({'; '.join(problems[:10])}). Keys: "
            f"{FIELD_KEYS}. See kintone://docs/field-types."
        )
    existing = (await state.client.get_fields(app_id, preview=True)).raw()
    sources: dict[int, Any] = {}
    for d in defs:
        for inner in [d, *(d.fields or ())]:
            if inner.lookup is None or inner.lookup.app in sources:
                continue
            source = inner.lookup.app
            if not state.policy.app_allowed(source):
                raise ToolInputError(
                    f"Nothing was sent: {inner.code} would look up app {source}, which this server's app "
                    "allow/deny settings block. Use another source app, or ask the user to allow it."
                )
            try:
                sources[source] = (await state.client.get_fields(source)).raw()
            except (NotFoundError, PermissionDeniedError):
                raise ToolInputError(
                    f"Nothing was sent: {inner.code} looks up app {source}, which does not exist or this connection "
                    "cannot read (a lookup needs a deployed source app). list_apps shows the apps you can use."
                ) from None
    check_fields(defs, existing, sources=sources)
    revision = await state.client.add_fields(app_id, {d.code: to_kintone(d) for d in defs})
    return ok(
        FieldsAdded(
            app=app_id,
            added=[d.code for d in defs],
            revision=revision,
            note=f"Added to the preview form; records see them after deploy_app (apps=[{app_id}]).",
        )
    )


SPEC: ToolSpec = write(
    add_fields,
    "Add fields to an app",
    summary="Add fields from a compact typed description (options, lookups, tables, CALC), checked before sending",
    idempotent=False,
    toolset="apps",
)
