"""The error a malformed query raises, with where it went wrong and what would have been accepted there."""

from __future__ import annotations

#: Descriptions (rather than literal tokens) that may appear in ``QuerySyntaxError.expected``. Everything else in
#: ``expected`` is a literal piece of query text such as ``and``, ``(`` or ``order by``.
FIELD_CODE = "a field code"
STRING = "a string"
NUMBER = "a number"
WHOLE_NUMBER = "a whole number"
FUNCTION = "a function"
END = "end of query"

_DESCRIPTIONS = frozenset({FIELD_CODE, STRING, NUMBER, WHOLE_NUMBER, FUNCTION, END})

#: Never echo more of the caller's input than this: the text may be long, and it goes back to a model.
_NEAR_MAX = 20


def _near(text: str, pos: int) -> str:
    if pos >= len(text):
        return "at end of query"
    snippet = text[pos : pos + _NEAR_MAX]
    for i, ch in enumerate(snippet):
        if ch.isspace() and i > 0:
            snippet = snippet[:i]
            break
    if len(snippet) == _NEAR_MAX and pos + _NEAR_MAX < len(text):
        snippet += "…"
    return f"near {snippet!r}"


def format_expected(expected: tuple[str, ...]) -> str:
    """``('and', 'or', END)`` → ``'and', 'or' or end of query``."""
    shown = [e if e in _DESCRIPTIONS else f"'{e}'" for e in expected]
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " or " + shown[-1]


class QuerySyntaxError(Exception):
    """A query that does not follow the grammar.

    ``pos`` is the 0-based offset of the offending character, ``expected`` lists what would have been
    accepted there (literal query text such as ``'and'``, or a description such as ``'a field code'``), and
    ``detail`` holds an explanation when there is something more specific to say than the expected list.
    """

    def __init__(self, text: str, pos: int, expected: tuple[str, ...] = (), detail: str | None = None) -> None:
        self.pos = pos
        self.expected = expected
        self.detail = detail
        where = f"at position {pos} ({_near(text, pos)})"
        self.message = f"{where}: {detail if detail is not None else 'expected ' + format_expected(expected)}"
        super().__init__(self.message)
