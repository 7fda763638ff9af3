"""The checked rows, converted, kept between the check and the write: in an unnamed temporary file (one JSON line
per transaction), not in memory, so an import's memory stays flat whatever the file's size, and the rows sent are
exactly the rows checked (an edit to the file meanwhile changes nothing). The file has no name to find it by and
is gone when closed (or when the process ends)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Sequence

from kintone_mcp.server.tools.records.transfer.checking import Row
from kintone_mcp.server.tools.records.transfer.csv_layout import FileRecord


class Spool:
    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close(), after the write)

    def add(self, rows: Sequence[Row]) -> None:
        """One transaction's rows."""
        packed = [[r.source.row, r.source.line, r.id, r.key, r.revision, r.record] for r in rows]
        self._file.write(json.dumps(packed, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")

    def batches(self) -> Iterator[list[Row]]:
        """The transactions, in the order they were added."""
        self._file.flush()
        self._file.seek(0)
        for line in self._file:
            yield [
                Row(FileRecord(row, at, {}), record, id, key, rev) for row, at, id, key, rev, record in json.loads(line)
            ]

    def close(self) -> None:
        self._file.close()
