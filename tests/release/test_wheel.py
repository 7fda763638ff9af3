"""The wheel and sdist a release builds hold the package, install into a fresh environment, and run there with the
checkout out of reach: `--version`, `serve --sandbox` answering over stdio, and `check` against a sandbox."""

from __future__ import annotations

import email
import subprocess
import tarfile
import tomllib

import pytest
from mcp import Client, StdioServerParameters
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from kintone_mcp import __version__
from tests.release.conftest import ROOT, Dist, Venv, build_script, clean_env, run
from tests.server.helpers import call_ok

pytestmark = [pytest.mark.slow, pytest.mark.build, pytest.mark.socket]

package_files = build_script().package_files


def _key(req: Requirement) -> tuple[str, str]:
    return canonicalize_name(req.name), str(sorted(str(s) for s in req.specifier))


def test_the_wheel_holds_exactly_the_package_and_its_metadata(dist: Dist) -> None:
    files = dist.wheel_files()
    info = f"kintone_mcp-{__version__}.dist-info"
    assert dist.wheel.name == f"kintone_mcp-{__version__}-py3-none-any.whl"
    assert sorted(n for n in files if not n.startswith(info)) == package_files(ROOT)
    assert (ROOT / "kintone_mcp" / "py.typed").is_file() and "kintone_mcp/py.typed" in files
    meta = email.message_from_bytes(files[f"{info}/METADATA"])
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert (meta["Name"], meta["Version"], meta["Requires-Python"]) == ("kintone-mcp", __version__, ">=3.11")
    required = [Requirement(r) for r in meta.get_all("Requires-Dist") or []]
    assert {_key(r) for r in required if r.marker is None} == {_key(Requirement(d)) for d in project["dependencies"]}
    # The registry proves a PyPI package is ours by this line in the description (the README).
    assert "mcp-name: io.github.kintone-mcp/kintone-mcp" in (meta.get_payload() or "")
    entry_points = files[f"{info}/entry_points.txt"].decode()
    assert "kintone-mcp = kintone_mcp.commands.main:main" in entry_points


def test_the_sdist_rebuilds_the_same_wheel(dist: Dist) -> None:
    """`python -m build` made the wheel from the sdist; here the sdist is checked to carry what that needs."""
    with tarfile.open(dist.sdist) as tf:
        names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    assert {"pyproject.toml", "README.md", "LICENSE", "PKG-INFO"} <= names
    assert set(package_files(ROOT)) <= names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or n.startswith((".venv", "dist/"))]


def test_the_installed_package_is_the_one_in_the_new_environment(venv: Venv) -> None:
    where = run([str(venv.python), "-c", "import kintone_mcp; print(kintone_mcp.__file__)"], cwd=venv.elsewhere)
    assert where.strip().startswith(str(venv.root)), where
    assert str(ROOT) not in where
    assert run([str(venv.script), "--version"], cwd=venv.elsewhere).strip() == f"kintone-mcp {__version__}"


@pytest.mark.anyio
async def test_serve_sandbox_from_the_wheel_answers_over_stdio(venv: Venv) -> None:
    from kintone_mcp.server.tools.registry import ALL_TOOLS
    from kintone_mcp.server.toolsets import DEFAULT_TOOLSETS

    params = StdioServerParameters(
        command=str(venv.script), args=["serve", "--sandbox"], env=clean_env(), cwd=venv.elsewhere
    )
    async with Client(params) as mcp:
        # The default toolsets: the apps toolset is off unless asked for.
        assert [t.name for t in (await mcp.list_tools()).tools] == [
            s.name for s in ALL_TOOLS if s.toolset in DEFAULT_TOOLSETS
        ]
        apps = await call_ok(mcp, "list_apps")
        assert [a["name"] for a in apps["apps"]][:3] == ["Customers", "Deals", "Support tickets"]


def test_check_from_the_wheel_against_a_sandbox(venv: Venv, sandbox_url: str) -> None:
    good = clean_env(KINTONE_BASE_URL=sandbox_url, KINTONE_USERNAME="sato", KINTONE_PASSWORD="sandbox")
    report = run([str(venv.script), "check"], cwd=venv.elsewhere, env=good)
    assert "[ok  ] credentials: accepted (password)" in report
    assert "OK: Connected" in report
    bad = subprocess.run(
        [str(venv.script), "check"], cwd=venv.elsewhere, capture_output=True, text=True, timeout=120, check=False,
        env={**good, "KINTONE_PASSWORD": "not-the-password"},
    )  # fmt: skip
    assert bad.returncode != 0 and "FAILED" in bad.stdout, bad.stdout + bad.stderr
    assert "not-the-password" not in bad.stdout + bad.stderr
