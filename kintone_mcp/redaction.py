"""Keeping configured secrets out of what leaves the process: error text and log records.

Messages are built so as not to hold secrets in the first place (never from the headers or bodies we send). This is
the second line of defence, for text that comes from elsewhere: an answer in which Kintone or a proxy echoes what it
got, an exception a library formats with a header in it, a traceback.

What is scrubbed is each configured secret *value*, in every form it takes in text: as is, JSON-escaped,
repr-escaped and percent-encoded, plus the header values the authentication strategies derive from them (the base64
of ``login:password``, ``Basic ...``), which they report as secrets of their own. Nothing is scrubbed word by word:
a secret shorter than :data:`MIN_SECRET_LENGTH` is left alone, because masking every "sandbox" or "admin" in a
message garbles ordinary text while protecting a value that is guessable anyway. ``settings.load_settings`` warns
about such short secrets instead (they are a configuration problem).

``redact_logs`` applies a redactor to every log record created in the process, whichever logger and handler, for as
long as the returned handle is open: the server opens one for its lifetime.
"""

from __future__ import annotations

import json
import logging
import threading
import traceback
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, quote_plus

#: secrets shorter than this are not masked in text (see the module docstring)
MIN_SECRET_LENGTH = 8
MASK = "***"

SecretSource = Callable[[], Iterable[str]]


def secret_forms(secret: str) -> set[str]:
    """The ways ``secret`` can appear in text: raw, JSON-escaped (ASCII or not), repr-escaped, percent-encoded."""
    if len(secret) < MIN_SECRET_LENGTH:
        return set()
    forms = {
        secret,
        json.dumps(secret, ensure_ascii=False)[1:-1],
        json.dumps(secret)[1:-1],
        repr(secret)[1:-1],
        quote(secret, safe=""),
        quote_plus(secret),
    }
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


class SecretRedactor:
    """Replaces every form of the given secrets with ``***``.

    ``secrets`` is a collection, or a callable returning one when the secrets change over time (OAuth access and
    refresh tokens): the forms are recomputed only when the set of values changes.
    """

    def __init__(self, secrets: Iterable[str] | SecretSource = ()) -> None:
        self._source: SecretSource
        if callable(secrets):
            self._source = secrets
        else:
            fixed = tuple(secrets)
            self._source = lambda: fixed
        self._key: frozenset[str] | None = None
        self._needles: tuple[str, ...] = ()
        self._lock = threading.Lock()

    def needles(self) -> tuple[str, ...]:
        """Every form to mask, longest first (so a longer form is masked whole before a shorter one inside it)."""
        key = frozenset(s for s in self._source() if s)
        with self._lock:
            if key != self._key:
                forms: set[str] = set()
                for secret in key:
                    forms |= secret_forms(secret)
                self._needles = tuple(sorted(forms, key=len, reverse=True))
                self._key = key
            return self._needles

    def redact(self, text: str) -> str:
        for needle in self.needles():
            if needle in text:
                text = text.replace(needle, MASK)
        return text

    def leaks(self, text: str) -> bool:
        return any(needle in text for needle in self.needles())

    def __repr__(self) -> str:
        return f"SecretRedactor({len(self.needles())} forms)"


# --- log records --------------------------------------------------------------------------------------------------

_lock = threading.Lock()
_active: tuple[SecretRedactor, ...] = ()
_installed_factory: Callable[..., logging.LogRecord] | None = None


class LogRedaction:
    """An open log redaction; ``close()`` (or leaving the ``with`` block) stops it."""

    def __init__(self, redactor: SecretRedactor) -> None:
        self.redactor = redactor
        self._open = True

    def close(self) -> None:
        global _active
        with _lock:
            if self._open:
                self._open = False
                active = list(_active)
                active.remove(self.redactor)
                _active = tuple(active)

    def __enter__(self) -> LogRedaction:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def redact_logs(redactor: SecretRedactor) -> LogRedaction:
    """Scrubs ``redactor``'s secrets from every log record created from now on (message, arguments, traceback),
    until the handle is closed. Works through the record factory, so every handler sees the scrubbed record."""
    global _active, _installed_factory
    with _lock:
        if _installed_factory is None:
            _installed_factory = _scrubbing_factory(logging.getLogRecordFactory())
            logging.setLogRecordFactory(_installed_factory)
        _active = (*_active, redactor)
    return LogRedaction(redactor)


def _scrubbing_factory(inner: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = inner(*args, **kwargs)
        redactors = _active
        if redactors:
            _scrub(record, redactors)
        return record

    return factory


def _redact_all(text: str, redactors: tuple[SecretRedactor, ...]) -> str:
    for redactor in redactors:
        text = redactor.redact(text)
    return text


def _scrub(record: logging.LogRecord, redactors: tuple[SecretRedactor, ...]) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: logging reports it later; keep nothing of the arguments
        message = str(record.msg)
        record.args = None
    clean = _redact_all(message, redactors)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[1] is not None:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        clean = _redact_all(text, redactors)
        if clean != text:
            # Formatters print exc_text when exc_info is gone; keeping the exception would print it unscrubbed.
            record.exc_info, record.exc_text = None, clean
    if record.stack_info:
        record.stack_info = _redact_all(record.stack_info, redactors)


__all__ = ["MASK", "MIN_SECRET_LENGTH", "LogRedaction", "SecretRedactor", "redact_logs", "secret_forms"]
