"""``kintone_mcp.client`` exports its public names lazily (PEP 562), so that the server can import one light
module of the package at start-up; the names must still all be there, and be the real objects."""

from __future__ import annotations

import importlib
import subprocess
import sys

import kintone_mcp.client as package


def test_every_public_name_resolves_to_the_object_its_module_defines() -> None:
    assert set(package._EXPORTS) == set(package.__all__)
    for name, module in package._EXPORTS.items():
        assert getattr(package, name) is getattr(importlib.import_module(module), name), name
    assert set(package.__all__) <= set(dir(package))


def test_an_unknown_name_is_an_attribute_error_and_submodules_still_import() -> None:
    try:
        package.NoSuchThing  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:
        raise AssertionError("an unknown name must raise AttributeError")
    from kintone_mcp.client import oauth_fallback

    assert oauth_fallback.__name__ == "kintone_mcp.client.oauth_fallback"


def test_importing_the_errors_module_loads_neither_the_client_nor_its_models() -> None:
    code = (
        "import sys, kintone_mcp.client.errors, kintone_mcp.client.results\n"
        "heavy = [m for m in ('kintone_mcp.client.client', 'kintone_mcp.client.models.fields',\n"
        "         'kintone_mcp.client.models.values', 'httpx2') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
        "from kintone_mcp.client import KintoneClient\n"
        "print('kintone_mcp.client.models.fields' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.splitlines() == ["", "True"]
