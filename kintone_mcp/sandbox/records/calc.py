"""CALC fields: the numeric part of Kintone's formula language.

Emulated (as measured on a real Kintone, docs/kintone-api.md's sources):

* numbers, field codes, ``+ - * / ^``, parentheses, unary ``+``/``-``; comparisons ``= != <> < > <= >=`` giving 1 or
  0; ``SUM(...)`` (a table column adds up every row), ``IF(condition, then, else)``, ``AND(...)``, ``OR(...)``,
  ``NOT(x)``, ``ROUND`` / ``ROUNDUP`` / ``ROUNDDOWN(x, digits)``;
* an empty number counts as 0; a date, date-time or time counts as seconds (since 1970-01-01 UTC, or since midnight
  for a time), and an empty one makes the result empty;
* a quotient is rounded to 4 decimal places; an exponent loses its fraction and must lie within -100 to 100;
* the result is written by the field's ``format``: NUMBER / NUMBER_DIGIT as a plain decimal (``displayScale`` and
  digit grouping are for the screen only: the API value is not rounded), DATETIME / DATE as the moment that many
  seconds after 1970-01-01 UTC, TIME as the time of day, HOUR_MINUTE / DAY_HOUR_MINUTE as hours and minutes;
* anything that cannot be computed (division by zero, an unknown field or function) gives "", as Kintone's API does
  where its screen shows an error mark.

Not emulated: text results (string literals, ``&``, ``YEN``, ``DATE_FORMAT``, ``CONTAINS``) and the auto-calculated
text fields that use them; these give "".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import (
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    localcontext,
)
from typing import Any

from kintone_mcp.sandbox.records.values import canonical_decimal

_TOKEN = re.compile(
    r"\s*(?:(\d+\.?\d*|\.\d+)|([A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)|(\*\*|<=|>=|<>|!=|[-+*/^(),=<>&\"]))"
)
_COMPARISONS = ("=", "!=", "<>", "<", ">", "<=", ">=")
#: Function name -> (fewest, most) arguments; None: no upper bound.
_FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "SUM": (1, None),
    "IF": (3, 3),
    "AND": (1, 32),
    "OR": (1, 32),
    "NOT": (1, 1),
    "ROUND": (1, 2),
    "ROUNDUP": (1, 2),
    "ROUNDDOWN": (1, 2),
}
_QUOTIENT_PLACES = Decimal("0.0001")
_MAX_EXPONENT = 100
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Unsupported(Exception):
    """The expression uses something this emulation does not compute, or cannot be computed."""


@dataclass(frozen=True)
class _Num:
    value: Decimal


@dataclass(frozen=True)
class _Ref:
    code: str


@dataclass(frozen=True)
class _Call:
    name: str
    args: tuple[_Node, ...]


@dataclass(frozen=True)
class _Neg:
    operand: _Node


@dataclass(frozen=True)
class _Bin:
    op: str
    left: _Node
    right: _Node


_Node = _Num | _Ref | _Call | _Neg | _Bin


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise Unsupported(f"unsupported character at {pos}")
        token = m.group(m.lastindex or 0)
        if token in ('"', "&"):
            raise Unsupported("text results are not emulated")
        tokens.append(token)
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (expected is not None and tok != expected):
            raise Unsupported(f"expected {expected or 'a value'}")
        self.i += 1
        return tok

    def comparison(self) -> _Node:
        node = self.expr()
        if self.peek() in _COMPARISONS:
            op = self.take()
            node = _Bin("!=" if op == "<>" else op, node, self.expr())
        return node

    def expr(self) -> _Node:
        node = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()
            node = _Bin(op, node, self.term())
        return node

    def term(self) -> _Node:
        node = self.power()
        while self.peek() in ("*", "/"):
            op = self.take()
            node = _Bin(op, node, self.power())
        return node

    def power(self) -> _Node:
        node = self.unary()
        if self.peek() in ("^", "**"):
            self.take()
            node = _Bin("^", node, self.power())
        return node

    def unary(self) -> _Node:
        if self.peek() in ("-", "+"):
            op = self.take()
            operand = self.unary()
            return _Neg(operand) if op == "-" else operand
        return self.atom()

    def atom(self) -> _Node:
        tok = self.take()
        if tok == "(":
            node = self.comparison()
            self.take(")")
            return node
        if tok[0].isdigit() or tok[0] == ".":
            return _Num(Decimal(tok))
        if not (tok[0].isalpha() or tok[0] == "_" or ord(tok[0]) >= 0x80):
            raise Unsupported(f"unexpected {tok!r}")
        if self.peek() != "(":
            return _Ref(tok)
        name = tok.upper()
        if name not in _FUNCTIONS:
            raise Unsupported(f"function {tok} is not emulated")
        self.take("(")
        args = [self.comparison()]
        while self.peek() == ",":
            self.take(",")
            args.append(self.comparison())
        self.take(")")
        fewest, most = _FUNCTIONS[name]
        if len(args) < fewest or (most is not None and len(args) > most):
            raise Unsupported(f"{name} takes {fewest} to {most or 'any number of'} arguments")
        return _Call(name, tuple(args))


@functools.lru_cache(maxsize=256)
def parse(expression: str) -> _Node:
    parser = _Parser(_tokenize(expression))
    node = parser.comparison()
    if parser.peek() is not None:
        raise Unsupported(f"unexpected {parser.peek()!r}")
    return node


#: Resolves a field code to its value as a number (dates and times as seconds); None: not usable here.
Lookup = Callable[[str], Decimal | None]
#: Resolves a code to the values of a table column (or one value for a plain field); None when unknown.
Column = Callable[[str], list[Decimal] | None]


def _truth(value: Decimal) -> Decimal:
    return Decimal(1) if value != 0 else Decimal(0)


def _compare(op: str, left: Decimal, right: Decimal) -> bool:
    if op == "=":
        return left == right
    if op == "!=":
        return left != right
    if op == "<":
        return left < right
    if op == ">":
        return left > right
    if op == "<=":
        return left <= right
    return left >= right


def _round(name: str, value: Decimal, digits: Decimal) -> Decimal:
    if digits != digits.to_integral_value():
        raise Unsupported("the number of digits must be a whole number")
    places = Decimal(1).scaleb(-int(digits))
    if name == "ROUND":
        mode = ROUND_HALF_UP
    elif name == "ROUNDUP":
        mode = ROUND_UP  # away from zero
    else:
        mode = ROUND_DOWN  # towards zero
    return value.quantize(places, rounding=mode)


def _eval(node: _Node, lookup: Lookup, column: Column) -> Decimal:
    if isinstance(node, _Num):
        return node.value
    if isinstance(node, _Ref):
        value = lookup(node.code)
        if value is None:
            raise Unsupported(f"{node.code} is not a field a formula can use here")
        return value
    if isinstance(node, _Call):
        return _call(node, lookup, column)
    if isinstance(node, _Neg):
        return -_eval(node.operand, lookup, column)
    left, right = _eval(node.left, lookup, column), _eval(node.right, lookup, column)
    if node.op in _COMPARISONS:
        return Decimal(1) if _compare(node.op, left, right) else Decimal(0)
    if node.op == "+":
        return left + right
    if node.op == "-":
        return left - right
    if node.op == "*":
        return left * right
    if node.op == "/":
        return (left / right).quantize(_QUOTIENT_PLACES, rounding=ROUND_HALF_UP)
    exponent = int(right.to_integral_value(rounding=ROUND_FLOOR))
    if abs(exponent) > _MAX_EXPONENT:
        raise Unsupported("exponents lie within -100 to 100")
    return left**exponent


def _call(node: _Call, lookup: Lookup, column: Column) -> Decimal:
    name, args = node.name, node.args
    if name == "SUM":
        total = Decimal(0)
        for arg in args:
            if isinstance(arg, _Ref):
                values = column(arg.code)
                if values is None:
                    raise Unsupported(f"{arg.code} is not a number field")
                total += sum(values, Decimal(0))
            else:
                total += _eval(arg, lookup, column)
        return total
    if name == "IF":
        chosen = args[1] if _eval(args[0], lookup, column) != 0 else args[2]
        return _eval(chosen, lookup, column)
    if name == "AND":
        return Decimal(int(all(_eval(a, lookup, column) != 0 for a in args)))
    if name == "OR":
        return Decimal(int(any(_eval(a, lookup, column) != 0 for a in args)))
    if name == "NOT":
        return Decimal(1) - _truth(_eval(args[0], lookup, column))
    digits = _eval(args[1], lookup, column) if len(args) > 1 else Decimal(0)
    return _round(name, _eval(args[0], lookup, column), digits)


def _seconds_text(seconds: Decimal, fmt: str) -> str:
    """A result in seconds written as a DATETIME / DATE / TIME / HOUR_MINUTE / DAY_HOUR_MINUTE value."""
    whole = int(seconds.to_integral_value(rounding=ROUND_FLOOR))
    if fmt in ("DATETIME", "DATE"):
        moment = _EPOCH + timedelta(seconds=whole)
        return moment.strftime("%Y-%m-%d") if fmt == "DATE" else moment.strftime("%Y-%m-%dT%H:%M:00Z")
    if fmt == "TIME":
        of_day = whole % 86400
        return f"{of_day // 3600:02d}:{of_day % 3600 // 60:02d}"
    sign = "-" if whole < 0 else ""
    minutes = abs(whole) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


_FORMATS = frozenset({"NUMBER", "NUMBER_DIGIT", "DATETIME", "DATE", "TIME", "HOUR_MINUTE", "DAY_HOUR_MINUTE"})


def evaluate(expression: str, lookup: Lookup, column: Column, *, fmt: str = "NUMBER") -> str:
    """The stored value of a CALC field in its ``format``, or "" when it cannot be computed here."""
    if fmt not in _FORMATS or not expression.strip():
        return ""
    try:
        node = parse(expression)
        with localcontext() as ctx:
            ctx.prec = 34
            ctx.traps[DivisionByZero] = True
            ctx.traps[InvalidOperation] = True
            result = _eval(node, lookup, column)
            if fmt not in ("NUMBER", "NUMBER_DIGIT"):
                return _seconds_text(result, fmt)
            # Kintone keeps a limited number of significant digits; 16 decimals is plenty for a sandbox.
            result = result.quantize(Decimal(1).scaleb(-16), rounding=ROUND_HALF_UP)
    except (Unsupported, DivisionByZero, InvalidOperation, RecursionError, OverflowError, ValueError):
        return ""
    return canonical_decimal(result)


def seconds_of(field_type: str, stored: object) -> Decimal | None:
    """A stored DATE / DATETIME / TIME / CREATED_TIME / UPDATED_TIME value as the seconds a formula sees; None when
    the value is empty or not a date at all."""
    if not isinstance(stored, str) or not stored:
        return None
    try:
        if field_type == "DATE":
            moment = datetime.strptime(stored, "%Y-%m-%d").replace(tzinfo=UTC)
        elif field_type == "TIME":
            hours, minutes = stored.split(":")
            return Decimal(int(hours) * 3600 + int(minutes) * 60)
        else:
            moment = datetime.strptime(stored, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    return Decimal(int((moment - _EPOCH).total_seconds()))


#: Types a formula reads as seconds.
TIME_TYPES = frozenset({"DATE", "DATETIME", "TIME", "CREATED_TIME", "UPDATED_TIME"})


def formula_value(prop: Mapping[str, Any], stored: object) -> Decimal | None:
    """A field's stored value as a formula reads it: numbers as they are (empty: 0), dates and times as seconds, a
    CALC by its format; None when a formula cannot use the field or its value."""
    ftype = prop.get("type")
    if ftype == "CALC":
        fmt = str(prop.get("format") or "NUMBER")
        if fmt in ("HOUR_MINUTE", "DAY_HOUR_MINUTE"):
            return _duration_seconds(stored)
        if fmt in ("DATETIME", "DATE", "TIME"):
            return seconds_of(fmt, stored)
        ftype = "NUMBER"
    if ftype == "NUMBER":
        if stored is None or stored == "":
            return Decimal(0)
        try:
            return Decimal(str(stored))
        except InvalidOperation:
            return None
    if ftype in TIME_TYPES:
        return seconds_of(str(ftype), stored)
    return None


def _duration_seconds(stored: object) -> Decimal | None:
    if not isinstance(stored, str) or ":" not in stored:
        return None
    sign = -1 if stored.startswith("-") else 1
    hours, _, minutes = stored.lstrip("-").partition(":")
    if not (hours.isdigit() and minutes.isdigit()):
        return None
    return Decimal(sign * (int(hours) * 3600 + int(minutes) * 60))
