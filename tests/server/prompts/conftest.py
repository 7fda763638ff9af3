"""Fixtures for the prompt and completion tests: an app with Japanese names, made through the sandbox's own API."""

from __future__ import annotations

import base64
from typing import Any

import httpx2

from kintone_mcp.sandbox import Sandbox
from tests.server.conftest import BASE_URL

_AUTH = {"X-Cybozu-Authorization": base64.b64encode(b"Administrator:sandbox").decode()}


async def make_app(sandbox: Sandbox, name: str, properties: dict[str, Any]) -> int:
    """A new, deployed app with these fields; returns its id."""
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=sandbox.asgi_app), base_url=BASE_URL) as http:
        created = await http.post("/k/v1/preview/app.json", json={"name": name}, headers=_AUTH)
        created.raise_for_status()
        app = int(created.json()["app"])
        fields = await http.post(
            "/k/v1/preview/app/form/fields.json", json={"app": app, "properties": properties}, headers=_AUTH
        )
        fields.raise_for_status()
        deploy = await http.post("/k/v1/preview/app/deploy.json", json={"apps": [{"app": app}]}, headers=_AUTH)
        deploy.raise_for_status()
    return app


async def set_faults(sandbox: Sandbox, rules: list[str]) -> None:
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=sandbox.asgi_app), base_url=BASE_URL) as http:
        (await http.put("/_sandbox/faults", json=rules)).raise_for_status()


def japanese_fields() -> dict[str, Any]:
    return {
        "kokyaku": {"type": "SINGLE_LINE_TEXT", "code": "kokyaku", "label": "顧客名"},
        "tantou": {"type": "USER_SELECT", "code": "tantou", "label": "担当者"},
        "kubun": {"type": "DROP_DOWN", "code": "kubun", "label": "カテゴリー",
                  "options": {"新規": {"label": "新規", "index": "0"}, "既存": {"label": "既存", "index": "1"}}},
        "memo": {"type": "MULTI_LINE_TEXT", "code": "memo", "label": "メモ"},
    }  # fmt: skip
