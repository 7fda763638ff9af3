"""Operational behaviour wrapped around the sandbox app: concurrency limit, method override, fault injection.
Seam only: the implementation lands in its own commit."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.types import ASGIApp


@dataclass
class OperationsConfig:
    concurrency_limit: int = 100


def wrap(app: ASGIApp, config: OperationsConfig) -> ASGIApp:
    return app
