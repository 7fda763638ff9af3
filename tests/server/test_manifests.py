"""The distribution manifests agree with each other and with the published schemas (offline: vendored subset)."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from tests.release.snippets import PLACEHOLDER, Launch, client_files, from_config, launches_in_docs, launches_in_files

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "manifests"
SUBSET = Path(__file__).parent / "schemas" / "registry-server.subset.schema.json"


def _secret_settings() -> set[str]:
    """Environment names of the settings the configuration treats as secrets (file-able secrets, and values held as
    SecretStr such as a proxy URL, which may carry credentials)."""
    from kintone_mcp.settings import SECRET_FIELDS, Settings, env_name

    held = {name for name, f in Settings.model_fields.items() if "SecretStr" in str(f.annotation)}
    return {env_name(name) for name in SECRET_FIELDS | held}


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _registry_errors(doc: dict[str, Any]) -> list[str]:
    validator = Draft7Validator(_load(SUBSET), format_checker=Draft7Validator.FORMAT_CHECKER)
    return [e.message for e in validator.iter_errors(doc)]


def test_server_json_is_valid_against_the_registry_schema() -> None:
    assert _registry_errors(_load(MANIFESTS / "server.json")) == []


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        (("version",), "latest"),
        (("version",), "^0.1.0"),
        (("description",), "x" * 101),
        (("name",), "kintone-mcp"),
        (("packages", 0, "version"), "latest"),
        (("packages", 0, "transport"), {"type": "websocket"}),
    ],
)
def test_the_vendored_schema_rejects_what_the_registry_rejects(path: tuple[Any, ...], bad: Any) -> None:
    doc = copy.deepcopy(_load(MANIFESTS / "server.json"))
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = bad
    assert _registry_errors(doc)


def test_manifest_lists_exactly_the_tools() -> None:
    """The bundle's tool list is the registry's: the same names in the same order, each described."""
    from kintone_mcp.server.tools.registry import ALL_TOOLS

    tools = _load(MANIFESTS / "manifest.json")["tools"]
    assert [t["name"] for t in tools] == [s.name for s in ALL_TOOLS]
    assert [t["name"] for t in tools if not str(t.get("description") or "").strip()] == []


def test_mcpb_manifest_has_a_user_setting_for_every_environment_variable() -> None:
    manifest = _load(MANIFESTS / "manifest.json")
    env: dict[str, str] = manifest["server"]["mcp_config"]["env"]
    args: list[str] = manifest["server"]["mcp_config"]["args"]
    user_config: dict[str, Any] = manifest["user_config"]
    used = {m.group(1) for v in [*env.values(), *args] for m in re.finditer(r"\$\{user_config\.(\w+)\}", v)}
    assert used == set(user_config), "every user setting is passed to the server and every variable is settable"
    registry_env = {e["name"] for e in _load(MANIFESTS / "server.json")["packages"][0]["environmentVariables"]}
    assert registry_env <= set(env), "the registry entry documents no variable the bundle cannot set"
    for name, value in env.items():
        key = re.fullmatch(r"\$\{user_config\.(\w+)\}", value)
        assert key is not None
        secret = name in _secret_settings()
        assert bool(user_config[key.group(1)].get("sensitive")) == secret, name


def test_bundle_arguments_are_ones_the_cli_accepts() -> None:
    from kintone_mcp.commands.main import build_parser

    args = _load(MANIFESTS / "manifest.json")["server"]["mcp_config"]["args"]
    words = args[args.index("kintone-mcp") + 1 :]
    parsed = build_parser("serve").parse_args(words)
    assert parsed.transport == "stdio"


#: Settings a bundle has no use for: they configure the HTTP transport, and a bundle runs the server on stdio.
#: settings of the HTTP transport, which a bundle (stdio) never uses
NOT_FOR_A_BUNDLE = {
    "KINTONE_MCP_HTTP_TOKEN",
    "KINTONE_MCP_HTTP_MAX_BODY",
    "KINTONE_MCP_HTTP_MAX_CONNECTIONS",
    "KINTONE_MCP_HTTP_READ_TIMEOUT",
    "KINTONE_MCP_HTTP_MAX_SESSIONS",
    "KINTONE_MCP_HTTP_SESSION_IDLE_TIMEOUT",
}


def test_the_bundle_lets_the_user_set_every_setting() -> None:
    from kintone_mcp.settings import Settings, env_name

    env = set(_load(MANIFESTS / "manifest.json")["server"]["mcp_config"]["env"])
    assert {env_name(f) for f in Settings.model_fields} - NOT_FOR_A_BUNDLE == env


def test_registry_marks_every_secret() -> None:
    for var in _load(MANIFESTS / "server.json")["packages"][0]["environmentVariables"]:
        assert bool(var.get("isSecret")) == (var["name"] in _secret_settings()), var["name"]


def test_every_host_has_a_snippet_of_every_form_and_nothing_else_is_there() -> None:
    expected = client_files()
    assert all(path.is_file() for path in expected.values()), [str(p) for p in expected.values() if not p.is_file()]
    assert sorted((MANIFESTS / "clients").rglob("*.json")) == sorted(expected.values())
    for (form, _), path in expected.items():
        (launch,) = from_config(_load(path), str(path))
        assert launch.form == form, f"{path} is in {form}/ but is a {launch.form} snippet"


@pytest.mark.parametrize("launch", [*launches_in_files(), *launches_in_docs()], ids=str)
def test_a_snippet_runs_our_command_with_arguments_the_cli_accepts(launch: Launch) -> None:
    """The program is the venv's script, the venv's Python with `-m kintone_mcp`, or `uvx kintone-mcp`; the rest
    parses as our CLI's own arguments; every variable it sets is a real setting. (tests/release runs them.)"""
    from kintone_mcp.commands.main import build_parser
    from kintone_mcp.settings import Settings, env_name

    program, words = launch.split()
    assert program in (
        [f"{PLACEHOLDER}/bin/kintone-mcp"], [f"{PLACEHOLDER}/bin/python", "-m", "kintone_mcp"], ["uvx", "kintone-mcp"],
    ), program  # fmt: skip
    parsed = build_parser(words[0]).parse_args(words)
    assert parsed.command == "serve" and parsed.transport == "stdio"
    assert parsed.sandbox == (launch.form == "sandbox")
    known = {env_name(f) for f in Settings.model_fields}
    assert set(launch.env) <= known
    assert ("KINTONE_BASE_URL" in launch.env) == (launch.form != "sandbox"), "a real connection needs its URL"


