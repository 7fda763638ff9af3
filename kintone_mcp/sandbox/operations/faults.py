"""Fault rules for the sandbox: what to break, how often, and which requests; plus the seeded dice that decide.

A rule is data (``FaultRule``), written either as JSON (the ``/_sandbox/faults`` admin endpoint) or as a compact spec
(``kintone-mcp sandbox --fault SPEC``, see ``parse_fault_spec``). ``FaultInjector`` holds the active rules, one seeded
random stream per rule, and the counters; for each request it returns a ``FaultPlan`` that the operations middleware
carries out. Nothing here touches ASGI.
"""

from __future__ import annotations

import argparse
import fnmatch
import random
import re
import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

FaultKind = Literal["error", "latency", "drop", "truncate", "malformed"]
KINDS: tuple[FaultKind, ...] = get_args(FaultKind)

#: Settings every kind accepts, then the ones that only make sense for one kind.
COMMON_KEYS: tuple[str, ...] = ("rate", "paths", "methods", "max_count", "after_commit")
KIND_KEYS: dict[FaultKind, tuple[str, ...]] = {
    "error": ("status", "code", "message", "retry_after"),
    "latency": ("ms",),
    "drop": (),
    "truncate": ("keep",),
    "malformed": (),
}

SPEC_EXAMPLES = (
    "error:rate=0.2,status=503",
    "error:rate=0.1,status=520,code=GAIA_DA02,after_commit=1",
    "latency:rate=1,ms=50-200",
    "drop:rate=0.05,methods=POST,paths=/k/v1/records.json",
)

_CODE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_METHOD_RE = re.compile(r"^[A-Z]+$")
_GLOB_CHARS = frozenset("*?[")
_GUEST_PREFIX = re.compile(r"^/k/guest/\d+/v1/")


class FaultSpecError(ValueError, argparse.ArgumentTypeError):
    """A fault rule that cannot be used; the message says which setting is wrong and what is accepted.

    Also an ArgumentTypeError so that ``type=parse_fault_spec`` in argparse shows this message rather than a bare
    "invalid parse_fault_spec value"."""


