"""CALC fields: a small arithmetic subset of Kintone's formula language.

Supported: numbers, field codes of NUMBER / CALC fields, ``+ - * / ^``, parentheses, unary minus, and
``SUM(code, ...)`` over a table column (or plain fields). An empty field counts as 0. Division by zero gives an
empty result (Kintone shows an error mark in that case).

Anything else (IF, ROUND, DATE_FORMAT, text concatenation with ``&``, comparisons, lookups of text fields, and
CALC formats other than NUMBER / NUMBER_DIGIT) is not emulated: the field is stored as "".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, DivisionByZero, InvalidOperation, localcontext

from kintone_mcp.sandbox.fieldvalues import canonical_decimal

_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*|\.\d+)|([A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)|(\*\*|[-+*/^(),]))")


class Unsupported(Exception):
    """The expression uses something this emulation does not compute."""


@dataclass(frozen=True)
class _Num:
    value: Decimal


@dataclass(frozen=True)
class _Ref:
    code: str


@dataclass(frozen=True)
class _Sum:
    codes: tuple[str, ...]


@dataclass(frozen=True)
class _Neg:
    operand: _Node


@dataclass(frozen=True)
class _Bin:
    op: str
    left: _Node
    right: _Node


_Node = _Num | _Ref | _Sum | _Neg | _Bin


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise Unsupported(f"unsupported character at {pos}")
        tokens.append(m.group(m.lastindex or 0))
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
            node = self.expr()
            self.take(")")
            return node
        if tok[0].isdigit() or tok[0] == ".":
            return _Num(Decimal(tok))
        if tok in "+-*/^(),":
            raise Unsupported(f"unexpected {tok!r}")
        if self.peek() == "(":
            if tok.upper() != "SUM":
                raise Unsupported(f"function {tok} is not emulated")
            self.take("(")
            codes = [self.take()]
            while self.peek() == ",":
                self.take(",")
                codes.append(self.take())
            self.take(")")
            return _Sum(tuple(codes))
        return _Ref(tok)


@functools.lru_cache(maxsize=256)
def parse(expression: str) -> _Node:
    parser = _Parser(_tokenize(expression))
    node = parser.expr()
    if parser.peek() is not None:
        raise Unsupported(f"unexpected {parser.peek()!r}")
    return node


#: Resolves a field code to its numeric value (None: not a numeric field here, so unsupported).
Lookup = Callable[[str], Decimal | None]
#: Resolves a code to the values of a table column (or one value for a plain field); None when unknown.
Column = Callable[[str], list[Decimal] | None]


def _eval(node: _Node, lookup: Lookup, column: Column) -> Decimal:
    if isinstance(node, _Num):
        return node.value
    if isinstance(node, _Ref):
        value = lookup(node.code)
        if value is None:
            raise Unsupported(f"{node.code} is not a number field")
        return value
    if isinstance(node, _Sum):
        total = Decimal(0)
        for code in node.codes:
            values = column(code)
            if values is None:
                raise Unsupported(f"{code} is not a number field")
            total += sum(values, Decimal(0))
        return total
    if isinstance(node, _Neg):
        return -_eval(node.operand, lookup, column)
    left, right = _eval(node.left, lookup, column), _eval(node.right, lookup, column)
    if node.op == "+":
        return left + right
    if node.op == "-":
        return left - right
    if node.op == "*":
        return left * right
    if node.op == "/":
        return left / right
    if right != right.to_integral_value():
        raise Unsupported("non-integer exponents are not emulated")
    return left ** int(right)


def evaluate(expression: str, lookup: Lookup, column: Column, *, display_scale: str = "", fmt: str = "NUMBER") -> str:
    """The stored value of a CALC field: a canonical decimal string, or "" when not computable here."""
    if fmt not in ("NUMBER", "NUMBER_DIGIT") or not expression.strip():
        return ""
    try:
        node = parse(expression)
        with localcontext() as ctx:
            ctx.prec = 34
            ctx.traps[DivisionByZero] = True
            ctx.traps[InvalidOperation] = True
            result = _eval(node, lookup, column)
            if display_scale.isdigit():
                result = result.quantize(Decimal(1).scaleb(-int(display_scale)), rounding=ROUND_HALF_UP)
            else:
                # Kintone keeps a limited number of significant digits; 16 decimals is plenty for a sandbox.
                result = result.quantize(Decimal(1).scaleb(-16), rounding=ROUND_HALF_UP)
    except (Unsupported, DivisionByZero, InvalidOperation, RecursionError):
        return ""
    return canonical_decimal(result)
