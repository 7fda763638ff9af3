"""The ``update_fields`` tool: changes existing fields (label, options, required, default, range, expression,
lookup, code) from the compact form, checked before sending."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import Ctx
from kintone_mcp.server.tools.confirming import app_named, names_shown
from kintone_mcp.server.tools.spec import Effect, ToolSpec, write

if TYPE_CHECKING:
    from kintone_mcp.server.tools.apps._fields import FieldDef

#: compact key -> the Kintone attributes it sets
_ATTRS = {
    "label": ("label",), "required": ("required",), "unique": ("unique",), "options": ("options",),
    "default": ("defaultValue",), "min": ("minValue", "minLength"), "max": ("maxValue", "maxLength"),
    "decimals": ("displayScale",), "unit": ("unit",), "expression": ("expression",), "format": ("format",),
    "protocol": ("protocol",), "lookup": ("lookup",),
}


class FieldsUpdated(Out):
    app: int
    updated: list[str]
    renamed: dict[str, str] | None = None
    revision: int
    note: str


async def update_fields(
    ctx: Ctx,
    app: Annotated[int | str, Field(description="App id or alias.")],
    fields: Annotated[
        list[dict[str, Any]],
        Field(
            min_length=1,
            max_length=100,
            description=(
                'Changes by code, e.g. {"code":"priority","options":["Low","High","Urgent"]}; keys as add_fields, '
                'plus "new_code" to rename. Only the keys given change; options replace the list.'
            ),
        ),
    ],
) -> Annotated[CallToolResult, FieldsUpdated]:
    """Change existing fields (preview; deploy_app makes it live), the code too (new_code); a type cannot change.
    Checked before sending; on a problem nothing is sent."""
    import pydantic

    # Loaded at the first call: tools/list needs none of it (start-up, issue 12).
    from kintone_mcp.server.tools.apps._fields import CODE_PATTERN, FIELD_KEYS, FieldDef, check_fields, to_kintone

    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    existing = dict((await state.client.get_fields(app_id, preview=True)).raw())
    tables = {c: t for t, p in existing.items() for c in (p.get("fields") or {})}
    problems: list[str] = []
    changes: list[tuple[FieldDef, str | None]] = []
    for i, raw in enumerate(fields):
        item = dict(raw)
        code = str(item.get("code", ""))
        new_code = item.pop("new_code", None)
        prop = existing.get(code) or (existing[tables[code]]["fields"][code] if code in tables else None)
        if prop is None:
            problems.append(f"fields[{i}]: {code!r} is no field of app {app_id}; add_fields adds new fields.")
            continue
        kind = str(prop.get("type"))
        if "type" in item and str(item["type"]).upper() != kind:
            problems.append(
                f"{code}: Kintone does not change a field's type ({kind} -> {item['type']}). Add a field of the new "
                "type with add_fields, copy the values with update_records, then delete_fields the old one."
            )
            continue
        if "fields" in item:
            problems.append(f"{code}: change a table's columns by their own codes, one entry each.")
            continue
        item["type"] = kind
        try:
            d = FieldDef.model_validate(item)
        except pydantic.ValidationError as exc:
            problems += [f"fields[{i}].{'.'.join(map(str, e['loc']))}: {e['msg']} (keys: {FIELD_KEYS}, new_code)"
                         for e in exc.errors()[:5]]
            continue
        if new_code is not None and not CODE_PATTERN.match(str(new_code)):
            problems.append(f"{code}: new_code {new_code!r} is not a field code (letters, digits, _).")
        changes.append((d, None if new_code is None else str(new_code)))
    if changes:
        # Check each change as the field it becomes: the options with the default, the expression's codes.
        others = {c: p for c, p in existing.items() if c not in {d.code for d, _ in changes}}
        taken = set(existing) | set(tables)
        for d, new_code in changes:
            if new_code is not None and new_code != d.code and new_code in taken:
                problems.append(f"{d.code}: new_code {new_code!r} is already a field of the app.")
        merged = [_merged(d, existing.get(d.code) or existing[tables[d.code]]["fields"][d.code]) for d, _ in changes]
        sources: dict[int, Any] = {}
        for m in merged:
            if m.lookup is not None and m.lookup.app not in sources:
                if not state.policy.app_allowed(m.lookup.app):
                    problems.append(f"{m.code}: the lookup's app {m.lookup.app} is blocked by the app lists.")
                    continue
                sources[m.lookup.app] = (await state.client.get_fields(m.lookup.app)).raw()
        try:
            check_fields([m for m in merged if m.code not in tables], others, sources=sources)
        except ToolInputError as exc:
            problems.append(str(exc).split("\n", 1)[1].rsplit("\n", 1)[0].removeprefix("- "))
    if problems:
        raise ToolInputError("Nothing was sent; fix these and call again:\n- " + "\n- ".join(problems))
    body: dict[str, Any] = {}
    for d, new_code in changes:
        full = to_kintone(d)
        given = d.model_fields_set - {"code", "type"}
        attrs = {a for key in given for a in _ATTRS.get(key, ()) if a in full}
        prop = {a: full[a] for a in attrs}
        if new_code is not None:
            prop["code"] = new_code
        if d.code in tables:
            table = tables[d.code]
            body.setdefault(table, {"fields": {}})["fields"][d.code] = prop
        else:
            body[d.code] = prop
    revision = await state.client.update_fields(app_id, body)
    renamed = {d.code: n for d, n in changes if n is not None and n != d.code}
    note = f"Changed in the preview form; deploy_app (apps=[{app_id}]) makes it live."
    if renamed:
        note += " Queries, views and other apps' lookups that name the old codes must be changed too."
    return ok(FieldsUpdated(app=app_id, updated=[d.code for d, _ in changes], renamed=renamed or None,
                            revision=revision, note=note))


def _merged(d: FieldDef, prop: dict[str, Any]) -> FieldDef:
    """The field as it will be: the change over the current options and expression (for the checks)."""
    base: dict[str, Any] = {"code": d.code, "type": d.type}
    options = prop.get("options")
    if isinstance(options, dict) and d.type in {"DROP_DOWN", "RADIO_BUTTON", "CHECK_BOX", "MULTI_SELECT"}:
        base["options"] = [o["label"] for o in sorted(options.values(), key=lambda o: int(o.get("index", 0)))]
    if prop.get("expression") and d.type == "CALC":
        base["expression"] = prop["expression"]
    base.update({k: getattr(d, k) for k in d.model_fields_set})
    from kintone_mcp.server.tools.apps._fields import FieldDef

    return FieldDef.model_validate(base)


async def confirm_update_fields(ctx: Ctx, app: int | str, fields: list[dict[str, Any]]) -> Effect:
    """A change of the preview form (a field's type cannot change, so no value is lost): asks only under
    KINTONE_CONFIRM=writes."""
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    codes = names_shown(str(f.get("code", "?")) for f in fields)
    return Effect(f"Change the fields {codes} of {await app_named(state, app_id)} (preview until deploy_app)?",
                  destructive=False)


SPEC: ToolSpec = write(
    update_fields,
    "Change fields of an app",
    summary="Change fields' label, options, required, default, range, expression, lookup or code; never the type",
    idempotent=True,
    destructive=True,
    toolset="apps",
    confirm=confirm_update_fields,
)
