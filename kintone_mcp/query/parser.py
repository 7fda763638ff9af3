"""Recursive-descent parser for Kintone's record query language (docs/kintone-api.md §6).

Grammar (keywords case-insensitive unless ``strict_keywords``)::

    query     := [expr] ["order by" key ("," key)*] ["limit" INT] ["offset" INT]
    expr      := conj ("or" conj)*
    conj      := primary ("and" primary)*          -- "and" binds tighter than "or"
    primary   := "(" expr ")" | condition
    condition := FIELD op value | FIELD ("in" | "not in") "(" value ("," value)* ")"
               | FIELD "is" ["not"] "empty"
    op        := "=" | "!=" | ">" | "<" | ">=" | "<=" | "like" | "not like"
    value     := STRING | NUMBER | FUNCTION "(" [arg ("," arg)*] ")"
    key       := FIELD ["asc" | "desc"]

Nested groups of the same kind are flattened (``a and (b and c)`` is one ``And`` of three), and a group of
one is just its item, so equal meanings give equal trees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kintone_mcp.query.ast import (
    And,
    Condition,
    Expr,
    FieldRef,
    FuncCall,
    NumberLit,
    Op,
    Or,
    OrderKey,
    Query,
    StringLit,
    Value,
)
from kintone_mcp.query.errors import (
    END,
    FIELD_CODE,
    FUNCTION,
    NUMBER,
    STRING,
    WHOLE_NUMBER,
    QuerySyntaxError,
    format_expected,
)
from kintone_mcp.query.lexer import Kind, Lexer, Token

_COMPARISON_OPS = {op.value: op for op in (Op.EQ, Op.NE, Op.GT, Op.LT, Op.GE, Op.LE)}
_ALL_OPERATORS = ("=", "!=", ">", "<", ">=", "<=", "in", "not in", "like", "not like", "is empty", "is not empty")

#: Field codes longer than this are cut when quoted back in a hint.
_ECHO_MAX = 20

#: Parentheses nested deeper than this are refused, so that hostile input cannot exhaust Python's stack.
MAX_DEPTH = 100

# --------------------------------------------------------------------------------------------------------------------
# Functions and their arguments (§6.3)

WEEKDAYS = ("SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY")
PERIOD_UNITS = ("DAYS", "WEEKS", "MONTHS", "YEARS")


@dataclass(frozen=True, slots=True)
class _Param:
    """One function argument: which words it takes, or which whole numbers (``low``..``high``, inclusive)."""

    words: tuple[str, ...] = ()
    low: int | None = None
    high: int | None = None
    numeric: bool = False

    def expected(self) -> tuple[str, ...]:
        return ((WHOLE_NUMBER,) if self.numeric else ()) + self.words


@dataclass(frozen=True, slots=True)
class _Signature:
    params: tuple[_Param, ...]
    required: int
    usage: str  # how to call it, for error messages


def _no_args(name: str) -> _Signature:
    return _Signature((), 0, f"{name}() takes no arguments")


def _week(name: str) -> _Signature:
    return _Signature(
        (_Param(words=WEEKDAYS),),
        0,
        f"{name}() takes no argument (the whole week) or one weekday: {name}(SUNDAY|MONDAY|...|SATURDAY)",
    )


def _month(name: str) -> _Signature:
    return _Signature(
        (_Param(words=("LAST",), numeric=True, low=1, high=31),),
        0,
        f"{name}() takes no argument (the whole month) or one day: {name}(1..31) or {name}(LAST)",
    )


SIGNATURES: dict[str, _Signature] = {
    **{n: _no_args(n) for n in ("LOGINUSER", "PRIMARY_ORGANIZATION", "NOW", "TODAY", "YESTERDAY", "TOMORROW")},
    **{n: _no_args(n) for n in ("THIS_YEAR", "LAST_YEAR", "NEXT_YEAR")},
    **{n: _week(n) for n in ("THIS_WEEK", "LAST_WEEK", "NEXT_WEEK")},
    **{n: _month(n) for n in ("THIS_MONTH", "LAST_MONTH", "NEXT_MONTH")},
    "FROM_TODAY": _Signature(
        (_Param(numeric=True), _Param(words=PERIOD_UNITS)),
        2,
        "FROM_TODAY() takes a whole number (may be negative) and a unit: "
        "FROM_TODAY(n, DAYS|WEEKS|MONTHS|YEARS), e.g. FROM_TODAY(-7, DAYS)",
    ),
}


def check_function(name: str, args: tuple[str, ...]) -> str | None:
    """Why ``name(args)`` is not a valid function call, or None if it is. Used by the builder."""
    sig = SIGNATURES.get(name)
    if sig is None:
        return f"unknown function {name!r}; functions are: {', '.join(sorted(SIGNATURES))}"
    if not sig.required <= len(args) <= len(sig.params):
        return sig.usage
    for param, arg in zip(sig.params, args, strict=False):
        if not _param_accepts(param, arg):
            return sig.usage
    return None


def _param_accepts(param: _Param, arg: str) -> bool:
    if arg.upper() in param.words:
        return True
    if not param.numeric:
        return False
    digits = arg[1:] if arg.startswith("-") else arg
    if not (digits.isascii() and digits.isdigit()):
        return False
    value = int(arg)
    return (param.low is None or value >= param.low) and (param.high is None or value <= param.high)


# --------------------------------------------------------------------------------------------------------------------


def parse(text: str, *, strict_keywords: bool = False) -> Query:
    """Parse Kintone query text into a :class:`Query`.

    Keywords (``and``, ``order by``...) are accepted in any case unless ``strict_keywords`` is set, in which
    case they must be lower-case as in Kintone's documentation. Function names and their word arguments are
    accepted in any case and upper-cased in the tree. Raises :class:`QuerySyntaxError`.
    """
    return _Parser(text, strict_keywords).query()


class _Parser:
    def __init__(self, text: str, strict_keywords: bool) -> None:
        self.text = text
        self.strict = strict_keywords
        self.lexer = Lexer(text)
        self.tokens: list[Token] = []
        self.index = 0
        self.depth = 0

    # -- token access ------------------------------------------------------------------------------------------------

    def peek(self, ahead: int = 0) -> Token:
        while len(self.tokens) <= self.index + ahead:
            last = self.tokens[-1] if self.tokens else None
            if last is not None and last.kind is Kind.EOF:
                return last
            self.tokens.append(self.lexer.token_at(last.end if last else 0))
        return self.tokens[self.index + ahead]

    def advance(self) -> Token:
        tok = self.peek()
        if tok.kind is not Kind.EOF:
            self.index += 1
        return tok

    def error(self, tok: Token, expected: tuple[str, ...], detail: str | None = None) -> QuerySyntaxError:
        return QuerySyntaxError(self.text, tok.pos, expected, detail)

    @staticmethod
    def is_kw(tok: Token, word: str) -> bool:
        return tok.kind is Kind.WORD and tok.text.lower() == word

    def take_kw(self, word: str) -> Token:
        """Consume keyword ``word`` (already known to match case-insensitively), enforcing case if strict."""
        tok = self.advance()
        if self.strict and tok.text != word:
            raise self.error(
                tok, (word,), f"keywords must be lower-case: write '{word}' instead of '{tok.text[:_ECHO_MAX]}'"
            )
        return tok

    def expect_kw(self, word: str, expected: tuple[str, ...] | None = None) -> Token:
        tok = self.peek()
        if not self.is_kw(tok, word):
            raise self.error(tok, expected or (word,))
        return self.take_kw(word)

    def expect(self, kind: Kind, expected: tuple[str, ...], detail: str | None = None) -> Token:
        tok = self.peek()
        if tok.kind is not kind:
            raise self.error(tok, expected, detail)
        return self.advance()

    # -- query -------------------------------------------------------------------------------------------------------

    def at_option(self) -> bool:
        tok, nxt = self.peek(), self.peek(1)
        if self.is_kw(tok, "order"):
            return self.is_kw(nxt, "by")
        if self.is_kw(tok, "limit") or self.is_kw(tok, "offset"):
            return nxt.kind is Kind.NUMBER
        return False

    def query(self) -> Query:
        where: Expr | None = None
        tok = self.peek()
        if tok.kind in (Kind.WORD, Kind.LPAREN) and not self.at_option():
            where = self.expr()
            expected: list[str] = ["and", "or"]
        elif tok.kind is Kind.EOF:
            expected = []
        else:
            expected = [FIELD_CODE, "("]

        order_by: tuple[OrderKey, ...] = ()
        if self.is_kw(self.peek(), "order"):
            self.take_kw("order")
            self.expect_kw("by")
            order_by, expected = self.order_keys()
        else:
            expected.append("order by")

        limit = None
        if self.is_kw(self.peek(), "limit"):
            self.take_kw("limit")
            limit = self.whole_number("limit")
            expected = []
        else:
            expected.append("limit")

        offset = None
        if self.is_kw(self.peek(), "offset"):
            self.take_kw("offset")
            offset = self.whole_number("offset")
            expected = []
        else:
            expected.append("offset")

        tok = self.peek()
        if tok.kind is not Kind.EOF:
            expected.append(END)
            detail = None
            if any(self.is_kw(tok, kw) for kw in ("order", "limit", "offset")):
                detail = (
                    f"expected {format_expected(tuple(expected))}; options come after the conditions, each at "
                    "most once and in this order: order by, limit, offset"
                )
            raise self.error(tok, tuple(expected), detail)
        return Query(where=where, order_by=order_by, limit=limit, offset=offset)

    def order_keys(self) -> tuple[tuple[OrderKey, ...], list[str]]:
        keys: list[OrderKey] = []
        while True:
            field = self.field_ref()
            descending = False
            expected = [","]
            if self.is_kw(self.peek(), "asc"):
                self.take_kw("asc")
            elif self.is_kw(self.peek(), "desc"):
                self.take_kw("desc")
                descending = True
            else:
                expected = ["asc", "desc", ","]
            keys.append(OrderKey(field, descending))
            if self.peek().kind is not Kind.COMMA:
                return tuple(keys), expected
            self.advance()

    def whole_number(self, option: str) -> int:
        tok = self.peek()
        if tok.kind is not Kind.NUMBER or not tok.text.isdigit():
            detail = None
            if tok.kind is Kind.NUMBER:
                detail = f"{option} takes a whole number of records, 0 or more (e.g. {option} 100)"
            raise self.error(tok, (WHOLE_NUMBER,), detail)
        self.advance()
        return int(tok.text)

    # -- conditions --------------------------------------------------------------------------------------------------

    def expr(self) -> Expr:
        items = self.flat(self.conj(), Or)
        while self.is_kw(self.peek(), "or"):
            self.take_kw("or")
            items.extend(self.flat(self.conj(), Or))
        return items[0] if len(items) == 1 else Or(tuple(items))

    def conj(self) -> Expr:
        items = self.flat(self.primary(), And)
        while self.is_kw(self.peek(), "and"):
            self.take_kw("and")
            items.extend(self.flat(self.primary(), And))
        return items[0] if len(items) == 1 else And(tuple(items))

    @staticmethod
    def flat(expr: Expr, kind: type[And] | type[Or]) -> list[Expr]:
        return list(expr.items) if isinstance(expr, kind) else [expr]

    def primary(self) -> Expr:
        tok = self.peek()
        if tok.kind is Kind.LPAREN:
            if self.depth >= MAX_DEPTH:
                raise self.error(tok, (FIELD_CODE,), f"parentheses are nested more than {MAX_DEPTH} deep")
            self.advance()
            self.depth += 1
            inner = self.expr()
            self.expect(Kind.RPAREN, ("and", "or", ")"))
            self.depth -= 1
            return inner
        if tok.kind is Kind.WORD:
            return self.condition()
        raise self.error(tok, (FIELD_CODE, "("))

    def field_ref(self) -> FieldRef:
        tok = self.expect(Kind.WORD, (FIELD_CODE,))
        if tok.text.count(".") > 1:
            raise self.error(
                tok,
                (FIELD_CODE,),
                "a field code has at most one dot, as in RelatedRecords.Field (a field shown in a related-records "
                "field)",
            )
        return FieldRef(tok.text, tok.pos)

    def condition(self) -> Condition:
        field = self.field_ref()
        op = self.operator()
        values: tuple[Value, ...]
        if op in (Op.IS_EMPTY, Op.IS_NOT_EMPTY):
            values = ()
        elif op in (Op.IN, Op.NOT_IN):
            values = self.value_list(op)
        else:
            values = (self.value(),)
        return Condition(field, op, values, field.pos)

    def operator(self) -> Op:
        tok = self.peek()
        if tok.kind is Kind.OP:
            self.advance()
            return _COMPARISON_OPS[tok.text]
        if self.is_kw(tok, "in"):
            self.take_kw("in")
            return Op.IN
        if self.is_kw(tok, "like"):
            self.take_kw("like")
            return Op.LIKE
        if self.is_kw(tok, "not"):
            self.take_kw("not")
            nxt = self.peek()
            if self.is_kw(nxt, "in"):
                self.take_kw("in")
                return Op.NOT_IN
            if self.is_kw(nxt, "like"):
                self.take_kw("like")
                return Op.NOT_LIKE
            raise self.error(nxt, ("in", "like"))
        if self.is_kw(tok, "is"):
            self.take_kw("is")
            if self.is_kw(self.peek(), "not"):
                self.take_kw("not")
                self.expect_kw("empty")
                return Op.IS_NOT_EMPTY
            self.expect_kw("empty", ("empty", "not empty"))
            return Op.IS_EMPTY
        raise self.error(tok, _ALL_OPERATORS)

    def value_list(self, op: Op) -> tuple[Value, ...]:
        self.expect(
            Kind.LPAREN,
            ("(",),
            f'\'{op.value}\' takes a parenthesised list of values, e.g. Stage {op.value} ("A", "B")',
        )
        values = [self.value()]
        while self.peek().kind is Kind.COMMA:
            self.advance()
            values.append(self.value())
        self.expect(Kind.RPAREN, (",", ")"))
        return tuple(values)

    def value(self) -> Value:
        tok = self.peek()
        if tok.kind is Kind.STRING:
            self.advance()
            return StringLit(tok.text, tok.pos)
        if tok.kind is Kind.NUMBER:
            self.advance()
            return NumberLit(tok.text, tok.pos)
        expected = (STRING, NUMBER, FUNCTION)
        if tok.kind is Kind.WORD:
            if self.peek(1).kind is Kind.LPAREN:
                return self.function()
            word = tok.text[:_ECHO_MAX]
            if word.upper() in SIGNATURES:
                hint = f"functions need parentheses, e.g. {word.upper()}()"
            else:
                hint = f'text values must be in double quotes, e.g. "{word}"'
            raise self.error(tok, expected, f"expected {format_expected(expected)}; {hint}")
        raise self.error(tok, expected)

    def function(self) -> FuncCall:
        name_tok = self.advance()
        name = name_tok.text.upper()
        sig = SIGNATURES.get(name)
        if sig is None:
            raise self.error(
                name_tok,
                (FUNCTION,),
                f"unknown function '{name_tok.text[:_ECHO_MAX]}'; functions are: {', '.join(sorted(SIGNATURES))}",
            )
        self.advance()  # "(" (checked by the caller)

        def fail(tok: Token, expected: tuple[str, ...]) -> QuerySyntaxError:
            return self.error(tok, expected, f"expected {format_expected(expected)}; {sig.usage}")

        args: list[str] = []
        for i, param in enumerate(sig.params):
            tok = self.peek()
            if i >= sig.required and tok.kind is Kind.RPAREN:
                break
            if i > 0:
                if tok.kind is not Kind.COMMA:
                    raise fail(tok, (",", ")") if i >= sig.required else (",",))
                self.advance()
                tok = self.peek()
            args.append(self.argument(param, tok, fail))
        tok = self.peek()
        if tok.kind is not Kind.RPAREN:
            raise fail(tok, (")",))
        self.advance()
        return FuncCall(name, tuple(args), name_tok.pos)

    def argument(self, param: _Param, tok: Token, fail: Callable[[Token, tuple[str, ...]], QuerySyntaxError]) -> str:
        if tok.kind not in (Kind.WORD, Kind.NUMBER) or not _param_accepts(param, tok.text):
            raise fail(tok, param.expected())
        self.advance()
        return tok.text.upper() if tok.kind is Kind.WORD else tok.text
