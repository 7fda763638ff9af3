"""Export: the records a query selects, streamed through the cursor into a new file of the download folder.

Memory stays flat whatever the count: each cursor page (500 records) is written and dropped. The file is created
exclusively (``files._local``: never overwriting, never through a link) and removed again on any failure, the size
limit included, so a partial export never stays behind.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from kintone_mcp.query.ast import FieldRef, OrderKey, Query
from kintone_mcp.query.printer import to_text
from kintone_mcp.server.compact import RecordFormatter
from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.fieldinfo import Properties
from kintone_mcp.server.filters import Filter
from kintone_mcp.server.state import ServerState
from kintone_mcp.server.tools.files._local import NewFile, create_new, local_error, safe_name
from kintone_mcp.server.tools.records._reading import check_fields, plan_read
from kintone_mcp.server.tools.records.transfer.csv_layout import Layout, layout_for, quote, record_lines
from kintone_mcp.server.tools.records.transfer.reading import Encoding, Format, check_encoding

#: progress(done, total, message)
Progress = Callable[[int, int | None, str], Awaitable[None]]
PAGE_SIZE = 500
PREVIEW_ROWS = 3
_PREVIEW_TEXT = 200
_SKIPPED_TYPES = frozenset({"__ID__", "__REVISION__"})


@dataclass
class Exported:
    path: Path
    records: int
    bytes: int
    columns: list[str]
    preview: list[dict[str, Any]]


def _codes(properties: Properties, fields: list[str] | None) -> list[str]:
    """The columns: the fields named, or every field of the app (RECORD_NUMBER carries the id)."""
    if not fields:
        return [c for c, p in properties.items() if p.get("type") not in _SKIPPED_TYPES]
    # $id and $revision are columns when named: a file to update from (by id, refused where a record has
    # changed since) needs them.
    check_fields([f for f in fields if f not in ("$id", "$revision")], properties)
    return list(dict.fromkeys(fields))


def default_name(app_id: int, fmt: Format) -> str:
    return f"kintone-app{app_id}.{fmt}"


async def export_to_file(
    state: ServerState,
    app_id: int,
    *,
    fmt: Format,
    name: str | None,
    view: str | int | None = None,
    query: str | None = None,
    filter: Filter | None = None,
    fields: list[str] | None = None,
    order_by: str | None = None,
    encoding: Encoding = "utf-8",
    progress: Progress,
) -> Exported:
    folder = state.options.download_dir
    if folder is None:
        raise ToolInputError(
            "No download folder is configured, and an export is only ever written to a file there. Ask the user to "
            "set KINTONE_DOWNLOAD_DIR (or --download-dir)."
        )
    check_encoding(fmt, encoding)
    properties = await state.fields(app_id)
    codes = _codes(properties, fields)
    plan = await plan_read(
        state, app_id, properties, view=view, query=query, filter=filter, order_by=order_by, limit=None
    )
    if plan.limit is not None or plan.offset:
        raise ToolInputError(
            "An export reads every record the conditions select: leave `limit` and `offset` out of `query` "
            "(narrow the conditions instead)."
        )
    order = plan.order or (OrderKey(FieldRef("$id"), descending=False),)
    text = to_text(Query(plan.where, order))
    layout = layout_for(properties, codes)
    fetch = ["$id", "$revision", *codes]
    limit = state.options.download_max_bytes
    preview_fmt = RecordFormatter(properties, max_text_chars=_PREVIEW_TEXT, max_rows=PREVIEW_ROWS)
    plain_fmt = RecordFormatter(properties)
    preview: list[dict[str, Any]] = []
    target: NewFile = create_new(folder, safe_name(name or default_name(app_id, fmt)))
    written = count = 0
    try:
        # Excel reads a UTF-8 CSV as UTF-8 only when it begins with the byte-order mark: utf-8-sig writes it.
        head = b"\xef\xbb\xbf" if encoding == "utf-8-sig" else b""
        if fmt == "csv":
            head += _encoded(",".join(quote(h) for h in layout.header) + "\n", encoding, "the header", None)
        if head:
            await anyio.to_thread.run_sync(target.write, head)
            written += len(head)
        pages = state.client.iter_record_pages(app_id, query=text, fields=fetch, page_size=PAGE_SIZE)
        async with aclosing(pages):
            async for page in pages:
                chunk = _encode(page.records, fmt, layout, plain_fmt, codes, encoding)
                written += len(chunk)
                if written > limit:
                    raise ToolInputError(
                        f"The export passed {limit:,} bytes after {count:,} of {page.total_count:,} records, the "
                        "limit this server writes (KINTONE_DOWNLOAD_MAX_BYTES); the partial file was removed. "
                        "Narrow the conditions, export fewer `fields`, or ask the user to raise the limit."
                    )
                await anyio.to_thread.run_sync(target.write, chunk)
                for record in page.records:
                    if len(preview) < PREVIEW_ROWS:
                        shown = preview_fmt.record(record.raw)
                        preview.append({k: v for k, v in shown.items() if k in codes or k == "$id"})
                count += len(page.records)
                await progress(count, page.total_count, "exporting records")
        target.close()
    except BaseException as exc:
        target.discard()  # not awaited: it must run even when the call is being cancelled
        if isinstance(exc, OSError):
            raise local_error(exc, folder, needed=written) from None
        raise
    columns = layout.header if fmt == "csv" else list(dict.fromkeys(["$id", "$revision", *codes]))
    return Exported(target.path, count, written, columns, preview)


def _encode(
    records: list[Any], fmt: Format, layout: Layout, plain_fmt: RecordFormatter, codes: list[str], encoding: Encoding
) -> bytes:
    if fmt == "csv":
        texts = [record_lines(r.raw, layout) for r in records]
    else:
        texts = []
        for r in records:
            plain = plain_fmt.record(r.raw)
            ordered = {k: plain[k] for k in ("$id", "$revision", *codes) if k in plain}
            texts.append(json.dumps(ordered, ensure_ascii=False, separators=(",", ":")) + "\n")
    return _encoded(
        "".join(texts),
        encoding,
        "",
        lambda: next(r for r, t in zip(records, texts, strict=True) if not _fits(t, encoding)),
    )


def _fits(text: str, encoding: Encoding) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _encoded(text: str, encoding: Encoding, what: str, culprit: Callable[[], Any] | None) -> bytes:
    """``text`` in the file's encoding; a character the encoding cannot hold refuses the export, naming the
    record (``culprit`` finds it: only on failure, so the common path encodes each page once)."""
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    try:
        return text.encode(codec)
    except UnicodeEncodeError as exc:
        char = exc.object[exc.start]
        if culprit is not None:
            what = f"record $id {(culprit().raw.get('$id') or {}).get('value')}"
        hint = ", or cp932 (Windows' Shift_JIS), which holds more, such as ① and ㈱" if encoding == "shift_jis" else ""
        raise ToolInputError(
            f"{what[:1].upper() + what[1:] if what else 'A record'} holds {char!r} (U+{ord(char):04X}), which "
            f"{encoding} cannot hold; the partial file was removed. Export with encoding utf-8 (utf-8-sig for "
            f"Excel){hint}."
        ) from None