@dataclass(frozen=True)
class FaultRule:
    """One way to misbehave. Defaults make ``FaultRule("drop")`` mean "drop every request"."""

    kind: FaultKind
    #: Probability (0..1) that a matching request gets this fault.
    rate: float = 1.0
    #: Path patterns: a pattern with ``*``, ``?`` or ``[`` is a glob (``*`` also crosses ``/``), anything else a
    #: prefix. Guest-space paths are also tried in their ``/k/v1/`` form. Empty means every path.
    paths: tuple[str, ...] = ()
    #: Methods as served (after X-HTTP-Method-Override). Empty means every method.
    methods: tuple[str, ...] = ()
    #: Stop after this many injections (None: no limit).
    max_count: int | None = None
    #: True: the request reaches the app first (writes are committed), then the answer is replaced, dropped or cut.
    #: False: nothing reaches the app. None: the kind's default (truncate always needs the app's answer; others False).
    after_commit: bool | None = None
    # error
    status: int = 500
    #: Kintone error code: with one the body is Kintone's JSON error; without, a plain text or HTML page (gateway).
    code: str | None = None
    message: str | None = None
    #: Seconds for a Retry-After header.
    retry_after: int | None = None
    # latency: milliseconds, a fixed value (lo == hi) or a uniform range
    ms: tuple[int, int] = (0, 0)
    # truncate: share of the body sent before the connection closes (always less than all of it)
    keep: float = 0.5

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise FaultSpecError(f"unknown fault kind {self.kind!r}; use one of: {', '.join(KINDS)}")
        if not 0 <= self.rate <= 1:
            raise FaultSpecError(f"rate must be between 0 and 1 (a probability), got {self.rate}")
        for pattern in self.paths:
            if not pattern.startswith(("/", "*")):
                raise FaultSpecError(f"path pattern {pattern!r} must start with '/' (or '*'), e.g. /k/v1/records.json")
        object.__setattr__(self, "methods", tuple(m.upper() for m in self.methods))
        for method in self.methods:
            if not _METHOD_RE.match(method):
                raise FaultSpecError(f"method {method!r} is not an HTTP method name such as GET or POST")
        if self.max_count is not None and self.max_count < 1:
            raise FaultSpecError(f"max_count must be 1 or more (leave it out for no limit), got {self.max_count}")
        if self.kind == "truncate" and self.after_commit is False:
            raise FaultSpecError(
                "truncate always lets the request reach the app (it cuts the app's real answer); "
                "leave after_commit out, or use drop for a failure before the app"
            )
        if not 400 <= self.status <= 599:
            raise FaultSpecError(f"status must be an HTTP error status between 400 and 599, got {self.status}")
        if self.code is not None and not _CODE_RE.match(self.code):
            raise FaultSpecError(f"code {self.code!r} is not a Kintone error code such as GAIA_DA02")
        if self.retry_after is not None and self.retry_after < 0:
            raise FaultSpecError(f"retry_after is a number of seconds, 0 or more, got {self.retry_after}")
        lo, hi = self.ms
        if lo < 0 or hi < lo:
            raise FaultSpecError(f"ms must be a fixed value or a range LOW-HIGH with 0 <= LOW <= HIGH, got {lo}-{hi}")
        if self.kind == "latency" and hi == 0:
            raise FaultSpecError("latency needs ms, e.g. ms=100 or ms=50-200")
        if not 0 <= self.keep < 1:
            raise FaultSpecError(f"keep is the share of the body sent before cutting, 0 <= keep < 1, got {self.keep}")

    @property
    def commits(self) -> bool:
        """Whether the request reaches the app before the fault is applied."""
        return self.after_commit if self.after_commit is not None else self.kind == "truncate"

    def matches(self, method: str, path: str) -> bool:
        if self.methods and method.upper() not in self.methods:
            return False
        if not self.paths:
            return True
        candidates = [path]
        normal = _GUEST_PREFIX.sub("/k/v1/", path)
        if normal != path:
            candidates.append(normal)
        return any(_path_matches(pattern, c) for pattern in self.paths for c in candidates)

    def to_json(self) -> dict[str, Any]:
        """The rule as the admin endpoint shows it: only the settings that apply to its kind."""
        out: dict[str, Any] = {"kind": self.kind, "rate": self.rate}
        if self.paths:
            out["paths"] = list(self.paths)
        if self.methods:
            out["methods"] = list(self.methods)
        if self.max_count is not None:
            out["max_count"] = self.max_count
        out["after_commit"] = self.commits
        if self.kind == "error":
            out["status"] = self.status
            out["code"] = self.code
            if self.message is not None:
                out["message"] = self.message
            if self.retry_after is not None:
                out["retry_after"] = self.retry_after
        elif self.kind == "latency":
            out["ms"] = self.ms[0] if self.ms[0] == self.ms[1] else list(self.ms)
        elif self.kind == "truncate":
            out["keep"] = self.keep
        return out

    @classmethod
    def from_json(cls, data: object) -> FaultRule:
        """A rule from its JSON form (``to_json``'s shape; ``ms`` may also be ``"50-200"``, lists may be strings)."""
        if not isinstance(data, Mapping):
            raise FaultSpecError(f"a fault rule must be a JSON object such as {{'kind': 'drop'}}, got {data!r}")
        kind = data.get("kind")
        if kind not in KINDS:
            raise FaultSpecError(f"unknown fault kind {kind!r}; use one of: {', '.join(KINDS)}")
        kind = cast(FaultKind, kind)
        allowed = ("kind", *COMMON_KEYS, *KIND_KEYS[kind])
        unknown = [key for key in data if key not in allowed]
        if unknown:
            raise FaultSpecError(
                f"{', '.join(map(str, unknown))} cannot be used with a {kind} fault; "
                f"{kind} accepts: {', '.join(allowed[1:])}"
            )
        values: dict[str, Any] = {}
        for key, raw in data.items():
            if key != "kind":
                values[key] = _convert(key, raw)
        return cls(kind=kind, **values)


