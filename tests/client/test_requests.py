"""How requests are built: parameter encoding, long reads as POST + X-HTTP-Method-Override, paths."""

from __future__ import annotations

import json

import pytest

from kintone_mcp.auth import Credentials
from kintone_mcp.client import KintoneClient
from kintone_mcp.client.connection import MAX_GET_URL_LENGTH, encode_query_params
from kintone_mcp.sandbox import Sandbox

from .conftest import recording_client

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"app": 1}, [("app", "1")]),
        ({"ids": [3, 4]}, [("ids[0]", "3"), ("ids[1]", "4")]),
        ({"totalCount": True, "flag": False}, [("totalCount", "true"), ("flag", "false")]),
        ({"query": 'a = "x"', "skip": None}, [("query", 'a = "x"')]),
        ({"codes": []}, []),
        ({"nested": {"a": 1}}, None),
        ({"rows": [{"a": 1}]}, None),
    ],
)
def test_query_string_encoding(params: dict[str, object], expected: list[tuple[str, str]] | None) -> None:
    assert encode_query_params(params) == expected


def test_rest_and_user_api_paths() -> None:
    normal = KintoneClient("https://example.cybozu.com/", credentials=Credentials())
    guest = KintoneClient("https://example.cybozu.com", credentials=Credentials(), guest_space_id=7)
    assert normal.base_url == "https://example.cybozu.com"
    assert normal._conn.rest_path("records") == "/k/v1/records.json"
    assert normal._conn.rest_path("app/form/fields", preview=True) == "/k/v1/preview/app/form/fields.json"
    assert guest._conn.rest_path("records") == "/k/guest/7/v1/records.json"
    assert guest._conn.rest_path("apps/statistics") == "/k/v1/apps/statistics.json"
    assert guest._conn.path("user", "users") == "/v1/users.json"


def test_base_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="http"):
        KintoneClient("ftp://example.cybozu.com", credentials=Credentials())


async def test_short_reads_are_gets_with_indexed_arrays(shared_sandbox: Sandbox) -> None:
    client, wire = recording_client(shared_sandbox)
    async with client:
        apps = await client.list_apps(ids=[1, 3])
    assert [a.app_id for a in apps] == [1, 3]
    sent = wire.requests[0]
    assert sent.method == "GET"
    assert sent.url.params.get_list("ids[0]") == ["1"] and sent.url.params.get_list("ids[1]") == ["3"]


async def test_long_reads_become_post_with_method_override(shared_sandbox: Sandbox) -> None:
    codes = [f"NO_SUCH_APP_CODE_{i:04d}".ljust(60, "X") for i in range(99)] + ["DEALS"]
    client, wire = recording_client(shared_sandbox)
    async with client:
        apps = await client.list_apps(codes=codes, ids=None)
    assert [a.app_id for a in apps] == [2]
    sent = wire.requests[0]
    assert len(str(sent.url)) < MAX_GET_URL_LENGTH < sum(len(c) for c in codes)
    assert (sent.method, sent.headers["X-HTTP-Method-Override"]) == ("POST", "GET")
    assert json.loads(sent.content)["codes"] == codes


async def test_get_parameters_that_only_json_can_carry_go_in_a_body(shared_sandbox: Sandbox) -> None:
    client, _ = recording_client(shared_sandbox)
    async with client:
        request = client._conn.build_request("GET", "rest", "records", params={"app": 1, "x": {"k": 1}})
    assert request.method == "POST"
    assert request.headers["X-HTTP-Method-Override"] == "GET"
    assert json.loads(request.content) == {"app": 1, "x": {"k": 1}}
