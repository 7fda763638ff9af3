"""The one error of the settings package."""

from __future__ import annotations


class ConfigurationError(Exception):
    """The launch configuration is unusable. ``problems`` lists every problem, each naming what fixes it."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"The Kintone connection is not configured correctly ({len(problems)} problem(s)):\n{lines}")
