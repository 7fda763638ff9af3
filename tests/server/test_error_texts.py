"""The texts a model reads when Kintone refuses a call: each names the field in the model's terms and says one next
step, not the same advice twice."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import pytest

from kintone_mcp.auth import Credentials, PasswordAuth
from kintone_mcp.client import ConflictError, KintoneClient, ValidationError
from kintone_mcp.sandbox import Sandbox, SandboxConfig
from kintone_mcp.server.errors import describe_kintone_error

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client() -> AsyncIterator[KintoneClient]:
    sandbox = Sandbox(SandboxConfig(demo=True))
    async with KintoneClient(
        "http://sandbox.test",
        credentials=Credentials(rest=PasswordAuth("Administrator", "sandbox")),
        transport=httpx2.ASGITransport(app=sandbox.asgi_app),
    ) as kintone:
        yield kintone


async def test_field_errors_name_fields_in_both_of_kintones_key_forms(client: KintoneClient) -> None:
    with pytest.raises(ValidationError) as info:
        await client.add_record(2, {"amount": {"value": "lots"}})
    text = describe_kintone_error(info.value)
    assert "- title: Required." in text
    assert "- amount: " in text and "record[amount]" not in text


async def test_a_stale_revision_gets_one_next_step(client: KintoneClient) -> None:
    with pytest.raises(ConflictError) as info:
        await client.update_record(2, {"amount": {"value": "1"}}, id=1, revision=99)
    text = describe_kintone_error(info.value)
    assert "GAIA_CO02" in text and "call get_record for the current $revision" in text
    assert info.value.hint and info.value.hint not in text