def _path_matches(pattern: str, path: str) -> bool:
    if _GLOB_CHARS.isdisjoint(pattern):
        return path.startswith(pattern)
    return fnmatch.fnmatchcase(path, pattern)


def _convert(key: str, raw: object) -> Any:
    """One JSON (or spec) value to the type FaultRule holds, with an error that names the setting."""
    try:
        if key in ("paths", "methods"):
            items = raw.split("|") if isinstance(raw, str) else raw
            if not isinstance(items, list | tuple) or not all(isinstance(i, str) and i for i in items):
                raise ValueError("expected a list of strings")
            return tuple(items)
        if key == "rate" or key == "keep":
            return _number(raw)
        if key in ("status", "max_count", "retry_after"):
            if raw is None and key != "status":
                return None
            return _integer(raw)
        if key == "after_commit":
            return _boolean(raw)
        if key in ("code", "message"):
            if raw is None or (key == "code" and isinstance(raw, str) and raw.lower() in ("", "none")):
                return None
            if not isinstance(raw, str):
                raise ValueError("expected a string")
            return raw
        if key == "ms":
            return _milliseconds(raw)
    except ValueError as exc:
        raise FaultSpecError(f"{key}: {exc} (got {raw!r})") from None
    raise FaultSpecError(f"unknown setting {key!r}")  # pragma: no cover - keys are checked before conversion


def _number(raw: object) -> float:
    if isinstance(raw, bool):
        raise ValueError("expected a number")
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, str):
        text = raw.strip()
        try:
            return float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            pass
    raise ValueError("expected a number such as 0.2 or 20%")


def _integer(raw: object) -> int:
    if isinstance(raw, bool):
        raise ValueError("expected a whole number")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        return int(raw.strip())
    raise ValueError("expected a whole number")


def _boolean(raw: object) -> bool | None:
    if raw is None or isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        text = raw.strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
    raise ValueError("expected 1/0, true/false or yes/no")


def _milliseconds(raw: object) -> tuple[int, int]:
    if isinstance(raw, list | tuple) and len(raw) == 2:
        return (_integer(raw[0]), _integer(raw[1]))
    if isinstance(raw, str) and "-" in raw.strip()[1:]:
        lo, _, hi = raw.strip().partition("-")
        return (_integer(lo), _integer(hi))
    value = _integer(raw)
    return (value, value)


def parse_fault_spec(spec: str) -> FaultRule:
    """A rule from the compact command-line form ``KIND[:key=value,key=value...]``.

    Lists (``methods``, ``paths``) separate items with ``|`` or repeat the key. ``rate`` also takes a percentage
    (``rate=5%``). Values cannot contain commas; for a ``message`` with commas use the admin endpoint's JSON.
    """
    text = spec.strip()
    kind, _, rest = text.partition(":")
    kind = kind.strip()
    data: dict[str, Any] = {"kind": kind}
    try:
        if kind not in KINDS:
            raise FaultSpecError(f"unknown fault kind {kind!r}; use one of: {', '.join(KINDS)}")
        for item in rest.split(","):
            if not item.strip():
                continue
            key, sep, value = item.partition("=")
            key, value = key.strip().replace("-", "_"), value.strip()
            if not sep or not key:
                raise FaultSpecError(f"{item.strip()!r} is not key=value")
            if key in ("paths", "methods", "path", "method"):
                key = key if key.endswith("s") else key + "s"
                data[key] = f"{data[key]}|{value}" if key in data else value
            elif key in data:
                raise FaultSpecError(f"{key} is given twice")
            else:
                data[key] = value
        return FaultRule.from_json(data)
    except FaultSpecError as exc:
        raise FaultSpecError(
            f"invalid fault spec {spec!r}: {exc}. Write KIND:key=value,..., e.g. {' or '.join(SPEC_EXAMPLES[:2])}"
        ) from None


