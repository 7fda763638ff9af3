"""How demo apps and records are built: field properties, choice options, views, installing an app, timestamps and
inserting records in bulk. Shared by the main demo apps (``seed``) and the guest-space app (``guest``)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from kintone_mcp.sandbox.options import SandboxConfig
from kintone_mcp.sandbox.store import appdefs
from kintone_mcp.sandbox.store.appdefs import JsonDict
from kintone_mcp.sandbox.store.directory import ADMIN_LOGIN

# Demo timestamps start here unless SandboxConfig.demo_start says otherwise (a fixed date keeps the data identical
# across runs and days, which tests rely on; the command line starts the data a year back from today instead).
EPOCH = datetime(2025, 1, 6, 0, 0, tzinfo=UTC)


def epoch_of(config: SandboxConfig) -> datetime:
    """Where a sandbox's demo timestamps start: ``demo_start`` at midnight UTC, else ``EPOCH``."""
    start = config.demo_start
    return EPOCH if start is None else datetime(start.year, start.month, start.day, tzinfo=UTC)


def options_of(labels: tuple[str, ...] | list[str]) -> JsonDict:
    """The ``options`` of a choice field (drop-down, radio button, check box…), in the order given."""
    return {label: {"label": label, "index": str(i)} for i, label in enumerate(labels)}


def field_def(code: str, ftype: str, label: str, **attrs: Any) -> JsonDict:
    """A field property as ``app/form/fields.json`` reports it, filled in as Kintone would."""
    return appdefs.normalize_property(code, {"type": ftype, "label": label, **attrs}, key=f"properties.{code}")


def list_views(*specs: tuple[str, list[str], str, str]) -> JsonDict:
    """LIST views from (name, fields, filter, sort) specs, with ids and indexes in the order given."""
    return {
        name: {"type": "LIST", "name": name, "id": str(6000000 + i), "index": str(i), "fields": fields,
               "filterCond": cond, "sort": sort}
        for i, (name, fields, cond, sort) in enumerate(specs)
    }


def install_app(
    conn: sqlite3.Connection,
    *,
    app_id: int,
    code: str,
    name: str,
    description: str,
    fields: list[JsonDict],
    views: JsonDict,
    process: JsonDict | None,
    now: str,
) -> None:
    """Insert a deployed app with these fields, views and process management, created by the Administrator."""
    settings = appdefs.new_app_settings(name, description)
    props = settings["properties"]
    for prop in fields:
        props[prop["code"]] = prop
    if process is not None:
        settings["status"] = process
        for prop in props.values():
            if prop["type"] in ("STATUS", "STATUS_ASSIGNEE"):
                prop["enabled"] = bool(process["enable"])
    settings["layout"] = appdefs.build_layout(props)
    settings["views"] = views
    text = json.dumps(settings)
    conn.execute(
        "INSERT INTO apps(id, code, name, description, created_at, creator, modified_at, modifier, live, preview,"
        " live_revision, preview_revision, deploy_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 2, 2, 'SUCCESS')",
        (app_id, code, name, description, now, ADMIN_LOGIN, now, ADMIN_LOGIN, text, text),
    )


def stamp(moment: datetime) -> str:
    """Kintone's timestamp form (UTC, minute precision) of a demo moment."""
    return moment.strftime("%Y-%m-%dT%H:%M:00Z")


def insert_records(conn: sqlite3.Connection, app: int, rows: list[tuple[Any, ...]]) -> None:
    """Insert the records of an app at once (``(id, revision, creator, …, data)`` rows) and set its next id."""
    conn.executemany(
        "INSERT INTO records(app, id, revision, creator, created_at, modifier, updated_at, status, assignees, data)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(app, *row) for row in rows],
    )
    conn.execute("UPDATE apps SET next_record_id = ? WHERE id = ?", (len(rows) + 1, app))
