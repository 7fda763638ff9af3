"""Guest-space apps beside normal apps in one client: each app's path is learnt from Kintone's answers.

Against the demo sandbox: apps 1-3 on the normal path, app 4 "Partner requests" in guest space 2. Kintone's own
GAIA_IL23 message does not name the space (cli-kintone's report quotes it); the sandbox's does, so a transport that
puts Kintone's wording back stands for a real Kintone where it matters.
"""

from __future__ import annotations

import json

import httpx2
import pytest

from kintone_mcp.client import GuestSpaceUnknownError, KintoneClient, NotFoundError
from kintone_mcp.client.spaces import AppSpaces, space_named_in
from kintone_mcp.sandbox import Sandbox
from tests.client.conftest import BASE, RecordingTransport, password_credentials, recording_client

pytestmark = pytest.mark.anyio

PARTNER, GUEST = 4, 2
#: Kintone's GAIA_IL23 message as measured (it names no space)
KINTONE_IL23 = (
    "ゲストスペース内のアプリを操作する場合は、リクエストの送信先を「/k/guest/（ゲストスペースのID）/v1/...」にします。"
)


class KintoneWording(RecordingTransport):
    """The sandbox, with GAIA_IL23 answered in Kintone's own words."""

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await super().handle_async_request(request)
        if response.status_code != 400:
            return response
        body = json.loads(await response.aread())
        if body.get("code") == "GAIA_IL23":
            body["message"] = KINTONE_IL23
        return httpx2.Response(400, json=body, headers={"content-type": "application/json"})


def paths(wire: RecordingTransport) -> list[str]:
    return [f"{r.method} {r.url.path}" for r in wire.requests]


def test_a_space_is_read_from_a_message_only_when_it_names_one() -> None:
    assert space_named_in("The app (ID: 4) is in guest space 2: call it through /k/guest/2/v1/.") == 2
    assert space_named_in(KINTONE_IL23) is None
    spaces = AppSpaces(default=None)
    spaces.learn(9, 5)
    assert spaces.candidates(4, None, "") == [5]
    assert spaces.candidates(4, 5, "") == [None]


async def test_a_guest_app_is_reached_without_configuration_and_then_directly(sandbox: Sandbox) -> None:
    client, wire = recording_client(sandbox)
    async with client:
        assert (await client.get_app(PARTNER)).space_id == GUEST
        assert paths(wire) == [
            "GET /k/v1/app.json",  # refused: GAIA_IL23
            f"GET /k/guest/{GUEST}/v1/app.json",  # the probe that finds it
            f"GET /k/guest/{GUEST}/v1/app.json",  # the call itself, again
        ]
        wire.requests.clear()
        page = await client.get_records(PARTNER, query="limit 3")
        assert len(page.records) == 3
        deals = await client.get_records(2, query="limit 1")
        assert len(deals.records) == 1
        assert paths(wire) == [f"GET /k/guest/{GUEST}/v1/records.json", "GET /k/v1/records.json"]


async def test_writes_reads_and_cursors_on_a_guest_app_go_to_its_path(sandbox: Sandbox) -> None:
    client, wire = recording_client(sandbox)
    async with client:
        written = await client.add_record(PARTNER, {"subject": {"value": "s"}, "partner": {"value": "p"}})
        got = await client.get_record(PARTNER, written.id)
        assert got["subject"]["value"] == "s"
        many = [{"subject": {"value": f"bulk {i}"}, "partner": {"value": "p"}} for i in range(150)]
        assert (await client.add_records(PARTNER, many, all_or_nothing=True)).complete
        seen = [r async for r in client.iter_records(PARTNER, query='subject like "bulk"', page_size=100)]
        assert len(seen) == 150
        key = await client.upload_file(b"hello", filename="note.txt", app=PARTNER)
        assert key
    sent = paths(wire)
    # The first write was refused on the normal path and sent once more on the guest path: one record, not two.
    assert sent[:3] == [
        "POST /k/v1/record.json",
        f"GET /k/guest/{GUEST}/v1/app.json",
        f"POST /k/guest/{GUEST}/v1/record.json",
    ]
    assert all(p.startswith(("GET /k/guest/2/", "POST /k/guest/2/", "DELETE /k/guest/2/")) for p in sent[1:])
    async with KintoneClient(BASE, credentials=password_credentials(), transport=httpx2.ASGITransport(
            app=sandbox.asgi_app)) as check:  # fmt: skip
        page = await check.get_records(PARTNER, query='subject = "s"', total_count=True)
        assert page.total_count == 1


async def test_with_the_guest_space_configured_normal_apps_work_too(sandbox: Sandbox) -> None:
    wire = KintoneWording(httpx2.ASGITransport(app=sandbox.asgi_app))
    async with KintoneClient(BASE, credentials=password_credentials(), guest_space_id=GUEST, transport=wire) as client:
        assert len((await client.get_records(PARTNER, query="limit 1")).records) == 1
        assert len((await client.get_records(1, query="limit 1")).records) == 1
        wire.requests.clear()
        await client.get_records(1, query="limit 1")
        assert paths(wire) == ["GET /k/v1/records.json"]  # learnt: no second detour
        with pytest.raises(NotFoundError):
            await client.get_app(999)


async def test_where_kintone_does_not_name_the_space_the_error_says_what_to_configure(sandbox: Sandbox) -> None:
    wire = KintoneWording(httpx2.ASGITransport(app=sandbox.asgi_app))
    async with KintoneClient(BASE, credentials=password_credentials(), transport=wire) as client:
        with pytest.raises(GuestSpaceUnknownError) as info:
            await client.get_records(PARTNER)
        text = str(info.value)
        assert "KINTONE_GUEST_SPACE_ID" in text and f"/k/guest/SPACE_ID/{PARTNER}/" in text
        # Once the space is known another way (its app list), the app is reached.
        listed = await client.list_apps(guest_space=GUEST)
        assert [a.app_id for a in listed] == [PARTNER]
        assert client.known_guest_spaces == [GUEST]
        assert len((await client.get_records(PARTNER, query="limit 2")).records) == 2