@dataclass(frozen=True)
class FaultPlan:
    """What to do with one request: wait, then maybe apply one terminal fault (error, drop, truncate, malformed)."""

    delay_before: float = 0.0
    delay_after: float = 0.0
    fault: FaultRule | None = None


NO_FAULT = FaultPlan()


@dataclass
class _RuleState:
    rule: FaultRule
    rng: random.Random
    matched: int = 0
    injected: int = 0


@dataclass
class FaultInjector:
    """The active rules and their counters. Thread-safe: the admin endpoint, the serving loop and test code may all
    reach it from different threads.

    Reproducibility: each rule draws from its own random stream, seeded from (seed, rule position), and draws only for
    requests it matches. So the same seed and the same sequence of requests give the same faults, and adding a rule
    does not change which requests an earlier rule hits. Replacing the rules restarts the streams.
    """

    seed: int | None = None
    _states: list[_RuleState] = field(default_factory=list, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.seed is None:
            # Still reported by snapshot(), so a run with a random seed can be replayed.
            self.seed = secrets.randbits(32)

    @classmethod
    def with_rules(cls, rules: Iterable[FaultRule], seed: int | None = None) -> FaultInjector:
        injector = cls(seed)
        injector.replace(rules)
        return injector

    def replace(self, rules: Iterable[FaultRule], seed: int | None = None) -> None:
        """Installs ``rules`` with fresh counters and random streams (reseeded with ``seed`` when given)."""
        with self._lock:
            if seed is not None:
                self.seed = seed
            self._states = [_RuleState(rule, random.Random(f"{self.seed}/{index}")) for index, rule in enumerate(rules)]

    def clear(self) -> None:
        self.replace(())

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return [state.rule for state in self._states]

    def injected(self) -> list[int]:
        """How many times each rule (in order) has fired."""
        with self._lock:
            return [state.injected for state in self._states]

    def snapshot(self) -> dict[str, Any]:
        """Rules and counters as JSON for ``GET /_sandbox/faults``."""
        with self._lock:
            rules = [
                {**state.rule.to_json(), "matched": state.matched, "injected": state.injected} for state in self._states
            ]
            return {"seed": self.seed, "rules": rules, "injected": sum(s.injected for s in self._states)}

    def plan(self, method: str, path: str) -> FaultPlan:
        """Rolls the dice for one request. Latency rules add up; the first terminal rule that fires wins."""
        if not self._states:
            return NO_FAULT
        delay_before = delay_after = 0.0
        fault: FaultRule | None = None
        with self._lock:
            for state in self._states:
                rule = state.rule
                terminal = rule.kind != "latency"
                if (terminal and fault is not None) or not rule.matches(method, path):
                    continue
                if rule.max_count is not None and state.injected >= rule.max_count:
                    continue
                state.matched += 1
                if state.rng.random() >= rule.rate:
                    continue
                state.injected += 1
                if terminal:
                    fault = rule
                    continue
                delay = state.rng.randint(*rule.ms) / 1000
                if rule.commits:
                    delay_after += delay
                else:
                    delay_before += delay
        if fault is None and not delay_before and not delay_after:
            return NO_FAULT
        return FaultPlan(delay_before, delay_after, fault)


def rules_from_json(data: object) -> list[FaultRule]:
    """Rules from a JSON list whose items are rule objects or spec strings; errors name the bad item."""
    if not isinstance(data, list):
        raise FaultSpecError("expected a JSON list of fault rules (objects or spec strings)")
    rules: list[FaultRule] = []
    for index, item in enumerate(data):
        try:
            rules.append(parse_fault_spec(item) if isinstance(item, str) else FaultRule.from_json(item))
        except FaultSpecError as exc:
            raise FaultSpecError(f"rule {index}: {exc}") from None
    return rules


__all__ = [
    "KINDS",
    "NO_FAULT",
    "FaultInjector",
    "FaultKind",
    "FaultPlan",
    "FaultRule",
    "FaultSpecError",
    "parse_fault_spec",
    "rules_from_json",
]
