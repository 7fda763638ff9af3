"""Reading an import file as a stream of records: opened once, safely, inside the download folder, decoded in the
encoding given, and read from the start on each pass (the importer checks the whole file, then reads it again to
write it), so memory stays flat whatever the file's size.

Encodings are those cli-kintone reads and writes (``--encoding utf8|sjis``) plus the two spellings people meet:
``utf-8-sig`` (UTF-8 with the byte-order mark Excel writes; on reading, a mark is skipped under ``utf-8`` too) and
``cp932``, Windows' Shift_JIS (what Excel saves as "Shift_JIS"), which holds characters strict ``shift_jis`` lacks
(circled digits like ①, ㈱, the NEC and IBM kanji). A byte the encoding cannot decode is refused with its line and
byte position.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.fieldinfo import Properties
from kintone_mcp.server.state import ServerState
from kintone_mcp.server.tools.files._local import open_inside, parts_inside
from kintone_mcp.server.tools.records.transfer.csv_layout import FileRecord, Layout, csv_records, read_layout

Format = Literal["csv", "jsonl"]
Encoding = Literal["utf-8", "utf-8-sig", "shift_jis", "cp932"]
ENCODINGS: tuple[Encoding, ...] = ("utf-8", "utf-8-sig", "shift_jis", "cp932")
_BUFFER = 1 << 16


def check_encoding(fmt: Format, encoding: Encoding) -> None:
    """JSON Lines is UTF-8 by definition, without a byte-order mark: other encodings are for CSV only."""
    if fmt == "jsonl" and encoding not in ("utf-8", "utf-8-sig"):
        raise ToolInputError(
            f"JSON Lines files are UTF-8 by definition, so encoding {encoding!r} is for CSV only: use format csv, "
            "or leave `encoding` out."
        )


@dataclass
class ImportFile:
    """An open file of the download folder, read from the start by each call of ``text``."""

    path: Path
    fd: int
    size: int
    fmt: Format
    encoding: Encoding

    def text(self) -> io.TextIOWrapper:
        """The file as text from its first byte (``newline=""``: the CSV reader sees line ends as written, so a
        line break inside a quoted cell stays in the cell)."""
        os.lseek(self.fd, 0, os.SEEK_SET)
        codec = "utf-8-sig" if self.encoding.startswith("utf-8") else self.encoding
        return open(self.fd, encoding=codec, newline="", closefd=False, buffering=_BUFFER)

    def close(self) -> None:
        os.close(self.fd)


def open_file(state: ServerState, file: str, fmt: Format | None, encoding: Encoding) -> ImportFile:
    """The file opened inside the download folder and checked against the size limit (before anything is read)."""
    folder = state.options.download_dir
    if folder is None:
        raise ToolInputError("No download folder is configured: ask the user to set KINTONE_DOWNLOAD_DIR.")
    parts = parts_inside(file, folder, verb="imported")
    opened = open_inside(folder, parts, file)
    path = folder.joinpath(*parts)
    try:
        limit = state.options.download_max_bytes
        if opened.size > limit:
            raise ToolInputError(
                f"{file!r} is {opened.size:,} bytes, more than the {limit:,} bytes this server reads "
                "(KINTONE_DOWNLOAD_MAX_BYTES); nothing was written. Split the file, or ask the user to raise the limit."
            )
        chosen = fmt or _format_of(path)
        check_encoding(chosen, encoding)
    except BaseException:
        os.close(opened.fd)
        raise
    return ImportFile(path, opened.fd, opened.size, chosen, encoding)


def _format_of(path: Path) -> Format:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    raise ToolInputError(f"{path.name!r}: give `format` (csv or jsonl); the name does not say which it is.")


@dataclass
class Reading:
    """One pass over the file: its layout (CSV) and its records, read as they are consumed."""

    layout: Layout | None
    records: Iterator[FileRecord]

    @property
    def file_columns(self) -> list[str]:
        """The CSV's attachment columns (a CSV holds file names, never the files)."""
        if self.layout is None:
            return []
        return [c for c in self.layout.columns if self.layout.types.get(c) == "FILE"]


