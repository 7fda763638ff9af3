"""Matching of typed text against names (lookups.fold / ranked), and Japanese user names through mcp.Client."""

from __future__ import annotations

import httpx2
import pytest
from mcp import Client
from mcp.types import PromptReference

from kintone_mcp.client import KintoneClient
from kintone_mcp.client.models.directory import User
from kintone_mcp.sandbox import Sandbox, SandboxConfig, UserSpec
from kintone_mcp.server.app import build_server
from kintone_mcp.server.lookups import Choice, fold, ranked, user_keys
from kintone_mcp.server.policy import Policy
from kintone_mcp.server.state import ServerOptions
from tests.server.conftest import BASE_URL, password_credentials


def test_fold_joins_widths_kana_and_case() -> None:
    assert fold("ｶﾃｺﾞﾘｰ") == fold("カテゴリー") == fold("かてごりー")
    assert fold("ＫＯＫＹＡＫＵ") == fold("kokyaku") == fold("KoKyaku")
    assert fold("佐藤 太郎") == fold("佐藤太郎") == fold("佐藤\u3000太郎")


def test_prefix_matches_come_first_and_values_once() -> None:
    choices = [Choice("b", ("b", "xx apple")), Choice("a", ("a", "Apple pie")), Choice("a", ("a", "apple"))]
    assert ranked(choices, "app") == ["a", "b"]
    assert ranked(choices, "") == ["b", "a"]
    assert ranked(choices, "zzz") == []


def test_users_match_on_their_name_readings() -> None:
    user = User.model_validate(
        {"id": "7", "code": "sato", "name": "佐藤 陽翔", "surNameReading": "さとう", "givenNameReading": "はると"}
    )
    choices = [Choice(user.code, user_keys(user))]
    for typed in ("sat", "佐藤", "さとう", "サトウ", "はると", "さとうはると"):
        assert ranked(choices, typed) == ["sato"], typed


@pytest.mark.anyio
async def test_japanese_user_names_complete_by_code() -> None:
    sandbox = Sandbox(
        SandboxConfig(
            demo=True, users=[UserSpec("yamada", "pw", name="山田 花子"), UserSpec("yamamoto", "pw", name="山本 一郎")]
        )
    )
    creds = password_credentials()
    server = build_server(
        policy=Policy.build(default_app=2),
        options=ServerOptions(base_url=BASE_URL, user_api=True),
        client_factory=lambda: KintoneClient(
            BASE_URL, credentials=creds, transport=httpx2.ASGITransport(app=sandbox.asgi_app)
        ),
    )
    async with Client(server) as mcp:
        ref = PromptReference(name="triage")
        for typed, expected in (("山田", ["yamada"]), ("山田花子", ["yamada"]), ("山", ["yamada", "yamamoto"])):
            assert (await mcp.complete(ref, {"name": "user", "value": typed})).completion.values == expected, typed
