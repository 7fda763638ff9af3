"""update_app_settings against the sandbox: what it changes reaches preview, then live after deploy_app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from mcp import Client

from kintone_mcp.client import KintoneClient
from kintone_mcp.sandbox import Sandbox
from kintone_mcp.server.policy import Policy
from tests.client.conftest import client_for
from tests.server.conftest import ServerFactory
from tests.server.helpers import call_error, call_ok


@pytest.fixture
async def designer(make_server: ServerFactory) -> AsyncIterator[Client]:
    async with Client(make_server(Policy.build(toolsets=["all"]))) as mcp:
        yield mcp


@pytest.fixture
async def kintone(sandbox: Sandbox) -> AsyncIterator[KintoneClient]:
    async with client_for(sandbox) as client:
        yield client


@pytest.mark.anyio
async def test_settings_go_to_preview_then_live(designer: Client, kintone: KintoneClient) -> None:
    done = await call_ok(
        designer, "update_app_settings", app=3, name="Helpdesk queue", theme="GREEN", icon="app10",
        title_field="subject", decimal_places=2, rounding="UP", fiscal_year_start=1, comments=False,
    )
    assert set(done["changed"]) >= {"name", "theme", "icon", "titleField", "numberPrecision", "enableComments"}
    assert "deploy_app" in done["note"]
    live = await kintone.get_general_settings(3)
    assert live["theme"] == "WHITE" and live["name"] != "Helpdesk queue"
    preview = await kintone.get_general_settings(3, preview=True)
    assert preview["theme"] == "GREEN" and preview["icon"] == {"type": "PRESET", "key": "APP10"}
    assert preview["titleField"] == {"selectionMode": "MANUAL", "code": "subject"}
    assert preview["numberPrecision"]["decimalPlaces"] == "2" and preview["numberPrecision"]["roundingMode"] == "UP"
    assert preview["enableComments"] is False and preview["firstMonthOfFiscalYear"] == "1"
    await call_ok(designer, "deploy_app", apps=[3])
    live = await kintone.get_general_settings(3)
    assert live["name"] == "Helpdesk queue" and live["theme"] == "GREEN"


@pytest.mark.anyio
async def test_bad_settings_are_refused_with_nothing_changed(designer: Client, kintone: KintoneClient) -> None:
    before = await kintone.get_general_settings(3, preview=True)
    assert "no field of the app" in await call_error(designer, "update_app_settings", app=3, title_field="nope")
    text = await call_error(designer, "update_app_settings", app=3, title_field="description")
    assert "a title can be one of" in text
    assert "APP01" in await call_error(designer, "update_app_settings", app=3, icon="rocket")
    assert "Nothing to change" in await call_error(designer, "update_app_settings", app=3)
    assert "theme" in await call_error(designer, "update_app_settings", app=3, theme="PURPLE")
    assert await kintone.get_general_settings(3, preview=True) == before


@pytest.mark.anyio
async def test_the_sandbox_refuses_what_kintone_refuses(kintone: KintoneClient) -> None:
    from kintone_mcp.client.errors import ValidationError

    with pytest.raises(ValidationError, match="theme"):
        await kintone.update_general_settings(3, {"theme": "PURPLE"})
    with pytest.raises(ValidationError, match="titleField"):
        await kintone.update_general_settings(3, {"titleField": {"selectionMode": "MANUAL", "code": "nope"}})
