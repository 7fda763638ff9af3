"""The ``delete_records`` tool: records deleted by id, all or none."""

from __future__ import annotations

from typing import Annotated

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import AppArg, Ctx, InRange
from kintone_mcp.server.tools.confirming import app_named, counted, ids_shown
from kintone_mcp.server.tools.outputs import id_ranges
from kintone_mcp.server.tools.records._writing import (
    MAX_ATOMIC,
    all_or_nothing,
)
from kintone_mcp.server.tools.spec import Effect, ToolSpec, write


class DeleteResult(Out):
    count: int
    #: as ranges, like the other bulk writes' ids: 2,000 ids would otherwise be 10 KB of answer
    deleted: str = Field(description='ids in input order, runs as ranges: "5-9, 2"')
    note: str | None = None


async def delete_records(
    ctx: Ctx,
    ids: Annotated[list[Annotated[int, Field(ge=1), InRange]], Field(min_length=1, max_length=MAX_ATOMIC)],
    revisions: Annotated[
        list[Annotated[int, Field(ge=-1), InRange]] | None,
        Field(description="Expected $revision per id (-1: any); refuses changed records."),
    ] = None,
    app: AppArg = None,
) -> Annotated[CallToolResult, DeleteResult]:
    """Permanently delete records by id, all or none (up to 2,000); they cannot be restored.

    Confirm with the user first, and check the ids (get_records with a filter on $id).
    """
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    if revisions is not None and len(revisions) != len(ids):
        raise ToolInputError(f"`revisions` has {len(revisions)} entries for {len(ids)} ids; give one per id.")
    if len(set(ids)) != len(ids):
        raise ToolInputError("`ids` lists a record more than once.")
    result = await state.client.delete_records(app_id, ids, revisions=revisions, all_or_nothing=all_or_nothing(state))
    return ok(DeleteResult(count=len(ids), deleted=id_ranges(ids), note=result.atomicity_note))


async def confirm_delete_records(
    ctx: Ctx, ids: list[int], revisions: list[int] | None = None, app: str | int | None = None
) -> Effect:
    """ "Delete 37 records from Deals (app 2; ids 12-48)?", counting the ids that exist."""
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    found = 0
    # In slices: a query naming 2,000 ids would pass Kintone's length limits only in a request body.
    for start in range(0, len(ids), 500):
        chunk = ", ".join(str(i) for i in ids[start : start + 500])
        query = f"$id in ({chunk}) limit 1"
        page = await state.client.get_records(app_id, query=query, fields=["$id"], total_count=True)
        found += page.total_count or 0
    missing = f"; {counted(len(ids) - found, 'of the ids does', 'of the ids do')} not exist" if found < len(ids) else ""
    return Effect(
        f"Delete {counted(found, 'record')} from {await app_named(state, app_id, ids_shown(ids) + missing)}? "
        "Deleted records cannot be restored."
    )


SPEC: ToolSpec = write(
    delete_records,
    "Delete records",
    summary="Delete records by id, all or none",
    idempotent=True,
    destructive=True,
    confirm=confirm_delete_records,
)