def test_the_docs_show_every_form() -> None:
    shown = {launch.form for launch in launches_in_docs()}
    assert shown == {"installed", "sandbox", "pypi"}


def test_the_readme_carries_the_registry_name_pypi_checks() -> None:
    """The registry accepts a PyPI package for a server only if its description (our README) says `mcp-name: NAME`."""
    name = _load(MANIFESTS / "server.json")["name"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"mcp-name: {re.escape(name)}(\s|-->)", readme)


def test_a_bundle_package_without_its_hash_is_rejected() -> None:
    doc = copy.deepcopy(_load(MANIFESTS / "server.json"))
    bundle = {"registryType": "mcpb", "version": "0.1.0", "transport": {"type": "stdio"},
              "identifier": "https://github.com/o/r/releases/download/v0.1.0/kintone-mcp-0.1.0.mcpb"}  # fmt: skip
    doc["packages"].append(bundle)
    assert _registry_errors(doc)
    bundle["fileSha256"] = "0" * 64
    assert _registry_errors(doc) == []
    bundle["identifier"] = "kintone-mcp-0.1.0.mcpb"  # a bundle is named by its download URL
    assert _registry_errors(doc)


def test_the_vendored_schema_checks_package_arguments() -> None:
    doc = copy.deepcopy(_load(MANIFESTS / "server.json"))
    doc["packages"][0]["packageArguments"].append({"type": "positional"})  # neither value nor valueHint
    assert _registry_errors(doc)
    doc["packages"][0]["packageArguments"][-1] = {"type": "named", "value": "x"}  # a named argument needs a name
    assert _registry_errors(doc)


def test_every_variable_the_manifests_set_is_a_real_setting() -> None:
    from kintone_mcp.settings import Settings, env_name

    known = {env_name(f) for f in Settings.model_fields}
    env = set(_load(MANIFESTS / "manifest.json")["server"]["mcp_config"]["env"])
    registry = {e["name"] for e in _load(MANIFESTS / "server.json")["packages"][0]["environmentVariables"]}
    assert env - known == set() and registry - known == set()


def test_the_mcpb_validator_accepts_the_bundle_manifest() -> None:
    """The official validator (@anthropic-ai/mcpb, pinned in tests/js/package.json), not only our reading of it."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    cli = ROOT / "tests" / "js" / "node_modules" / "@anthropic-ai" / "mcpb" / "dist" / "cli" / "cli.js"
    if not cli.is_file():
        pytest.fail("tests/js/node_modules is missing: run `npm ci --prefix tests/js` (README's test command does)")
    proc = subprocess.run(
        [node, str(cli), "validate", str(MANIFESTS / "manifest.json")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0 and "validation passes" in proc.stdout, proc.stdout + proc.stderr


def test_the_version_is_written_once_and_every_manifest_repeats_it() -> None:
    """kintone_mcp/__init__.py holds the version (no importlib.metadata at start-up); the build reads it from there,
    and the manifests, the User-Agent and --version must say the same."""
    import sys
    import tomllib

    from kintone_mcp import __version__
    from kintone_mcp.client.connection import USER_AGENT

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["hatch"]["version"]["path"] == "kintone_mcp/__init__.py"
    server = _load(MANIFESTS / "server.json")
    bundle = _load(MANIFESTS / "manifest.json")
    stated = [bundle["version"], server["version"], *(p["version"] for p in server["packages"])]
    assert stated == [__version__] * len(stated)
    assert USER_AGENT.removeprefix("kintone-mcp/") == __version__
    shown = subprocess.run(
        [sys.executable, "-m", "kintone_mcp", "--version"], capture_output=True, text=True, timeout=60, check=True
    )
    assert shown.stdout.strip() == f"kintone-mcp {__version__}"


def test_the_build_reads_the_version_from_the_package() -> None:
    from hatchling.metadata import core
    from hatchling.plugin.manager import PluginManager

    from kintone_mcp import __version__

    assert core.ProjectMetadata(str(ROOT), PluginManager()).version == __version__
