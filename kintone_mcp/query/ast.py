"""Typed syntax tree of a Kintone query.

The tree says what the text says, nothing more: it does not know field types. Both the sandbox (which
compiles it to SQL) and the client (which checks it against an app's fields before sending) read it.

Positions (``pos``) are 0-based character offsets into the original query text, so that an error can
point at the offending place.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Op(enum.Enum):
    """Condition operators, spelled as in the query language."""

    EQ = "="
    NE = "!="
    GT = ">"
    LT = "<"
    GE = ">="
    LE = "<="
    IN = "in"
    NOT_IN = "not in"
    LIKE = "like"
    NOT_LIKE = "not like"
    IS_EMPTY = "is empty"
    IS_NOT_EMPTY = "is not empty"

    @property
    def negative(self) -> bool:
        """True for the operators that Kintone applies to *all* rows of a subtable."""
        return self in (Op.NE, Op.NOT_IN, Op.NOT_LIKE, Op.IS_NOT_EMPTY)


@dataclass(frozen=True, slots=True)
class FieldRef:
    """A field code as written: ``Title``, ``$id``, ``$revision``, or ``Related.Field`` (dot reference)."""

    code: str
    pos: int = 0

    @property
    def is_system(self) -> bool:
        return self.code in ("$id", "$revision")


@dataclass(frozen=True, slots=True)
class StringLit:
    """A double-quoted string, already unescaped."""

    value: str
    pos: int = 0


@dataclass(frozen=True, slots=True)
class NumberLit:
    """A bare number (``12``, ``-3.5``). The text is kept exactly as written so nothing is lost to floats."""

    text: str
    pos: int = 0


@dataclass(frozen=True, slots=True)
class FuncCall:
    """A function such as ``TODAY()``, ``FROM_TODAY(-3, DAYS)``, ``THIS_WEEK(MONDAY)``, ``THIS_MONTH(LAST)``.

    ``name`` is upper-case. ``args`` are the raw argument tokens, upper-cased where they are words
    (``DAYS``, ``MONDAY``, ``LAST``) and as written where they are numbers (``-3``, ``15``).
    """

    name: str
    args: tuple[str, ...] = ()
    pos: int = 0


Value = StringLit | NumberLit | FuncCall


@dataclass(frozen=True, slots=True)
class Condition:
    """``field op value`` / ``field in (v, ...)`` / ``field is empty``.

    ``values`` has exactly one item for the comparison and like operators, one or more for ``in`` /
    ``not in``, and none for ``is empty`` / ``is not empty``.
    """

    field: FieldRef
    op: Op
    values: tuple[Value, ...] = ()
    pos: int = 0


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Expr, ...]


Expr = Condition | And | Or


@dataclass(frozen=True, slots=True)
class OrderKey:
    field: FieldRef
    descending: bool = False


@dataclass(frozen=True, slots=True)
class Query:
    """A whole query: optional conditions, then ``order by``, ``limit``, ``offset`` in that order."""

    where: Expr | None = None
    order_by: tuple[OrderKey, ...] = field(default_factory=tuple)
    limit: int | None = None
    offset: int | None = None
