"""Fault rules as data: the compact --fault spec, the JSON form, matching, and the seeded dice."""

from __future__ import annotations

import pytest

from kintone_mcp.sandbox.operations.faults import (
    FaultInjector,
    FaultRule,
    FaultSpecError,
    parse_fault_spec,
    rules_from_json,
)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("error:rate=0.2,status=503", FaultRule("error", rate=0.2, status=503)),
        (
            "error:rate=0.1,status=520,code=GAIA_DA02,after_commit=1",
            FaultRule("error", rate=0.1, status=520, code="GAIA_DA02", after_commit=True),
        ),
        ("latency:rate=1,ms=50-200", FaultRule("latency", ms=(50, 200))),
        ("latency:ms=75", FaultRule("latency", ms=(75, 75))),
        (
            "drop:rate=0.05,methods=POST,paths=/k/v1/records.json",
            FaultRule("drop", rate=0.05, methods=("POST",), paths=("/k/v1/records.json",)),
        ),
        (
            "error:status=429,code=GAIA_TO04,retry_after=2,max_count=3",
            FaultRule("error", status=429, code="GAIA_TO04", retry_after=2, max_count=3),
        ),
        ("truncate:keep=0.1", FaultRule("truncate", keep=0.1)),
        ("malformed:after_commit=yes", FaultRule("malformed", after_commit=True)),
        ("drop", FaultRule("drop")),
        ("drop:", FaultRule("drop")),
        (" drop : rate = 5% ", FaultRule("drop", rate=0.05)),
        (
            "drop:methods=post|put,method=DELETE,paths=/k/v1/record.json|/k/v1/records.json",
            FaultRule("drop", methods=("POST", "PUT", "DELETE"), paths=("/k/v1/record.json", "/k/v1/records.json")),
        ),
        ("error:status=500,code=none", FaultRule("error", status=500)),
        ("error:after-commit=true", FaultRule("error", after_commit=True)),
    ],
)
def test_spec_examples_parse(spec: str, expected: FaultRule) -> None:
    assert parse_fault_spec(spec) == expected


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("explode:rate=1", "unknown fault kind 'explode'; use one of: error, latency, drop, truncate, malformed"),
        ("", "unknown fault kind ''"),
        ("error:rate=1.5", "rate must be between 0 and 1"),
        ("error:rate=half", "rate: expected a number"),
        ("error:status=abc", "status: expected a whole number"),
        ("error:status=200", "status must be an HTTP error status between 400 and 599"),
        ("error:code=GAIA DA02", "is not a Kintone error code"),
        ("latency:rate=1", "latency needs ms"),
        ("latency:ms=200-50", "ms must be a fixed value or a range LOW-HIGH"),
        ("latency:ms=fast", "ms: expected a whole number"),
        ("latency:status=503", "status cannot be used with a latency fault; latency accepts: rate, paths"),
        ("drop:code=GAIA_DA02", "code cannot be used with a drop fault"),
        ("truncate:after_commit=0", "truncate always lets the request reach the app"),
        ("truncate:keep=1", "0 <= keep < 1"),
        ("drop:after_commit=maybe", "after_commit: expected 1/0, true/false or yes/no"),
        ("drop:rate", "'rate' is not key=value"),
        ("drop:rate=0.1,rate=0.2", "rate is given twice"),
        ("drop:paths=k/v1/records.json", "must start with '/'"),
        ("drop:methods=G3T", "is not an HTTP method name"),
        ("drop:max_count=0", "max_count must be 1 or more"),
        ("error:retry_after=-1", "retry_after is a number of seconds"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec: str, needle: str) -> None:
    with pytest.raises(FaultSpecError) as caught:
        parse_fault_spec(spec)
    message = str(caught.value)
    assert needle in message
    assert message.startswith(f"invalid fault spec {spec!r}")
    assert "e.g. error:rate=0.2,status=503" in message  # every error shows the syntax
    assert isinstance(caught.value, ValueError)  # argparse turns ValueError from a type= function into a usage error


@pytest.mark.parametrize(
    "rule",
    [
        FaultRule("error", rate=0.25, status=520, code="GAIA_DA02", after_commit=True, message="busy", retry_after=1),
        FaultRule("latency", ms=(10, 20), paths=("/k/v1/*.json",), methods=("GET",), max_count=4),
        FaultRule("latency", ms=(7, 7), after_commit=True),
        FaultRule("drop", rate=0.5),
        FaultRule("truncate", keep=0.3),
        FaultRule("malformed", after_commit=False),
    ],
)
def test_json_round_trip(rule: FaultRule) -> None:
    again = FaultRule.from_json(rule.to_json())
    assert again.to_json() == rule.to_json()
    assert again.commits == rule.commits


def test_json_form_shows_only_settings_of_the_kind() -> None:
    assert FaultRule("drop").to_json() == {"kind": "drop", "rate": 1.0, "after_commit": False}
    assert FaultRule("truncate").to_json() == {"kind": "truncate", "rate": 1.0, "after_commit": True, "keep": 0.5}
    assert FaultRule("latency", ms=(5, 9)).to_json()["ms"] == [5, 9]


