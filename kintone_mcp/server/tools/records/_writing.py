"""What the record-writing tools share: every record is checked against the app's schema before anything is sent,
and writes of many records are one transaction (up to 2,000 records through bulkRequest), so a failure never leaves
half a batch behind.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Annotated, Any

from pydantic import BaseModel, Field

from kintone_mcp.client.errors import ValidationError
from kintone_mcp.client.results import WriteResult
from kintone_mcp.server.errors import ToolInputError, describe_kintone_error
from kintone_mcp.server.fieldinfo import Properties
from kintone_mcp.server.policy import Policy
from kintone_mcp.server.record_input import (
    ConvertedRecord,
    FieldProblem,
    Mode,
    RecordInputError,
    lookup_note,
    nothing_writable,
    to_kintone_record,
)
from kintone_mcp.server.state import ServerState
from kintone_mcp.server.tools.outputs import BulkWriteResult, UpsertResult, id_ranges

#: One bulkRequest transaction: 20 requests of 100 records.
MAX_ATOMIC = 2000
_KEY_TYPES = frozenset({"SINGLE_LINE_TEXT", "NUMBER"})
#: Kintone's code for a lookup key that matches no record of the source app.
_LOOKUP_NO_MATCH = "GAIA_LO04"


# A record named by a unique field instead of its id. (A comment: update_record's and update_records' descriptions
# say it, and a docstring would be advertised by both again.)
class KeyRef(BaseModel):
    field: Annotated[str, Field(description="Code of a unique SINGLE_LINE_TEXT or NUMBER field.")]
    value: str | int


def convert_one(plain: Mapping[str, Any], properties: Properties, mode: Mode) -> ConvertedRecord:
    """One record checked and converted; refused when nothing in it can be written."""
    converted = to_kintone_record(plain, properties, mode=mode)
    why = nothing_writable(converted)
    if why is not None:
        raise ToolInputError(why)
    return converted


def convert_many(records: Sequence[dict[str, Any]], properties: Properties, mode: Mode) -> list[ConvertedRecord]:
    """Every record checked; problems are named ``records[i]``, counting from 0 as in the `records` argument."""
    out: list[ConvertedRecord] = []
    problems: list[FieldProblem] = []
    for i, plain in enumerate(records):
        try:
            out.append(to_kintone_record(plain, properties, mode=mode))
        except RecordInputError as exc:
            problems += [FieldProblem(f"records[{i}].{p.field}", p.problem, p.accepted) for p in exc.problems]
    if problems:
        raise RecordInputError(problems, many=True)
    empty = [(i, why) for i, c in enumerate(out) if (why := nothing_writable(c)) is not None]
    if empty:
        shown = "\n".join(f"- records[{i}]: {why}" for i, why in empty[:20])
        raise ToolInputError(f"No record was sent: {len(empty)} record(s) hold nothing to write.\n{shown}")
    return out


def ignored_fields(converted: Sequence[ConvertedRecord]) -> list[str] | None:
    return sorted({f for c in converted for f in c.ignored}) or None


def lookups_note(converted: Sequence[ConvertedRecord]) -> str | None:
    """The note on lookup copies dropped from any of the records."""
    copies: dict[str, str] = {}
    for c in converted:
        copies.update(c.lookup_copies)
    return lookup_note(copies)


def join_notes(*notes: str | None) -> str | None:
    return " ".join(n for n in notes if n) or None


def check_key(key_field: str, properties: Properties) -> None:
    prop = properties.get(key_field)
    if prop is None or prop.get("type") not in _KEY_TYPES or not prop.get("unique"):
        usable = [c for c, p in properties.items() if p.get("type") in _KEY_TYPES and p.get("unique")]
        raise ToolInputError(
            f"{key_field!r} cannot identify records: a key must be a SINGLE_LINE_TEXT or NUMBER field with "
            f"'prohibit duplicate values' on. Usable keys in this app: {usable or 'none (use record ids)'}."
        )


def bulk_result(result: WriteResult, converted: Sequence[ConvertedRecord]) -> BulkWriteResult:
    written = result.records
    revisions = {r.revision for r in written}
    return BulkWriteResult(
        count=len(written),
        ids=id_ranges([r.id for r in written]),
        revision=next(iter(revisions)) if len(revisions) == 1 else None,
        revisions=[r.revision for r in written] if len(revisions) > 1 else None,
        atomic=result.atomicity_note is None,
        note=join_notes(result.atomicity_note, lookups_note(converted)),
        ignored_fields=ignored_fields(converted),
    )


def upsert_result(result: WriteResult, converted: Sequence[ConvertedRecord]) -> UpsertResult:
    inserted = id_ranges([r.id for r in result.records if r.operation == "INSERT"])
    return UpsertResult(**bulk_result(result, converted).model_dump(), inserted=inserted)


def all_or_nothing(state: ServerState) -> bool:
    """Ask for one all-or-nothing transaction, except where Kintone cannot give one above 100 records: under
    OAuth it refuses bulkRequest, and the client then writes calls of 100 and the result's `note` says so."""
    return not state.client.refuses_cursor_and_bulk


@contextmanager
def lookup_rules(
    policy: Policy, properties: Properties, records: Sequence[Mapping[str, Any]], *, precheck: bool = True
) -> Iterator[None]:
    """Around a write: first, a lookup whose source app the app lists block is refused before anything is sent
    (``Policy.check_record_links``; ``precheck=False`` when the caller has checked every record already); then, a
    lookup key with no match, which Kintone refuses with the key alone, gets where the keys are and how to find
    one, from the field's lookup settings."""
    if precheck:
        policy.check_record_links(records, properties)
    try:
        yield
    except ValidationError as exc:
        given = {code for r in records for code in r}
        hints = []
        for code in sorted(given):
            lookup = (properties.get(code) or {}).get("lookup")
            if exc.code != _LOOKUP_NO_MATCH or not isinstance(lookup, Mapping):
                continue
            source = (lookup.get("relatedApp") or {}).get("app")
            if policy.blocked_source(properties.get(code) or {}) is not None:
                continue  # never point at a blocked app (the write was refused before sending anyway)
            key = lookup.get("relatedKeyField")
            shown = [str(m.get("relatedField")) for m in lookup.get("fieldMappings") or []]
            by = f", e.g. a filter on {shown[0]}" if shown else ""
            hints.append(
                f"{code} takes a {key} of app {source}: find it with get_records app={source}{by}, or leave {code} out."
            )
        if not hints:
            raise
        raise ToolInputError(describe_kintone_error(exc).split("\n")[0] + "\n" + "\n".join(hints)) from exc
