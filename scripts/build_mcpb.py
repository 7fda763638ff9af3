#!/usr/bin/env python3
"""Build the MCPB bundle, dist/kintone-mcp-VERSION.mcpb, and the registry entry that names it, dist/server.json.

The bundle is a `uv` bundle (manifest format 0.4): it carries the package source and the pyproject.toml it builds
from, and the host (Claude Desktop, …) makes the environment from them with uv. So it holds nothing platform-bound
and works before any PyPI release. What goes in is staged in a temporary folder and packed there with `mcpb pack`
(the official CLI, pinned in tests/js/package.json), so nothing else of the checkout can slip in:

    manifest.json    manifests/manifest.json
    pyproject.toml   the project file, unchanged (the host builds the package with it, as `pip install .` does)
    README.md        pyproject.toml names it as the package description: the build fails without it
    LICENSE          MIT asks for the notice to travel with the source
    kintone_mcp/     every file the wheel holds: tracked or new and not ignored, the rule hatchling follows

dist/server.json is manifests/server.json with an `mcpb` package added: the bundle's release download URL and its
SHA-256, which the registry requires for a bundle and which only exists once the bundle is built. Publish that file,
not the committed one, together with the bundle.

Run from anywhere: `python scripts/build_mcpb.py` (needs Node >= 20 and `npm ci --prefix tests/js`). Standard library
only, so it runs with any Python >= 3.11 without installing the project.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "kintone_mcp"
#: Files of the project root the bundle carries besides the manifest and the package (see the module docstring).
PROJECT_FILES = ("pyproject.toml", "README.md", "LICENSE")
DEFAULT_MCPB_CLI = ROOT / "tests" / "js" / "node_modules" / "@anthropic-ai" / "mcpb" / "dist" / "cli" / "cli.js"


class BuildError(Exception):
    """A reason the bundle cannot be built, worded as what to do about it."""


def package_version(root: Path = ROOT) -> str:
    """The version as kintone_mcp/__init__.py writes it (read, not imported: the script must not need the deps)."""
    text = (root / PACKAGE / "__init__.py").read_text(encoding="utf-8")
    found = re.search(r'^__version__ = "([^"]+)"$', text, re.MULTILINE)
    if found is None:
        raise BuildError(f'{PACKAGE}/__init__.py has no line __version__ = "..."')
    return found.group(1)


def bundle_filename(version: str) -> str:
    # The name `mcpb pack` itself reports for the manifest's name and version.
    return f"kintone-mcp-{version}.mcpb"


def package_files(root: Path = ROOT) -> list[str]:
    """Paths (relative, with /) of the package's files as the wheel takes them: what git tracks or would track.

    Hatchling leaves out what .gitignore ignores; `git ls-files --cached --others --exclude-standard` lists exactly
    the rest. Outside a git checkout (an unpacked sdist), caches are the only thing to leave out.
    """
    git = shutil.which("git")
    if git is not None and (root / ".git").exists():
        out = subprocess.run(
            [git, "-C", str(root), "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", PACKAGE],
            capture_output=True, check=True,
        ).stdout  # fmt: skip
        # --cached also lists files deleted in the work tree but not yet in a commit: the wheel would not have them.
        names = sorted({n for n in out.decode("utf-8").split("\0") if n and (root / n).is_file()})
    else:
        names = sorted(
            p.relative_to(root).as_posix()
            for p in (root / PACKAGE).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        )
    if f"{PACKAGE}/__init__.py" not in names:
        raise BuildError(f"found no {PACKAGE}/__init__.py under {root}")
    return names


def stage(staging: Path, root: Path = ROOT) -> list[str]:
    """Copies what the bundle holds into ``staging``; returns the staged paths."""
    manifest = json.loads((root / "manifests" / "manifest.json").read_text(encoding="utf-8"))
    version = package_version(root)
    if manifest.get("version") != version:
        raise BuildError(
            f"manifests/manifest.json says version {manifest.get('version')!r} but {PACKAGE} is {version}: "
            "make them agree before building"
        )
    if manifest.get("server", {}).get("type") != "uv":
        raise BuildError("manifests/manifest.json must be a `uv` bundle (server.type): it builds from pyproject.toml")
    shutil.copyfile(root / "manifests" / "manifest.json", staging / "manifest.json")
    staged = ["manifest.json"]
    for name in [*PROJECT_FILES, *package_files(root)]:
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / name, target)
        staged.append(name)
    entry = manifest["server"]["entry_point"]
    if entry not in staged:
        raise BuildError(f"the manifest's entry_point {entry} is not among the bundled files")
    return staged


def pack(staging: Path, output: Path, cli: Path) -> str:
    """Runs `mcpb pack` (which validates the manifest first); returns what it printed."""
    node = shutil.which("node")
    if node is None:
        raise BuildError("node is not installed: `mcpb pack` needs Node >= 20")
    if not cli.is_file():
        raise BuildError(f"{cli} is missing: run `npm ci --prefix tests/js` (it installs @anthropic-ai/mcpb)")
    proc = subprocess.run(
        [node, str(cli), "pack", str(staging), str(output)], capture_output=True, text=True, check=False
    )
    printed = proc.stdout + proc.stderr
    if proc.returncode != 0 or not output.is_file():
        raise BuildError(f"mcpb pack failed:\n{printed}")
    return printed


def release_url(server_name: str, version: str, filename: str) -> str:
    """Where the release puts the bundle: GitHub releases of the repository the registry name stands for.

    The registry accepts bundles only from GitHub or GitLab releases, and an io.github.OWNER/NAME entry can only be
    published by OWNER, so the name says which repository that is.
    """
    found = re.fullmatch(r"io\.github\.([A-Za-z0-9-]+)/([A-Za-z0-9._-]+)", server_name)
    if found is None:
        raise BuildError(f"cannot derive a GitHub release URL from the registry name {server_name!r}: pass --url")
    owner, repo = found.groups()
    return f"https://github.com/{owner}/{repo}/releases/download/v{version}/{filename}"


def registry_entry(bundle: Path, version: str, url: str | None, root: Path = ROOT) -> dict[str, Any]:
    """manifests/server.json with the bundle added as an `mcpb` package."""
    server: dict[str, Any] = json.loads((root / "manifests" / "server.json").read_text(encoding="utf-8"))
    packages = [p for p in server.get("packages", []) if p.get("registryType") != "mcpb"]
    packages.append(
        {
            "registryType": "mcpb",
            "identifier": url or release_url(server["name"], version, bundle.name),
            "version": version,
            "fileSha256": hashlib.sha256(bundle.read_bytes()).hexdigest(),
            "transport": {"type": "stdio"},
        }
    )
    server["packages"] = packages
    return server


def build(out_dir: Path, *, cli: Path = DEFAULT_MCPB_CLI, url: str | None = None, root: Path = ROOT) -> Path:
    version = package_version(root)
    out_dir.mkdir(parents=True, exist_ok=True)
    bundle = out_dir / bundle_filename(version)
    with tempfile.TemporaryDirectory(prefix="kintone-mcpb-") as tmp:
        staging = Path(tmp) / "kintone-mcp"
        staging.mkdir()
        stage(staging, root)
        print(pack(staging, bundle, cli), end="")
    server = registry_entry(bundle, version, url, root)
    (out_dir / "server.json").write_text(json.dumps(server, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"Wrote {bundle} ({bundle.stat().st_size:,} bytes) and {out_dir / 'server.json'}")
    return bundle


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "dist", help="where to write (default: dist/)")
    parser.add_argument("--mcpb", type=Path, default=Path(os.environ.get("MCPB_CLI", DEFAULT_MCPB_CLI)),
                        help="the mcpb CLI's cli.js (default: the one tests/js installs)")  # fmt: skip
    parser.add_argument("--url", help="the bundle's download URL in dist/server.json (default: the GitHub "
                                      "release of the repository the registry name names)")  # fmt: skip
    args = parser.parse_args(argv)
    try:
        build(args.out_dir, cli=args.mcpb, url=args.url)
    except BuildError as exc:
        print(f"build_mcpb: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
