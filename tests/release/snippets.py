"""Every host snippet we publish, read into one shape: the files in manifests/clients/ and the snippets in the host
section of docs/configuration.md and README's quick start (JSON blocks and `claude mcp add` lines).

Three forms: `installed` runs the script or the interpreter of a virtual environment the user made (the path is the
placeholder below), `sandbox` does the same with `serve --sandbox`, `pypi` runs `uvx kintone-mcp` (after a release).
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = ROOT / "manifests" / "clients"
#: The virtual environment's absolute path, as every snippet writes it (README tells the user to replace it).
PLACEHOLDER = "/ABSOLUTE/PATH/kintone-mcp/.venv"
PROJECT = "kintone-mcp"
HOSTS = {
    "claude_desktop": "claude_desktop.json",
    "claude_code": "claude_code.mcp.json",
    "vscode": "vscode.mcp.json",
    "cursor": "cursor.mcp.json",
}
FORMS = ("installed", "sandbox", "pypi")


@dataclass(frozen=True)
class Launch:
    where: str  # the file, or the page and snippet number, for messages
    command: str
    args: list[str]
    env: dict[str, str] = field(default_factory=dict)

    @property
    def form(self) -> str:
        if self.command == "uvx":
            return "pypi"
        return "sandbox" if "--sandbox" in self.args else "installed"

    def split(self) -> tuple[list[str], list[str]]:
        """(what runs the program, the words our CLI parses): the script, `python -m kintone_mcp`, or `uvx NAME`."""
        if self.command == "uvx":
            return [self.command, *self.args[:1]], self.args[1:]
        if self.command.endswith("/python"):
            return [self.command, *self.args[:2]], self.args[2:]
        return [self.command], self.args

    def __str__(self) -> str:
        return self.where


def from_config(doc: dict[str, Any], where: str) -> list[Launch]:
    servers: dict[str, Any] = doc.get("mcpServers") or doc.get("servers") or {}
    return [
        Launch(f"{where} ({name})", s["command"], list(s.get("args", [])), dict(s.get("env", {})))
        for name, s in servers.items()
    ]


def client_files() -> dict[tuple[str, str], Path]:
    return {(form, host): CLIENTS / form / name for form in FORMS for host, name in HOSTS.items()}


def launches_in_files() -> list[Launch]:
    found: list[Launch] = []
    for path in sorted(CLIENTS.rglob("*.json")):
        found += from_config(json.loads(path.read_text(encoding="utf-8")), str(path.relative_to(ROOT)))
    return found


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    following = re.search(r"^## ", text[start + len(heading) :], re.MULTILINE)
    return text[start : start + len(heading) + following.start()] if following else text[start:]


def _from_markdown(text: str, where: str) -> list[Launch]:
    found: list[Launch] = []
    for n, (lang, body) in enumerate(re.findall(r"^```(\w*)\n(.*?)^```", text, re.MULTILINE | re.DOTALL), 1):
        if lang == "json" and ('"mcpServers"' in body or '"servers"' in body):
            found += from_config(json.loads(body), f"{where} snippet {n}")
        elif lang == "bash":
            for line in body.splitlines():
                if line.startswith("claude mcp add "):
                    words = shlex.split(line)
                    cut = words.index("--")
                    env = dict(w.split("=", 1) for w in words[cut - 1 :: -1] if "=" in w and not w.startswith("-"))
                    found.append(Launch(f"{where} snippet {n}", words[cut + 1], words[cut + 2 :], env))
    return found


def launches_in_docs() -> list[Launch]:
    config = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return [
        *_from_markdown(_section(config, "## Client configuration"), "docs/configuration.md"),
        *_from_markdown(_section(readme, "## Quick start"), "README.md"),
    ]


def in_venv(launch: Launch, venv: Path) -> list[str]:
    """The program part of a snippet with the placeholder replaced by a real environment."""
    program, _ = launch.split()
    return [program[0].replace(PLACEHOLDER, str(venv), 1), *program[1:]]
