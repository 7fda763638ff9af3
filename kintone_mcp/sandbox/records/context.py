"""What record logic needs from the request it serves, and nothing more: the connection inside the request's
transaction, the caller, the request's moment, and the few settings that change how records are written."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from kintone_mcp.sandbox.access.principals import Principal
from kintone_mcp.sandbox.store.filestore import Downloads


@dataclass(frozen=True)
class RecordContext:
    conn: sqlite3.Connection
    principal: Principal
    #: The request's moment (query functions such as TODAY(), upload retention).
    now: datetime
    #: The record timestamp (CREATED_TIME / UPDATED_TIME) of this write, in Kintone's form.
    now_text: str
    #: Files being downloaded right now: a write that lets go of one leaves it until its download ends.
    downloads: Downloads
    #: How long an upload key stays attachable.
    upload_retention: timedelta
    #: On add, an omitted SUBTABLE gets one row of default values rather than none.
    subtable_default_row: bool

    @property
    def login(self) -> str:
        return self.principal.login
