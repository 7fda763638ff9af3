"""Where kintone-mcp keeps its own files on this platform."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path


def user_config_dir(env: Mapping[str, str] | None = None) -> Path:
    """kintone-mcp's directory in the user's configuration directory (XDG_CONFIG_HOME, APPDATA, macOS's
    Application Support), for files such as OAuth tokens."""
    environment: Mapping[str, str] = os.environ if env is None else env
    if os.name == "nt":
        base = Path(environment.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        xdg = environment.get("XDG_CONFIG_HOME", "")
        # The XDG spec says a relative value is invalid and must be ignored.
        base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".config"
    return base / "kintone-mcp"
