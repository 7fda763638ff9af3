"""Refuse a query before sending it when the shared checker (``kintone_mcp.query.check``) predicts Kintone would.

Kintone answers a wrong query with one terse code; the checker names every problem with the fix (closest field
codes, allowed operators, existing options), which is what a model needs for its next call.
"""

from __future__ import annotations

from kintone_mcp.query.ast import Query
from kintone_mcp.query.check import check_query
from kintone_mcp.server.fieldinfo import Properties
from kintone_mcp.server.policy import Policy


class QueryRejected(ValueError):
    """The query does not fit the app's fields. ``str()`` is written for the model."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        body = problems[0] if len(problems) == 1 else "\n- " + "\n- ".join(problems)
        super().__init__(
            f"The query was not sent: {body}\n(get_app lists the fields and the query operators of each field type.)"
        )


def check(query: Query, properties: Properties, policy: Policy | None) -> None:
    """Raise QueryRejected listing every problem the checker finds in ``query``, and AppNotAllowedError for a
    condition that reaches a blocked app (``policy``; None only where no app lists apply, such as tests of the
    checker itself)."""
    problems = check_query(query, properties)
    if problems:
        raise QueryRejected([p.message for p in problems])
    if policy is not None:
        policy.check_query_links(query, properties)
