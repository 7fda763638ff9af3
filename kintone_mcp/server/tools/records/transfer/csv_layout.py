"""cli-kintone's CSV layout, both ways: Kintone records -> CSV lines, and CSV rows -> plain records.

The layout (cli-kintone's README, "CSV format"; checked against its output): the header lists field codes; every
non-empty value is double-quoted and an empty one is left bare; multi-value fields (check box, multi-choice, user,
organization and group selections) hold their values (codes, for entities) one per line inside the cell; creator and
modifier hold the user's code; attachments hold file names one per line. When the columns include a table, the first
column is ``*``: the row where a record begins has ``*`` there, each table row takes a line (the table's column holds
the row id, then its fields), and the record's other fields are repeated on its continuation lines, where a reader
ignores them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.fieldinfo import Properties
from kintone_mcp.server.record_input import field_suggestions

PRIMARY_MARK = "*"
#: values Kintone keeps as lists, written one per line in a cell
MULTI_TYPES = frozenset(
    {"CHECK_BOX", "MULTI_SELECT", "USER_SELECT", "ORGANIZATION_SELECT", "GROUP_SELECT", "STATUS_ASSIGNEE", "CATEGORY"}
)
_ENTITY_LISTS = frozenset({"USER_SELECT", "ORGANIZATION_SELECT", "GROUP_SELECT", "STATUS_ASSIGNEE"})


@dataclass(frozen=True)
class Layout:
    """The columns of one file: top-level fields and tables (each a row-id column followed by its fields)."""

    top: tuple[str, ...]
    tables: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: field code -> type, for every column (table fields included)
    types: Mapping[str, str] = field(default_factory=dict)

    @property
    def header(self) -> list[str]:
        out = [PRIMARY_MARK] if self.tables else []
        order = list(self.top)
        for table, inner in self.tables:
            order.append(table)
            order.extend(inner)
        return out + order

    @property
    def columns(self) -> list[str]:
        """Field codes, in file order (no ``*``)."""
        return [c for c in self.header if c != PRIMARY_MARK]


def layout_for(properties: Properties, codes: Sequence[str]) -> Layout:
    """The layout for ``codes`` (top-level fields and tables, in that order): tables go after the other fields,
    each followed by all its columns, as cli-kintone writes them."""
    top: list[str] = []
    tables: list[tuple[str, tuple[str, ...]]] = []
    types: dict[str, str] = {}
    for code in codes:
        prop = properties.get(code) or {}
        ftype = str(prop.get("type", ""))
        types[code] = ftype
        if ftype == "SUBTABLE":
            inner_props: Mapping[str, Mapping[str, Any]] = prop.get("fields") or {}
            inner = tuple(inner_props)
            types.update({c: str(p.get("type", "")) for c, p in inner_props.items()})
            tables.append((code, inner))
        else:
            top.append(code)
    return Layout(tuple(top), tuple(tables), types)


def quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if text != "" else ""


def cell_text(cell: Any, ftype: str) -> str:
    """One Kintone value (its ``value``) as cli-kintone writes it in a cell. Numbers stay Kintone's decimal strings,
    so nothing is rounded."""
    if cell is None:
        return ""
    if ftype in _ENTITY_LISTS:
        return "\n".join(str(v.get("code", "")) if isinstance(v, Mapping) else str(v) for v in cell)
    if ftype in MULTI_TYPES:
        return "\n".join(str(v) for v in cell)
    if ftype in ("CREATOR", "MODIFIER"):
        return str(cell.get("code", "")) if isinstance(cell, Mapping) else str(cell)
    if ftype == "FILE":
        return "\n".join(str(f.get("name", "")) for f in cell if isinstance(f, Mapping))
    return str(cell)


def record_lines(raw: Mapping[str, Any], layout: Layout) -> str:
    """One Kintone record (read form) as its CSV line(s), each ending in ``\\n``."""
    top = [quote(cell_text((raw.get(c) or {}).get("value"), layout.types.get(c, ""))) for c in layout.top]
    if not layout.tables:
        return ",".join(top) + "\n"
    width = sum(1 + len(inner) for _, inner in layout.tables)
    lines: list[str] = []
    offset = 0
    for table, inner in layout.tables:
        for row in (raw.get(table) or {}).get("value") or []:
            cells = [""] * width
            cells[offset] = quote(str(row.get("id") or ""))
            values = row.get("value") or {}
            for i, code in enumerate(inner):
                cells[offset + 1 + i] = quote(cell_text((values.get(code) or {}).get("value"), layout.types[code]))
            lines.append(",".join(["" if lines else quote(PRIMARY_MARK), *top, *cells]))
        offset += 1 + len(inner)
    if not lines:  # a record whose tables are all empty still takes its line
        lines.append(",".join([quote(PRIMARY_MARK), *top, *[""] * width]))
    return "\n".join(lines) + "\n"


# --- reading --------------------------------------------------------------------------------------------------


@dataclass
class FileRecord:
    """One record read from a file: where it starts (row counts records from 1, header excluded; line is the
    file's line) and its plain values, in the shape the write tools take."""

    row: int
    line: int
    values: dict[str, Any]


def read_layout(header: Sequence[str], properties: Properties) -> Layout:
    """The layout a file's header describes, checked against the app: unknown columns, a table field without its
    table's column, or a column given twice are refused, naming each and the fix."""
    problems: list[str] = []
    inner_of: dict[str, str] = {}
    for code, prop in properties.items():
        if prop.get("type") == "SUBTABLE":
            for inner in prop.get("fields") or {}:
                inner_of[inner] = code
    codes = [h for h in header if h != PRIMARY_MARK]
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            problems.append(f"column {code!r} is given twice")
        seen.add(code)
    top: list[str] = []
    tables: dict[str, list[str]] = {}
    for code in codes:
        if code in ("$id", "$revision"):
            top.append(code)
        elif code in properties:
            if properties[code].get("type") == "SUBTABLE":
                tables.setdefault(code, [])
            else:
                top.append(code)
        elif code in inner_of:
            if inner_of[code] not in codes:
                problems.append(
                    f"column {code!r} is a field of the table {inner_of[code]!r}, whose column (the row id) is "
                    "missing: add it (it may be empty for new rows)"
                )
            tables.setdefault(inner_of[code], []).append(code)
        else:
            problems.append(f"unknown column {code!r}: {field_suggestions(code, properties)}")
    if tables and (not header or header[0] != PRIMARY_MARK):
        problems.append(
            f'the file has table columns, so its first column must be "{PRIMARY_MARK}" (cli-kintone\'s layout)'
        )
    if problems:
        raise ToolInputError(
            "The file's header does not fit this app; nothing was written:\n- "
            + "\n- ".join(problems)
            + "\nFix the header (field codes, as get_app lists them) or export a fresh file with export_records."
        )
    base = layout_for(properties, [*[c for c in top if c in properties], *tables])
    return Layout(tuple(top), tuple((t, tuple(v)) for t, v in tables.items()), base.types)


def _split(text: str) -> list[str]:
    return [v for v in text.split("\n") if v != ""] if text else []


def csv_records(rows: Iterator[tuple[int, list[str]]], header: list[str], layout: Layout) -> Iterator[FileRecord]:
    """Plain records from the CSV rows after the header (``(line, cells)``), grouping continuation lines."""
    index = {code: i for i, code in enumerate(header)}
    marked = bool(header) and header[0] == PRIMARY_MARK
    # (code, cell index, a list field?) worked out once: this loop runs for every line of the file.
    top = [(c, index[c], layout.types.get(c, "") in MULTI_TYPES) for c in layout.top]
    tables = [
        (table, index[table], [(c, index[c], layout.types.get(c, "") in MULTI_TYPES) for c in inner])
        for table, inner in layout.tables
    ]
    current: FileRecord | None = None
    count = 0
    width = len(header)
    for line, cells in rows:
        if len(cells) != width:
            raise ToolInputError(
                f"Line {line} has {len(cells)} cells and the header {width}; nothing was written. A cell "
                'holding a comma, a quote or a line break must be in double quotes (a quote inside doubled: "").'
            )
        if not marked or cells[0] == PRIMARY_MARK:
            if current is not None:
                yield current
            count += 1
            values: dict[str, Any] = {c: _split(cells[i]) if multi else cells[i] for c, i, multi in top}
            for table, _, _ in tables:
                values[table] = []
            current = FileRecord(count, line, values)
        elif current is None:
            raise ToolInputError(
                f'Line {line} continues a record, but no record has begun: the first record\'s line needs "*" '
                "in the first column; nothing was written."
            )
        for table, at, inner in tables:
            row_id = cells[at]
            if row_id == "" and all(cells[i] == "" for _, i, _ in inner):
                continue
            row: dict[str, Any] = {"$id": row_id} if row_id else {}
            for c, i, multi in inner:
                row[c] = _split(cells[i]) if multi else cells[i]
            current.values[table].append(row)
    if current is not None:
        yield current
