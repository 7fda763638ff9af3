"""Changing apps through the client against the sandbox: create in preview, add fields, deploy, read the status."""

from __future__ import annotations

import pytest

from kintone_mcp.client import KintoneClient, PermissionDeniedError
from kintone_mcp.client.errors import ConflictError, ValidationError
from kintone_mcp.sandbox import Sandbox

from .conftest import client_for, token_credentials

pytestmark = pytest.mark.anyio


async def test_create_add_fields_deploy_and_status(admin: KintoneClient) -> None:
    app = await admin.create_app("Loans")
    revision = await admin.add_fields(app, {"item": {"type": "SINGLE_LINE_TEXT", "code": "item", "label": "Item"}})
    assert revision >= 2
    assert "item" in (await admin.get_fields(app, preview=True)).raw()
    assert "item" not in (await admin.get_fields(app)).raw()  # not live before the deploy
    await admin.deploy_apps([app])
    assert await admin.deploy_status([app]) == {app: "SUCCESS"}
    assert "item" in (await admin.get_fields(app)).raw()


async def test_revert_discards_the_preview(admin: KintoneClient) -> None:
    app = await admin.create_app("Scratch")
    await admin.add_fields(app, {"a": {"type": "NUMBER", "code": "a", "label": "A"}})
    await admin.deploy_apps([app], revert=True)
    assert "a" not in (await admin.get_fields(app, preview=True)).raw()


async def test_a_stale_revision_and_a_bad_field_are_refused(admin: KintoneClient) -> None:
    app = await admin.create_app("Strict")
    with pytest.raises(ValidationError):
        await admin.add_fields(app, {"x": {"type": "NO_SUCH_TYPE", "code": "x", "label": "X"}})
    await admin.add_fields(app, {"x": {"type": "NUMBER", "code": "x", "label": "X"}})
    with pytest.raises(ConflictError, match="GAIA_CO02"):
        await admin.add_fields(app, {"y": {"type": "NUMBER", "code": "y", "label": "Y"}}, revision=1)


async def test_api_tokens_cannot_create_apps(sandbox: Sandbox) -> None:
    async with client_for(sandbox, token_credentials(sandbox, 2)) as client:
        with pytest.raises(PermissionDeniedError, match="GAIA_NO01"):
            await client.create_app("Nope")