def read(source: ImportFile, properties: Properties) -> Reading:
    """A pass over the file from its start. The CSV header is read and checked here; the records as iterated."""
    stream = source.text()
    if source.fmt == "jsonl":
        return Reading(None, _decoded(source, _jsonl(stream)))
    reader = csv.reader(stream, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ToolInputError("The file is empty: a CSV needs a header line of field codes.") from None
    except csv.Error as exc:
        raise ToolInputError(f"Line 1 is not valid CSV ({exc}); nothing was written.") from None
    except UnicodeDecodeError:
        raise undecodable(source) from None
    layout = read_layout(header, properties)

    def rows() -> Iterator[tuple[int, list[str]]]:
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ToolInputError(
                    f"Line {start:,} is not valid CSV ({exc}); nothing was written. A cell holding a comma, a quote "
                    'or a line break must be in double quotes, with a quote inside doubled ("").'
                ) from None
            if cells:
                yield start, cells

    return Reading(layout, _decoded(source, csv_records(rows(), header, layout)))


def _decoded(source: ImportFile, records: Iterator[FileRecord]) -> Iterator[FileRecord]:
    """``records``, with a decoding failure anywhere turned into the refusal that says where."""
    try:
        yield from records
    except UnicodeDecodeError:
        raise undecodable(source) from None


def _jsonl(stream: io.TextIOWrapper) -> Iterator[FileRecord]:
    count = 0
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ToolInputError(f"Line {number:,} is not JSON ({exc.msg}); nothing was written.") from None
        if not isinstance(value, dict):
            raise ToolInputError(
                f"Line {number:,} is not a JSON object; each line must hold one record, as get_record shows it."
            )
        count += 1
        yield FileRecord(count, number, value)


def undecodable(source: ImportFile) -> ToolInputError:
    """The refusal for a file the encoding cannot decode, naming the first bad byte (found by decoding the bytes
    again, chunk by chunk, since the text reader does not say where it failed)."""
    # Plain utf-8 here, the mark skipped by hand: utf-8-sig counts an error's position after the mark.
    codec = "utf-8" if source.encoding.startswith("utf-8") else source.encoding
    os.lseek(source.fd, 0, os.SEEK_SET)
    offset, lines, carry = 0, 1, b""
    if codec == "utf-8" and os.read(source.fd, 3) == b"\xef\xbb\xbf":
        offset = 3
    else:
        os.lseek(source.fd, 0, os.SEEK_SET)
    position: int | None = None
    while True:
        chunk = os.read(source.fd, _BUFFER)
        data = carry + chunk
        if not data:
            break
        try:
            data.decode(codec)
            good = len(data)
        except UnicodeDecodeError as exc:
            if chunk and len(data) - exc.start < 4:
                good = exc.start  # a character cut by the chunk's end: decode it with the next chunk
            else:
                position = offset + exc.start
                lines += data[: exc.start].count(b"\n")
                break
        lines += data[:good].count(b"\n")
        offset += good
        carry = data[good:]
        if not chunk:
            break
    where = f"byte {position + 1:,} (line {lines:,})" if position is not None else "its end"
    if source.encoding.startswith("utf-8"):
        fix = (
            "If it was saved by Excel or by cli-kintone --encoding sjis, give encoding cp932 (or shift_jis); "
            "otherwise save it as UTF-8."
        )
    else:
        fix = (
            "If it is UTF-8, give encoding utf-8. cp932 (Windows' Shift_JIS, what Excel writes) reads characters "
            "strict shift_jis lacks, such as ① and ㈱."
        )
    return ToolInputError(f"{source.path.name!r} is not {source.encoding} at {where}; nothing was written. {fix}")
