"""The ``import_records`` tool: a CSV (cli-kintone's layout) or JSON Lines file of the download folder, checked
whole against the app, then written in all-or-nothing transactions of up to 2,000 records
(``records.transfer``)."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import AppArg, Ctx
from kintone_mcp.server.tools.confirming import app_named, bulk, counted
from kintone_mcp.server.tools.records.transfer import Encoding, import_file
from kintone_mcp.server.tools.spec import Effect, ToolSpec, write


class ImportResult(Out):
    path: str
    mode: str
    rows: int
    dry_run: bool
    written: int
    ids: str | None = None
    inserted: int | None = None
    problems: list[str] | None = None
    problem_count: int | None = None
    skipped_columns: list[str] | None = None
    note: str | None = None


async def import_records(
    ctx: Ctx,
    file: Annotated[str, Field(description="Name in the download folder.")],
    mode: Annotated[Literal["add", "update", "upsert"], Field(description="update: by $id or `key`.")],
    app: AppArg = None,
    key: Annotated[str | None, Field(description="Unique field to match by.")] = None,
    format: Annotated[Literal["csv", "jsonl"] | None, Field(description="Default: by extension.")] = None,
    dry_run: Annotated[bool, Field(description="Check only.")] = False,
    encoding: Encoding = "utf-8",
) -> Annotated[CallToolResult, ImportResult]:
    """Add, update or upsert records from a CSV (cli-kintone's layout) or JSON Lines file in the download folder.

    Every row is checked first; a problem refuses the whole file, listed by row. Writes go in all-or-nothing
    transactions of 2,000 records. Try dry_run first.
    """
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    done = await import_file(
        state,
        app_id,
        file,
        mode=mode,
        key=key,
        fmt=format,
        dry_run=dry_run,
        encoding=encoding,
        progress=lambda n, total, msg: ctx.report_progress(n, total, msg),
    )
    return ok(
        ImportResult(
            path=str(done.path),
            mode=done.mode,
            rows=done.rows,
            dry_run=done.dry_run,
            written=done.written,
            ids=done.ids,
            inserted=done.inserted,
            problems=done.problems or None,
            problem_count=done.problem_count or None,
            skipped_columns=done.skipped_columns or None,
            note=done.note,
        )
    )


async def confirm_import_records(
    ctx: Ctx,
    file: str,
    mode: Literal["add", "update", "upsert"],
    app: str | int | None = None,
    key: str | None = None,
    format: Literal["csv", "jsonl"] | None = None,
    encoding: Encoding = "utf-8",
    dry_run: bool = False,
) -> Effect | None:
    """Destructive when it updates (mode update or upsert) more than KINTONE_CONFIRM_BULK records: "Update
    Deals (app 2) from deals.csv (2,400 records)?". A dry run writes nothing and never asks."""
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    if dry_run:
        return None
    where = await app_named(state, app_id)
    if mode == "add":
        # Adding destroys nothing: asked only under KINTONE_CONFIRM=writes, and not worth reading the file twice.
        return Effect(f"Add the records of {file} to {where}?", destructive=False)
    from kintone_mcp.server.tools.records.transfer.importing import count_records

    rows = await count_records(state, app_id, file, format, encoding)
    verb = "Update" if mode == "update" else "Add or update"
    by = f" by {key}" if key else ""
    return Effect(
        f"{verb} {counted(rows, 'record')} of {where} from {file}{by}?",
        destructive=bulk(state, rows),
    )


SPEC: ToolSpec = write(
    import_records,
    "Import records from a file",
    summary="Add, update or upsert records from a CSV or JSON Lines file, checked whole first, in transactions",
    idempotent=False,
    destructive=True,
    confirm=confirm_import_records,
)