def test_from_json_accepts_strings_where_convenient() -> None:
    rule = FaultRule.from_json({"kind": "latency", "ms": "10-30", "methods": "get|post", "rate": "50%"})
    assert (rule.ms, rule.methods, rule.rate) == ((10, 30), ("GET", "POST"), 0.5)


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ([1], "rule 0: a fault rule must be a JSON object"),
        ([{"kind": "drop", "rate": True}], "rate: expected a number"),
        ([{"kind": "drop", "methods": [1]}], "methods: expected a list of strings"),
        ([{"kind": "error", "status": 503.5}], "status: expected a whole number"),
        ("drop", "expected a JSON list"),
    ],
)
def test_rules_from_json_errors(data: object, needle: str) -> None:
    with pytest.raises(FaultSpecError, match=None) as caught:
        rules_from_json(data)
    assert needle in str(caught.value)


def test_commits_defaults_by_kind() -> None:
    assert FaultRule("truncate").commits is True
    assert FaultRule("error").commits is False
    assert FaultRule("error", after_commit=True).commits is True


@pytest.mark.parametrize(
    ("rule", "method", "path", "expected"),
    [
        (FaultRule("drop"), "GET", "/anything", True),
        (FaultRule("drop", paths=("/k/v1/record",)), "GET", "/k/v1/records.json", True),  # prefix
        (FaultRule("drop", paths=("/k/v1/record.json",)), "GET", "/k/v1/records.json", False),
        (FaultRule("drop", paths=("/k/v1/*.json",)), "GET", "/k/v1/app/form/fields.json", True),  # * crosses /
        (FaultRule("drop", paths=("/k/v1/record?.json",)), "GET", "/k/v1/records.json", True),
        (FaultRule("drop", paths=("/k/v1/record?.json",)), "GET", "/k/v1/record.json", False),
        (FaultRule("drop", paths=("/k/v1/records.json",)), "GET", "/k/guest/3/v1/records.json", True),
        (FaultRule("drop", paths=("/k/guest/3/",)), "GET", "/k/guest/3/v1/records.json", True),
        (FaultRule("drop", paths=("/k/guest/4/",)), "GET", "/k/guest/3/v1/records.json", False),
        (FaultRule("drop", paths=("/a", "/b")), "GET", "/b/c", True),
        (FaultRule("drop", methods=("post",)), "POST", "/x", True),
        (FaultRule("drop", methods=("POST",)), "GET", "/x", False),
    ],
)
def test_matching(rule: FaultRule, method: str, path: str, expected: bool) -> None:
    assert rule.matches(method, path) is expected


def draws(injector: FaultInjector, n: int, path: str = "/k/v1/records.json") -> list[str | None]:
    out: list[str | None] = []
    for _ in range(n):
        plan = injector.plan("GET", path)
        out.append(plan.fault.kind if plan.fault else None)
    return out


def test_seeded_injector_is_reproducible() -> None:
    rules = [FaultRule("drop", rate=0.2), FaultRule("error", rate=0.3)]
    a = draws(FaultInjector.with_rules(rules, seed=11), 200)
    assert a == draws(FaultInjector.with_rules(rules, seed=11), 200)
    assert a != draws(FaultInjector.with_rules(rules, seed=12), 200)
    # The first terminal fault wins; the second only fires when the first did not.
    assert 20 <= a.count("drop") <= 60 and 30 <= a.count("error") <= 80


def test_random_seed_is_reported_for_replay() -> None:
    rules = [FaultRule("drop", rate=0.5)]
    first = FaultInjector.with_rules(rules)
    assert isinstance(first.seed, int)
    replay = FaultInjector.with_rules(rules, seed=first.seed)
    assert draws(first, 50) == draws(replay, 50)


def test_unmatched_requests_do_not_consume_draws() -> None:
    rules = [FaultRule("drop", rate=0.5, paths=("/k/v1/records.json",))]
    plain = FaultInjector.with_rules(rules, seed=3)
    mixed = FaultInjector.with_rules(rules, seed=3)
    expected = draws(plain, 30)
    got: list[str | None] = []
    for _ in range(30):
        assert mixed.plan("GET", "/k/v1/app.json").fault is None
        got.extend(draws(mixed, 1))
    assert got == expected
    assert mixed.snapshot()["rules"][0]["matched"] == 30


def test_latency_adds_up_and_splits_before_and_after() -> None:
    injector = FaultInjector.with_rules(
        [
            FaultRule("latency", ms=(10, 10)),
            FaultRule("latency", ms=(20, 20)),
            FaultRule("latency", ms=(5, 5), after_commit=True),
        ],
        seed=1,
    )
    plan = injector.plan("GET", "/")
    assert (plan.delay_before, plan.delay_after, plan.fault) == (0.03, 0.005, None)


def test_latency_range_is_drawn_within_bounds() -> None:
    injector = FaultInjector.with_rules([FaultRule("latency", ms=(50, 200))], seed=5)
    delays = {injector.plan("GET", "/").delay_before for _ in range(200)}
    assert min(delays) >= 0.05 and max(delays) <= 0.2
    assert len(delays) > 20  # a range, not a fixed value


def test_max_count_and_counters() -> None:
    injector = FaultInjector.with_rules([FaultRule("error", max_count=2), FaultRule("drop", rate=0)], seed=1)
    assert draws(injector, 4) == ["error", "error", None, None]
    snapshot = injector.snapshot()
    assert [(r["matched"], r["injected"]) for r in snapshot["rules"]] == [(2, 2), (2, 0)]
    assert injector.injected() == [2, 0]
    injector.clear()
    assert injector.snapshot()["rules"] == [] and draws(injector, 1) == [None]
