"""Every host snippet works after the install it documents: with the placeholder replaced by a fresh environment the
wheel was installed into, the installed snippets' program exists and runs, the sandbox snippets serve a whole session
over stdio exactly as written, and the `uvx` snippets run the command the published package will provide."""

from __future__ import annotations

import pytest
from mcp import Client, StdioServerParameters

from kintone_mcp import __version__
from tests.release.conftest import Dist, Venv, clean_env, run, tool
from tests.release.snippets import PLACEHOLDER, Launch, in_venv, launches_in_docs, launches_in_files
from tests.server.helpers import call_ok

pytestmark = [pytest.mark.slow, pytest.mark.build]

LAUNCHES = [*launches_in_files(), *launches_in_docs()]


def _of(form: str) -> list[Launch]:
    return [launch for launch in LAUNCHES if launch.form == form]


@pytest.mark.parametrize("launch", _of("installed"), ids=str)
def test_an_installed_snippet_runs_the_program_of_the_installed_wheel(launch: Launch, venv: Venv) -> None:
    program = in_venv(launch, venv.root)
    assert program[0] != launch.command and program[0].startswith(str(venv.root))
    assert run([*program, "--version"], cwd=venv.elsewhere).strip() == f"kintone-mcp {__version__}"


@pytest.mark.anyio
@pytest.mark.parametrize("launch", _of("sandbox"), ids=str)
async def test_a_sandbox_snippet_serves_a_session_as_written(launch: Launch, venv: Venv) -> None:
    command = launch.command.replace(PLACEHOLDER, str(venv.root), 1)
    params = StdioServerParameters(command=command, args=launch.args, env=clean_env(**launch.env), cwd=venv.elsewhere)
    async with Client(params) as mcp:
        assert len((await mcp.list_tools()).tools) > 0
        apps = await call_ok(mcp, "list_apps")
        assert "Deals" in [a["name"] for a in apps["apps"]]


@pytest.fixture(scope="module")
def uvx_runs(dist: Dist, venv: Venv) -> list[str]:
    """The program every `uvx` snippet names, run with the wheel standing in for the release (`--from`): uvx resolves
    the project named kintone-mcp and runs its script of the same name. Once: it takes seconds each time."""
    program = ["uvx", "kintone-mcp"]
    out = run([tool("uvx"), "--from", str(dist.wheel), program[1], "--version"], cwd=venv.elsewhere)
    assert out.strip() == f"kintone-mcp {__version__}"
    return program


@pytest.mark.parametrize("launch", _of("pypi"), ids=str)
def test_a_pypi_snippet_runs_the_command_the_package_provides(launch: Launch, uvx_runs: list[str]) -> None:
    program, _ = launch.split()
    assert program == uvx_runs
