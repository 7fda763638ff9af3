"""Splits query text into tokens, one at a time, so that the parser reports the *first* problem in the text.

Lexing is lazy on purpose: a bad character late in the text must not hide a grammar error earlier on.
"""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass

from kintone_mcp.query.errors import FIELD_CODE, NUMBER, STRING, QuerySyntaxError


class Kind(enum.Enum):
    WORD = "word"  # field codes, keywords, function names and function arguments such as DAYS
    STRING = "string"
    NUMBER = "number"
    OP = "operator"
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","
    EOF = "end"


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str  # as written; for STRING the unescaped value
    pos: int
    end: int


_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}

#: Non-ASCII symbols Kintone allows in field codes besides letters and digits.
_EXTRA_CODE_CHARS = frozenset("・＿＄￥")


def is_code_char(ch: str) -> bool:
    """Whether ``ch`` may appear in a field code (after any leading ``$``)."""
    if ch.isascii():
        return ch.isalnum() or ch == "_"
    return unicodedata.category(ch)[0] in "LNM" or unicodedata.category(ch) == "Pc" or ch in _EXTRA_CODE_CHARS


def _is_digit(ch: str) -> bool:
    return "0" <= ch <= "9"


def is_control(ch: str) -> bool:
    return ord(ch) < 0x20 or ord(ch) == 0x7F


class Lexer:
    def __init__(self, text: str) -> None:
        self.text = text

    def error(self, pos: int, expected: tuple[str, ...] = (), detail: str | None = None) -> QuerySyntaxError:
        return QuerySyntaxError(self.text, pos, expected, detail)

    def token_at(self, pos: int) -> Token:
        """The token starting at the first non-blank character at or after ``pos``."""
        text = self.text
        n = len(text)
        while pos < n and text[pos].isspace():
            pos += 1
        if pos >= n:
            return Token(Kind.EOF, "", n, n)
        ch = text[pos]
        if ch == "(":
            return Token(Kind.LPAREN, ch, pos, pos + 1)
        if ch == ")":
            return Token(Kind.RPAREN, ch, pos, pos + 1)
        if ch == ",":
            return Token(Kind.COMMA, ch, pos, pos + 1)
        if ch in "<>":
            if pos + 1 < n and text[pos + 1] == "=":
                return Token(Kind.OP, ch + "=", pos, pos + 2)
            return Token(Kind.OP, ch, pos, pos + 1)
        if ch == "=":
            return Token(Kind.OP, ch, pos, pos + 1)
        if ch == "!":
            if pos + 1 < n and text[pos + 1] == "=":
                return Token(Kind.OP, "!=", pos, pos + 2)
            raise self.error(pos, ("!=",), "'!' must be followed by '=' (the not-equal operator is '!=')")
        if ch == '"':
            return self._string(pos)
        if ch in "'‘’“”":
            raise self.error(
                pos,
                (STRING,),
                'strings must be in straight double quotes ("..."), not single or curly quotes; '
                'inside a string write \\" for a double quote and \\\\ for a backslash',
            )
        if _is_digit(ch) or (ch == "-" and pos + 1 < n and _is_digit(text[pos + 1])):
            return self._number(pos)
        if ch == "$" or is_code_char(ch):
            return self._word(pos)
        raise self.error(pos, detail=f"unexpected character {ch!r}")

    def _string(self, start: int) -> Token:
        text = self.text
        n = len(text)
        out: list[str] = []
        pos = start + 1
        while pos < n:
            ch = text[pos]
            if ch == '"':
                return Token(Kind.STRING, "".join(out), start, pos + 1)
            if ch == "\\":
                if pos + 1 >= n:
                    break
                esc = text[pos + 1]
                if esc not in _ESCAPES:
                    raise self.error(
                        pos,
                        detail=f"unknown escape '\\{esc}' in string; write \\\\ for a backslash, "
                        '\\" for a double quote, \\n for a newline, \\t for a tab',
                    )
                out.append(_ESCAPES[esc])
                pos += 2
                continue
            if is_control(ch):
                raise self.error(
                    pos,
                    detail=f"control character U+{ord(ch):04X} inside a string; write \\n for a newline "
                    "and \\t for a tab",
                )
            out.append(ch)
            pos += 1
        raise self.error(start, ('"',), 'string is not closed: add a closing double quote (")')

    def _number(self, start: int) -> Token:
        text = self.text
        n = len(text)
        pos = start + 1 if text[start] == "-" else start
        while pos < n and _is_digit(text[pos]):
            pos += 1
        if pos < n and text[pos] == ".":
            frac = pos + 1
            while frac < n and _is_digit(text[frac]):
                frac += 1
            if frac == pos + 1:
                raise self.error(pos + 1, (NUMBER,), "a number needs digits after the decimal point, e.g. 1.5")
            pos = frac
        if pos < n and (text[pos] == "$" or is_code_char(text[pos]) or text[pos] == "."):
            raise self.error(
                start,
                (NUMBER, FIELD_CODE),
                "a number must be digits with an optional leading '-' and one decimal point (e.g. -3.5); "
                "field codes cannot start with a digit; compare text fields with a quoted string",
            )
        return Token(Kind.NUMBER, text[start:pos], start, pos)

    def _word(self, start: int) -> Token:
        text = self.text
        n = len(text)
        pos = start + 1 if text[start] == "$" else start
        while True:
            seg = pos
            while pos < n and is_code_char(text[pos]):
                pos += 1
            if pos == seg:
                raise self.error(pos, (FIELD_CODE,), "a field code must continue with letters, digits or '_' here")
            if pos < n and text[pos] == ".":
                pos += 1
                continue
            return Token(Kind.WORD, text[start:pos], start, pos)
