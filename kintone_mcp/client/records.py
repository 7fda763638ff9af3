"""Record operations: read, query, write one or many, process-management status and assignees."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kintone_mcp.client.apps import AppsMixin
from kintone_mcp.client.bulk import write_many
from kintone_mcp.client.connection import Connection
from kintone_mcp.client.models.record import Record
from kintone_mcp.client.results import (
    RecordsPage,
    RecordUpdate,
    StatusChange,
    UpdateKey,
    WriteResult,
    WrittenRecord,
)

#: a record in Kintone's write form: ``{"Title": {"value": "x"}, "Amount": {"value": "12"}}``
RecordInput = Mapping[str, Any]


def _int(value: Any) -> int:
    return int(value)


def _updated(answer: Any, _: Sequence[Any]) -> list[WrittenRecord]:
    return [WrittenRecord(_int(r["id"]), _int(r["revision"]), r.get("operation")) for r in answer.get("records", [])]


def _added(answer: Any, _: Sequence[Any]) -> list[WrittenRecord]:
    return [WrittenRecord(_int(i), _int(r)) for i, r in zip(answer["ids"], answer["revisions"], strict=True)]


def _deleted(answer: Any, _: Sequence[Any]) -> list[WrittenRecord]:
    return []


def _guarded(revision: int | None) -> bool:
    """A write with a revision check is safe to send twice: a second copy after the first was applied is refused
    (GAIA_CO02) instead of applied again, so the retry logic may repeat it (see :mod:`.retry`)."""
    return revision is not None and revision >= 0


class RecordsMixin(AppsMixin):
    """Part of :class:`~kintone_mcp.client.KintoneClient` (writes ask AppsMixin which apps' tokens they need)."""

    _conn: Connection

    # --- reading ------------------------------------------------------------------------------------------------

    async def get_record(self, app: int, id: int) -> Record:
        data = await self._conn.call("GET", "rest", "record", params={"app": app, "id": id}, apps=(app,))
        return Record(data["record"])

    async def get_records(
        self,
        app: int,
        *,
        query: str = "",
        fields: Sequence[str] | None = None,
        total_count: bool = False,
    ) -> RecordsPage:
        """One page of records matching ``query`` (``limit`` at most 500, ``offset`` at most 10,000 inside it).

        ``fields`` limits the fields returned (``$id``/``$revision`` then only if named). ``total_count=True``
        also counts every match. Long queries or field lists are sent in a request body automatically.
        """
        params: dict[str, Any] = {"app": app, "query": query or None, "fields": list(fields) if fields else None}
        if total_count:
            params["totalCount"] = True
        data, headers = await self._conn.call_with_headers("GET", "rest", "records", params=params, apps=(app,))
        total = data.get("totalCount")
        return RecordsPage(
            records=[Record(r) for r in data["records"]],
            total_count=int(total) if total is not None else None,
            warning=headers.get("X-Cybozu-Warning"),
        )

    # --- writing one --------------------------------------------------------------------------------------------

    async def add_record(self, app: int, record: RecordInput) -> WrittenRecord:
        apps = await self._apps_for_write(app)
        data = await self._conn.call("POST", "rest", "record", body={"app": app, "record": record}, apps=apps)
        return WrittenRecord(_int(data["id"]), _int(data["revision"]))

    async def update_record(
        self,
        app: int,
        record: RecordInput,
        *,
        id: int | None = None,
        update_key: UpdateKey | None = None,
        revision: int | None = None,
    ) -> WrittenRecord:
        """Updates one record by ``id`` or by ``update_key`` (a unique text/number field). Fields left out keep
        their values. With ``revision`` the update fails with ConflictError if the record changed since."""
        update = RecordUpdate(record=dict(record), id=id, update_key=update_key, revision=revision)
        body = {"app": app, **update.to_json()}
        apps = await self._apps_for_write(app)
        safe = _guarded(revision)
        if id is not None:
            data = await self._conn.call("PUT", "rest", "record", body=body, apps=apps, idempotent=safe)
            return WrittenRecord(id, _int(data["revision"]))
        # By key, records.json is used for its answer, which names the record's id.
        body = {"app": app, "records": [update.to_json()]}
        data = await self._conn.call("PUT", "rest", "records", body=body, apps=apps, idempotent=safe)
        return _updated(data, ())[0]

    async def upsert_record(
        self, app: int, update_key: UpdateKey | int, record: RecordInput, *, revision: int | None = None
    ) -> WrittenRecord:
        """Updates the record whose ``update_key`` field holds the value, or adds it; ``operation`` says which.

        An ``int`` is a record id: Kintone updates that record if it exists and otherwise adds a new one, with a new
        id (docs/kintone-api.md §4, PUT records.json), so read the id from the answer, never from the request.
        """
        if isinstance(update_key, int):
            update = RecordUpdate(record=dict(record), id=update_key, revision=revision)
        else:
            update = RecordUpdate(record=dict(record), update_key=update_key, revision=revision)
        body = {"app": app, "upsert": True, "records": [update.to_json()]}
        data = await self._conn.call("PUT", "rest", "records", body=body, apps=await self._apps_for_write(app))
        return _updated(data, ())[0]

    async def delete_record(self, app: int, id: int, *, revision: int | None = None) -> None:
        body: dict[str, Any] = {"app": app, "ids": [id]}
        if revision is not None:
            body["revisions"] = [revision]
        await self._conn.call("DELETE", "rest", "records", body=body, apps=(app,), idempotent=_guarded(revision))

    # --- writing many -------------------------------------------------------------------------------------------

    async def add_records(
        self, app: int, records: Sequence[RecordInput], *, all_or_nothing: bool = False
    ) -> WriteResult:
        """Adds any number of records: 100 per request, 2,000 per transaction (see ``WriteResult``)."""
        return await write_many(
            self._conn,
            method="POST",
            endpoint="records",
            items=records,
            payload_of=lambda chunk: {"app": app, "records": list(chunk)},
            results_of=_added,
            apps=await self._apps_for_write(app),
            all_or_nothing=all_or_nothing,
        )

    async def update_records(
        self, app: int, updates: Sequence[RecordUpdate], *, all_or_nothing: bool = False
    ) -> WriteResult:
        return await write_many(
            self._conn,
            method="PUT",
            endpoint="records",
            items=updates,
            payload_of=lambda chunk: {"app": app, "records": [u.to_json() for u in chunk]},
            results_of=_updated,
            apps=await self._apps_for_write(app),
            all_or_nothing=all_or_nothing,
            idempotent=all(_guarded(u.revision) for u in updates),
        )

    async def upsert_records(
        self, app: int, updates: Sequence[RecordUpdate], *, all_or_nothing: bool = False
    ) -> WriteResult:
        """Each update names its record by ``update_key`` or by ``id`` (an id that matches no record adds a new one,
        with a new id); each written record says INSERT or UPDATE. ``WriteResult.records`` is in request order."""
        return await write_many(
            self._conn,
            method="PUT",
            endpoint="records",
            items=updates,
            payload_of=lambda chunk: {"app": app, "upsert": True, "records": [u.to_json() for u in chunk]},
            results_of=_updated,
            apps=await self._apps_for_write(app),
            all_or_nothing=all_or_nothing,
        )

    async def delete_records(
        self,
        app: int,
        ids: Sequence[int],
        *,
        revisions: Sequence[int] | None = None,
        all_or_nothing: bool = False,
    ) -> WriteResult:
        """Deletes records by id; ``revisions`` (aligned with ``ids``, -1 to skip) guards against changes."""
        if revisions is not None and len(revisions) != len(ids):
            raise ValueError("`revisions` must have one entry per id (use -1 to skip the check)")
        items: list[tuple[int, int | None]] = [
            (i, revisions[n] if revisions is not None else None) for n, i in enumerate(ids)
        ]

        def payload(chunk: Sequence[tuple[int, int | None]]) -> dict[str, Any]:
            body: dict[str, Any] = {"app": app, "ids": [i for i, _ in chunk]}
            if revisions is not None:
                body["revisions"] = [r for _, r in chunk]
            return body

        return await write_many(
            self._conn,
            method="DELETE",
            endpoint="records",
            items=items,
            payload_of=payload,
            results_of=_deleted,
            apps=(app,),
            all_or_nothing=all_or_nothing,
            idempotent=revisions is not None and all(_guarded(r) for r in revisions),
        )

    # --- process management -------------------------------------------------------------------------------------

    async def update_status(
        self,
        app: int,
        id: int,
        action: str,
        *,
        assignee: str | None = None,
        revision: int | None = None,
    ) -> WrittenRecord:
        """Runs a process-management action (by its name) on a record; revision goes up by 2."""
        change = StatusChange(id=id, action=action, assignee=assignee, revision=revision)
        data = await self._conn.call(
            "PUT",
            "rest",
            "record/status",
            body={"app": app, **change.to_json()},
            apps=(app,),
            idempotent=_guarded(revision),
        )
        return WrittenRecord(id, _int(data["revision"]))

    async def update_statuses(
        self, app: int, changes: Sequence[StatusChange], *, all_or_nothing: bool = False
    ) -> WriteResult:
        return await write_many(
            self._conn,
            method="PUT",
            endpoint="records/status",
            items=changes,
            payload_of=lambda chunk: {"app": app, "records": [c.to_json() for c in chunk]},
            results_of=_updated,
            apps=(app,),
            all_or_nothing=all_or_nothing,
            idempotent=all(_guarded(c.revision) for c in changes),
        )

    async def update_assignees(
        self, app: int, id: int, assignees: Sequence[str], *, revision: int | None = None
    ) -> WrittenRecord:
        """Replaces the assignees of the record's current state (login names, at most 100)."""
        body: dict[str, Any] = {"app": app, "id": id, "assignees": list(assignees)}
        if revision is not None:
            body["revision"] = revision
        data = await self._conn.call(
            "PUT", "rest", "record/assignees", body=body, apps=(app,), idempotent=_guarded(revision)
        )
        return WrittenRecord(id, _int(data["revision"]))
