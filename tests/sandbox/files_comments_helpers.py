"""Shared helpers for the file.json and comment tests: a movable clock, a sandbox with the routers these tests need,
credentials, an app with FILE fields, and Kintone error-body checks."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2

from kintone_mcp.sandbox import Sandbox, SandboxConfig
from kintone_mcp.sandbox.http.routing import Router

BASE_URL = "http://sandbox.test"
START = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)


class Clock:
    """The sandbox's clock, moved by the test."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def routers() -> list[Router]:
    # The routers these tests exercise, named explicitly so that another area's half-finished module elsewhere in
    # the shared tree cannot break them; test_files.py checks that the default sandbox serves them too.
    from kintone_mcp.sandbox.endpoints import apps, comments, files, records, settings

    return [apps.router, settings.router, records.router, files.router, comments.router]


def make_sandbox(clock: Clock | None = None, **config: Any) -> Sandbox:
    config.setdefault("demo_records", 5)
    return Sandbox(SandboxConfig(demo=True, clock=clock or Clock(), **config), routers=routers())


def password(login: str = "Administrator", secret: str = "sandbox") -> dict[str, str]:
    return {"X-Cybozu-Authorization": base64.b64encode(f"{login}:{secret}".encode()).decode()}


def token(*tokens: str) -> dict[str, str]:
    return {"X-Cybozu-API-Token": ",".join(tokens)}


ADMIN = password()


def client(sandbox: Sandbox, headers: dict[str, str] | None = None) -> httpx2.AsyncClient:
    transport = httpx2.ASGITransport(app=sandbox.asgi_app)
    return httpx2.AsyncClient(transport=transport, base_url=BASE_URL, headers=ADMIN if headers is None else headers)


def ok(resp: httpx2.Response) -> Any:
    assert resp.status_code == 200, f"{resp.request.method} {resp.request.url}: {resp.status_code} {resp.text}"
    return resp.json()


def assert_error(resp: httpx2.Response, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, f"expected {status} {code}, got {resp.status_code}: {resp.text}"
    body: dict[str, Any] = resp.json()
    assert body["code"] == code, body
    assert isinstance(body["id"], str) and body["id"]
    assert isinstance(body["message"], str) and body["message"]
    assert resp.headers["X-Cybozu-Error"] == code
    return body


def error_messages(resp: httpx2.Response) -> dict[str, list[str]]:
    """The ``errors`` of a 400 CB_VA01, as key -> messages."""
    body = assert_error(resp, 400, "CB_VA01")
    return {k: v["messages"] for k, v in body.get("errors", {}).items()}


FILE_APP_FIELDS: dict[str, Any] = {
    "title": {"type": "SINGLE_LINE_TEXT", "code": "title", "label": "Title"},
    "attachment": {"type": "FILE", "code": "attachment", "label": "Attachment"},
    "items": {
        "type": "SUBTABLE",
        "code": "items",
        "label": "Items",
        "fields": {
            "item": {"type": "SINGLE_LINE_TEXT", "code": "item", "label": "Item"},
            "photo": {"type": "FILE", "code": "photo", "label": "Photo"},
        },
    },
}


async def create_app(http: httpx2.AsyncClient, name: str, properties: dict[str, Any], prefix: str = "/k/v1/") -> int:
    created = ok(await http.post(f"{prefix}preview/app.json", json={"name": name}))
    app = int(created["app"])
    ok(await http.post(f"{prefix}preview/app/form/fields.json", json={"app": app, "properties": properties}))
    ok(await http.post(f"{prefix}preview/app/deploy.json", json={"apps": [{"app": app}]}))
    return app
