"""Inputs that used to end in "internal error" plus a traceback get a clear refusal (issue 17, item 10): app ids in
Unicode digits (``int()`` takes "¹" but not "²", and neither is an app id), and filter values holding a control
character the query language cannot carry. (A 300-character attachment name: tests/server/tools/files.)"""

from __future__ import annotations

import logging

import pytest
from mcp import Client

from tests.server.conftest import ServerFactory
from tests.server.helpers import call_error

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("app", ["²", "¹", "١٢", "２"])
async def test_an_app_in_unicode_digits_is_refused_by_name(
    make_server: ServerFactory, app: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    async with Client(make_server()) as mcp:
        for tool in ("get_app", "get_records"):
            text = await call_error(mcp, tool, app=app)
            assert "neither an app id nor a configured alias" in text and "internal error" not in text
    assert not [r for r in caplog.records if "failed unexpectedly" in r.getMessage()]


@pytest.mark.parametrize("value", ["a\rb", "a\x00b", "\x1b[31m"])
@pytest.mark.parametrize("tool", ["get_records", "aggregate_records"])
async def test_a_filter_value_with_a_control_character_is_refused(
    make_server: ServerFactory, tool: str, value: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    flt = {"match": "any", "conditions": [{"field": "title", "op": "like", "value": value}]}
    async with Client(make_server()) as mcp:
        text = await call_error(mcp, tool, filter=flt)
    assert f"U+{ord(value[1] if value[0] == 'a' else value[0]):04X}" in text and "internal error" not in text
    assert not [r for r in caplog.records if "failed unexpectedly" in r.getMessage()]
