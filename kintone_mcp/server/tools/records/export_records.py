"""The ``export_records`` tool: the records a query selects, written to a CSV (cli-kintone's layout) or JSON Lines
file in the download folder; only the path, counts and a three-record preview come back (``records.transfer``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.server.filters import Filter
from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import AppArg, Ctx
from kintone_mcp.server.tools.records.transfer import Encoding, export_to_file
from kintone_mcp.server.tools.spec import ToolSpec


class ExportResult(Out):
    path: str
    records: int
    bytes: int
    columns: list[str]
    preview: list[dict[str, Any]]


async def export_records(
    ctx: Ctx,
    format: Annotated[Literal["csv", "jsonl"], Field(description="csv: cli-kintone's layout.")],
    app: AppArg = None,
    filter: Annotated[Filter | None, Field(description="As in get_records.")] = None,
    query: Annotated[str | None, Field(description="Kintone query.")] = None,
    view: Annotated[str | int | None, Field(description="A saved view.")] = None,
    fields: Annotated[list[str] | None, Field(description="Default: every field.")] = None,
    order_by: Annotated[str | None, Field(description="Default $id asc.")] = None,
    file_name: Annotated[str | None, Field(description="Default kintone-app<ID>.<format>.")] = None,
    encoding: Encoding = "utf-8",
) -> Annotated[CallToolResult, ExportResult]:
    """Export the records a filter, query or view selects to a new file in the download folder.

    Use it instead of paging get_records to move many records. Answers the path, counts, columns and 3 records.
    """
    state = state_of(ctx)
    app_id = state.policy.resolve_app(app)
    done = await export_to_file(
        state,
        app_id,
        fmt=format,
        name=file_name,
        view=view,
        query=query,
        filter=filter,
        fields=fields,
        order_by=order_by,
        encoding=encoding,
        progress=lambda n, total, msg: ctx.report_progress(n, total, msg),
    )
    return ok(
        ExportResult(
            path=str(done.path), records=done.records, bytes=done.bytes, columns=done.columns, preview=done.preview
        )
    )


#: Writes a file on this machine and changes nothing in Kintone.
SPEC: ToolSpec = ToolSpec(
    fn=export_records,
    title="Export records to a file",
    summary="Export the records a query selects to a CSV (cli-kintone's layout) or JSON Lines file",
    idempotent=False,
    local_write=True,
)
