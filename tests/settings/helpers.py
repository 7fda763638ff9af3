"""Shared by the settings tests: typical environments and a way to collect the problems of a load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kintone_mcp.settings import ConfigurationError, load_settings

BASE = {"KINTONE_BASE_URL": "https://example.cybozu.com"}
PASSWORD = {**BASE, "KINTONE_USERNAME": "sato", "KINTONE_PASSWORD": "pw-canary-1f2e"}


def problems_of(cli: dict[str, Any] | None = None, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigurationError) as info:
        load_settings(cli, env or {})
    return info.value.problems


def write(tmp_path: Path, text: str, name: str = "kintone.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path
