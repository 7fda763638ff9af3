"""Reading a query's matches in ``$id`` order, each page starting after the last record received (keyset paging).

The cursor iteration uses it to resume after a lost page (:mod:`.cursor`), and the OAuth fallback to page
``records.json`` where the cursor is refused (:mod:`.oauth_fallback`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from kintone_mcp.query import And, Condition, FieldRef, NumberLit, Op, OrderKey, Query


def id_ordered(parsed: Query) -> Query | None:
    """``parsed`` with its order written out when it is by ``$id`` alone (no ``order by`` is Kintone's default,
    ``$id desc``); None when it is ordered by anything else or has a ``limit`` or ``offset``."""
    if parsed.limit is not None or parsed.offset is not None:
        return None
    order = parsed.order_by or (OrderKey(FieldRef("$id"), descending=True),)
    if len(order) != 1 or order[0].field.code != "$id":
        return None
    return dataclasses.replace(parsed, order_by=order)


def after_id(query: Query, last: int | None) -> Query:
    """An :func:`id_ordered` query narrowed to the records after ``last`` in its order (all of them for None)."""
    if last is None:
        return query
    descending = query.order_by[0].descending
    next_ids = Condition(FieldRef("$id"), Op.LT if descending else Op.GT, (NumberLit(str(last)),))
    where = next_ids if query.where is None else And((query.where, next_ids))
    return dataclasses.replace(query, where=where)


def fields_with_id(fields: Sequence[str] | None) -> tuple[list[str] | None, bool]:
    """The fields to ask for so that every record names its ``$id``, and whether ``$id`` was added only for that
    (then :func:`last_id_of` drops it again)."""
    wanted = list(fields) if fields else None
    drop_id = wanted is not None and "$id" not in wanted
    if wanted is not None and drop_id:
        wanted.append("$id")
    return wanted, drop_id


def last_id_of(raw: list[dict[str, Any]], drop_id: bool) -> int | None:
    """The ``$id`` of a page's last record (None for an empty page); with ``drop_id`` the pages' records lose
    ``$id``, which was asked for only to know this."""
    if not raw:
        return None
    last = int(raw[-1]["$id"]["value"])
    if drop_id:
        for record in raw:
            record.pop("$id", None)
    return last
