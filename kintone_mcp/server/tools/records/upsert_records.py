"""The ``upsert_records`` tool: up to 2,000 records inserted or updated by a unique key field, in one transaction."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.client.results import RecordUpdate, UpdateKey
from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.results import ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import AppArg, Ctx
from kintone_mcp.server.tools.confirming import app_named, bulk, counted
from kintone_mcp.server.tools.outputs import UpsertResult
from kintone_mcp.server.tools.records._writing import (
    MAX_ATOMIC,
    all_or_nothing,
    check_key,
    convert_many,
    lookup_rules,
    upsert_result,
)
from kintone_mcp.server.tools.spec import Effect, ToolSpec, write


async def upsert_records(
    ctx: Ctx,
    key_field: Annotated[str, Field(description="Unique field, e.g. an external id.")],
    records: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=MAX_ATOMIC)],
    app: AppArg = None,
) -> Annotated[CallToolResult, UpsertResult]:
    """Insert or update up to 2,000 records by a unique key field, in one transaction.

    The record holding each `key_field` value is updated, or a new one added (listed in `inserted`). Use it to
    sync data from elsewhere without duplicates.
    """
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    properties = await state.fields(app_id)
    check_key(key_field, properties)
    missing = [i for i, r in enumerate(records) if r.get(key_field) in (None, "")]
    if missing:
        shown = ", ".join(f"records[{i}]" for i in missing[:20]) + (" …" if len(missing) > 20 else "")
        raise ToolInputError(f"{shown} (counting from 0) have no value for the key field {key_field!r}.")
    converted = convert_many(records, properties, "update")
    updates = []
    for plain, conv in zip(records, converted, strict=True):
        body = {k: v for k, v in conv.record.items() if k != key_field}
        updates.append(RecordUpdate(record=body, update_key=UpdateKey(key_field, str(plain[key_field]))))
    with lookup_rules(state.policy, properties, records):
        result = await state.client.upsert_records(app_id, updates, all_or_nothing=all_or_nothing(state))
    return ok(upsert_result(result, converted))


async def confirm_upsert_records(
    ctx: Ctx, key_field: str, records: list[dict[str, Any]], app: str | int | None = None
) -> Effect:
    """Destructive above KINTONE_CONFIRM_BULK records: "Insert or update 150 records of Deals (app 2) by ext_id?"."""
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    where = await app_named(state, app_id)
    return Effect(
        f"Insert or update {counted(len(records), 'record')} of {where} by {key_field}? Existing records with those "
        "keys are changed, and tables given replace their rows.",
        destructive=bulk(state, len(records)),
    )


SPEC: ToolSpec = write(
    upsert_records,
    "Insert or update records by key",
    summary="Insert or update up to 2,000 records by a unique key field",
    idempotent=True,
    destructive=True,
    confirm=confirm_upsert_records,
)
