"""Compiles a parsed Kintone query to SQL over the sandbox's ``records`` table (see the storage layout in
``kintone_mcp.sandbox.store``). Seam only: the implementation lands in its own commit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from kintone_mcp.query.ast import Query


@dataclass(frozen=True)
class QueryContext:
    """Who is asking and when: functions such as LOGINUSER() and TODAY() are evaluated against this."""

    login: str
    primary_organization: str | None
    tz: ZoneInfo
    now: datetime


@dataclass(frozen=True)
class CompiledQuery:
    where: str
    params: list[object]
    order_by: str
    limit: int | None
    offset: int | None


def compile_query(
    query: Query, fields: Mapping[str, Mapping[str, Any]], ctx: QueryContext, *, lenient: bool = True
) -> CompiledQuery:
    raise NotImplementedError("compile_query is being written")
