"""What a release produces, built once per run: the wheel and sdist (`python -m build`, isolated, as a release
builds them), the MCPB bundle (scripts/build_mcpb.py), and a fresh virtual environment outside the checkout with
the wheel installed in it, as a user installs it.

Everything the tests run from there runs with the checkout out of reach: the working directory is a temporary
folder, PYTHONPATH and the caller's Kintone settings are dropped, and the installed package is checked to be the
one in the new environment's site-packages.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = "Scripts" if sys.platform == "win32" else "bin"


def build_script() -> ModuleType:
    """scripts/build_mcpb.py as a module (scripts/ is not a package), for the rules it stages the bundle by."""
    spec = importlib.util.spec_from_file_location("build_mcpb", ROOT / "scripts" / "build_mcpb.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def clean_env(**extra: str) -> dict[str, str]:
    """The environment a host gives a server it starts: nothing of this checkout or of the caller's Kintone."""
    # UV_PROJECT_ENVIRONMENT and UV_PYTHON would put the bundle's environment elsewhere or on another interpreter;
    # the rest of the caller's uv settings (an index, a proxy's certificates) a host would pass on as well.
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "HTTPS_PROXY", "https_proxy"}
    drop |= {"UV_PROJECT_ENVIRONMENT", "UV_PYTHON"}
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("KINTONE_")}
    # A host's uv may download a Python; here the machine's own must do (no download, same result every run).
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return {**env, **extra}


def tool(name: str) -> str:
    """A command the test environment installs (uv, uvx): beside this interpreter."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: `pip install -e '.[test]'` installs it")
    return found


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> str:
    proc = subprocess.run(
        args, cwd=cwd, env=env or clean_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
    assert proc.returncode == 0, f"{args} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


@dataclass(frozen=True)
class Dist:
    wheel: Path
    sdist: Path
    bundle: Path
    server_json: Path
    build_log: str

    def wheel_files(self) -> dict[str, bytes]:
        with zipfile.ZipFile(self.wheel) as zf:
            return {n: zf.read(n) for n in zf.namelist() if not n.endswith("/")}


@dataclass(frozen=True)
class Venv:
    root: Path
    elsewhere: Path  # a working directory that is not the checkout

    @property
    def python(self) -> Path:
        return self.root / BIN / "python"

    @property
    def script(self) -> Path:
        return self.root / BIN / "kintone-mcp"


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    out = tmp_path_factory.mktemp("dist")
    started = time.monotonic()
    # Without --sdist/--wheel, build makes the sdist and then the wheel *from the sdist*: the sdist is proved complete.
    log = run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], cwd=out, env=clean_env())
    log += run([sys.executable, str(ROOT / "scripts" / "build_mcpb.py"), "--out-dir", str(out)], cwd=out)
    log += f"\n(built in {time.monotonic() - started:.1f} s)\n"
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    (bundle,) = out.glob("*.mcpb")
    return Dist(wheel=wheel, sdist=sdist, bundle=bundle, server_json=out / "server.json", build_log=log)


@pytest.fixture(scope="session")
def venv(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Venv:
    base = tmp_path_factory.mktemp("install")
    elsewhere = base / "cwd"
    elsewhere.mkdir()
    root = base / "venv"
    # The interpreter this venv came from, not this venv: the new one must not see the test environment's packages.
    python = getattr(sys, "_base_executable", sys.executable)
    run([python, "-m", "venv", str(root)], cwd=elsewhere)
    env = Venv(root=root, elsewhere=elsewhere)
    run([str(env.python), "-m", "pip", "install", "-q", str(dist.wheel)], cwd=elsewhere)
    return env


@pytest.fixture(scope="session")
def sandbox_url(venv: Venv) -> Iterator[str]:
    """A sandbox run by the installed wheel's own `kintone-mcp sandbox` (demo data; user sato, password sandbox)."""
    proc = subprocess.Popen(
        [str(venv.script), "sandbox", "--port", "0", "--demo-records", "30"],
        cwd=venv.elsewhere, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("Kintone sandbox listening on "), first + (proc.stderr.read() if proc.stderr else "")
        yield first.split()[-1]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
