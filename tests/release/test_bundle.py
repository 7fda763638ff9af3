"""The MCPB bundle holds the package that was built and nothing it does not need, its manifest passes the official
validator, it runs the way a host runs a `uv` bundle, and dist/server.json names it with its real hash."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from mcp import Client, StdioServerParameters

from kintone_mcp import __version__
from tests.release.conftest import ROOT, Dist, clean_env, tool
from tests.server.helpers import call_ok

pytestmark = [pytest.mark.slow, pytest.mark.build, pytest.mark.socket]

SUBSET = ROOT / "tests" / "server" / "schemas" / "registry-server.subset.schema.json"
MCPB_CLI = ROOT / "tests" / "js" / "node_modules" / "@anthropic-ai" / "mcpb" / "dist" / "cli" / "cli.js"


@pytest.fixture(scope="module")
def unpacked(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("bundle") / "kintone-mcp"
    with zipfile.ZipFile(dist.bundle) as zf:
        zf.extractall(where)
    return where


def test_the_bundle_holds_the_manifest_the_project_file_and_the_built_package(dist: Dist) -> None:
    with zipfile.ZipFile(dist.bundle) as zf:
        inside = {n: zf.read(n) for n in zf.namelist() if not n.endswith("/")}
    # The package is what the wheel holds (not what the script thinks it should be), byte for byte.
    wheel = {n: data for n, data in dist.wheel_files().items() if n.startswith("kintone_mcp/")}
    assert sorted(inside) == sorted(["manifest.json", "pyproject.toml", "README.md", "LICENSE", *wheel])
    differ = [n for n in wheel if hashlib.sha256(inside[n]).digest() != hashlib.sha256(wheel[n]).digest()]
    assert differ == [], "the bundle's package differs from the wheel's"
    for name, source in [("manifest.json", "manifests/manifest.json"), ("pyproject.toml", "pyproject.toml")]:
        assert inside[name] == (ROOT / source).read_bytes(), name


def test_the_unpacked_manifest_passes_the_official_validator(unpacked: Path) -> None:
    node = shutil.which("node")
    assert node is not None and MCPB_CLI.is_file(), "needs node and `npm ci --prefix tests/js`"
    proc = subprocess.run(
        [node, str(MCPB_CLI), "validate", str(unpacked / "manifest.json")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0 and "validation passes" in proc.stdout, proc.stdout + proc.stderr
    manifest = json.loads((unpacked / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["manifest_version"] == "0.4" and manifest["server"]["type"] == "uv"
    assert (unpacked / manifest["server"]["entry_point"]).is_file()


def _substitute(value: str, variables: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        assert match.group(1) in variables, f"the manifest uses ${{{match.group(1)}}}, which no host provides"
        return variables[match.group(1)]

    return re.sub(r"\$\{([\w.]+)\}", one, value)


def host_command(unpacked: Path, settings: dict[str, str], downloads: Path) -> tuple[str, list[str], dict[str, str]]:
    """What a host runs for this bundle: mcp_config with ${__dirname}, the user's settings (or their defaults) and
    the host's folder variables filled in (MCPB manifest specification, "Variable substitution")."""
    manifest = json.loads((unpacked / "manifest.json").read_text(encoding="utf-8"))
    host = {"__dirname": str(unpacked), "HOME": str(downloads.parent), "DOWNLOADS": str(downloads)}
    variables = dict(host)
    for key, spec in manifest["user_config"].items():
        assert key in settings or not spec.get("required"), f"required setting {key} not given"
        default = spec.get("default", "")
        value = settings.get(key, json.dumps(default) if isinstance(default, bool) else str(default))
        variables[f"user_config.{key}"] = _substitute(value, host)
    config = manifest["server"]["mcp_config"]
    args = [_substitute(a, variables) for a in config["args"]]
    env = {k: _substitute(v, variables) for k, v in config["env"].items()}
    return config["command"], args, env


@pytest.mark.anyio
async def test_the_bundle_runs_as_a_host_runs_a_uv_bundle(unpacked: Path, sandbox_url: str, tmp_path: Path) -> None:
    """uv builds the environment from the bundle's own pyproject.toml (nothing from PyPI of ours, nothing of the
    checkout), and the user's settings reach the server: read-only leaves the write tools out."""
    from kintone_mcp.server.tools.registry import ALL_TOOLS
    from kintone_mcp.server.toolsets import DEFAULT_TOOLSETS

    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    settings = {"base_url": sandbox_url, "username": "sato", "password": "sandbox", "read_only": "true"}
    command, args, env = host_command(unpacked, settings, downloads)
    assert command == "uv"
    params = StdioServerParameters(command=tool("uv"), args=args, env=clean_env(**env), cwd=tmp_path)
    async with Client(params, read_timeout_seconds=300) as mcp:
        names = [t.name for t in (await mcp.list_tools()).tools]
        assert names == [s.name for s in ALL_TOOLS if not s.writes and s.toolset in DEFAULT_TOOLSETS]
        apps = await call_ok(mcp, "list_apps")
        assert [a["name"] for a in apps["apps"]][:3] == ["Customers", "Deals", "Support tickets"]
    # The environment uv made is the bundle's own, and the package in it is the bundle's source.
    assert (unpacked / ".venv").is_dir()


def _registry_errors(doc: dict[str, Any]) -> list[str]:
    schema = json.loads(SUBSET.read_text(encoding="utf-8"))
    return [e.message for e in Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER).iter_errors(doc)]


def test_the_registry_entry_names_the_wheel_and_the_bundle_alike(dist: Dist) -> None:
    built: dict[str, Any] = json.loads(dist.server_json.read_text(encoding="utf-8"))
    assert _registry_errors(built) == []
    committed = json.loads((ROOT / "manifests" / "server.json").read_text(encoding="utf-8"))
    mcpb = [p for p in built["packages"] if p["registryType"] == "mcpb"]
    assert len(mcpb) == 1
    assert built["packages"][:-1] == committed["packages"]
    rest = {k: v for k, v in built.items() if k != "packages"}
    assert rest == {k: v for k, v in committed.items() if k != "packages"}
    (pypi,) = committed["packages"]
    bundle = mcpb[0]
    assert bundle["fileSha256"] == hashlib.sha256(dist.bundle.read_bytes()).hexdigest()
    # One name and one version throughout: the PyPI project, the wheel, the bundle file and its release tag.
    assert (pypi["identifier"], pypi["version"], bundle["version"]) == ("kintone-mcp", __version__, __version__)
    assert dist.wheel.name.startswith(f"{pypi['identifier'].replace('-', '_')}-{__version__}-")
    assert dist.bundle.name == f"{pypi['identifier']}-{__version__}.mcpb"
    owner_repo = committed["name"].removeprefix("io.github.")
    assert bundle["identifier"] == (
        f"https://github.com/{owner_repo}/releases/download/v{__version__}/{dist.bundle.name}"
    )
    assert "mcp" in bundle["identifier"]  # the registry's ownership rule for bundles


def test_the_vendored_schema_requires_a_hash_for_a_bundle(dist: Dist) -> None:
    built: dict[str, Any] = json.loads(dist.server_json.read_text(encoding="utf-8"))
    for change in ({"fileSha256": None}, {"fileSha256": "ABC"}, {"identifier": "not a url"}):
        doc = copy.deepcopy(built)
        entry = doc["packages"][-1]
        for key, value in change.items():
            if value is None:
                del entry[key]
            else:
                entry[key] = value
        assert _registry_errors(doc), change
