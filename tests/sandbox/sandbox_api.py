"""Helpers for the sandbox core tests: an authenticated HTTP client over ASGI and error-body checks."""

from __future__ import annotations

import base64
from typing import Any

import httpx2

from kintone_mcp.sandbox import Sandbox

BASE_URL = "http://sandbox.test"


def password_headers(login: str = "Administrator", password: str = "sandbox") -> dict[str, str]:
    return {"X-Cybozu-Authorization": base64.b64encode(f"{login}:{password}".encode()).decode()}


def token_headers(*tokens: str) -> dict[str, str]:
    return {"X-Cybozu-API-Token": ",".join(tokens)}


def client_for(sandbox: Sandbox) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=sandbox.asgi_app), base_url=BASE_URL)


class Api:
    """Calls ``/k/v1/<path>`` (or an absolute path) with fixed credentials."""

    def __init__(self, client: httpx2.AsyncClient, headers: dict[str, str] | None = None, prefix: str = "/k/v1/"):
        self.client = client
        self.headers = password_headers() if headers is None else headers
        self.prefix = prefix

    def as_(self, headers: dict[str, str]) -> Api:
        return Api(self.client, headers, self.prefix)

    def guest(self, space: int) -> Api:
        return Api(self.client, self.headers, f"/k/guest/{space}/v1/")

    def _url(self, path: str) -> str:
        return path if path.startswith("/") else self.prefix + path

    async def call(
        self, method: str, path: str, body: Any = None, *, params: Any = None, headers: dict[str, str] | None = None
    ) -> httpx2.Response:
        return await self.client.request(
            method, self._url(path), json=body, params=params, headers={**self.headers, **(headers or {})}
        )

    async def get(self, path: str, params: Any = None, **kw: Any) -> httpx2.Response:
        return await self.call("GET", path, params=params, **kw)

    async def post(self, path: str, body: Any, **kw: Any) -> httpx2.Response:
        return await self.call("POST", path, body, **kw)

    async def put(self, path: str, body: Any, **kw: Any) -> httpx2.Response:
        return await self.call("PUT", path, body, **kw)

    async def delete(self, path: str, body: Any = None, **kw: Any) -> httpx2.Response:
        return await self.call("DELETE", path, body, **kw)

    async def ok(self, method: str, path: str, body: Any = None, *, params: Any = None) -> Any:
        """The JSON of a call that must succeed (the assertion shows Kintone's error body when it does not)."""
        resp = await self.call(method, path, body, params=params)
        assert resp.status_code == 200, f"{method} {path}: {resp.status_code} {resp.text}"
        return resp.json()


def assert_error(resp: httpx2.Response, status: int, code: str) -> dict[str, Any]:
    """Checks a Kintone error answer and returns its body."""
    assert resp.status_code == status, f"expected {status} {code}, got {resp.status_code}: {resp.text}"
    body: dict[str, Any] = resp.json()
    assert body["code"] == code, body
    assert isinstance(body["id"], str) and body["id"], body
    assert isinstance(body["message"], str) and body["message"], body
    assert set(body) <= {"code", "id", "message", "errors"}, body
    assert resp.headers["X-Cybozu-Error"] == code
    return body


def error_keys(resp: httpx2.Response) -> dict[str, list[str]]:
    body = assert_error(resp, 400, "CB_VA01")
    return {k: v["messages"] for k, v in body.get("errors", {}).items()}


async def create_app(api: Api, name: str, properties: dict[str, Any], *, deploy: bool = True) -> int:
    """Create an app the way Kintone clients do: preview app, preview fields, deploy."""
    created = await api.ok("POST", "preview/app.json", {"name": name})
    app = int(created["app"])
    await api.ok("POST", "preview/app/form/fields.json", {"app": app, "properties": properties})
    if deploy:
        await api.ok("POST", "preview/app/deploy.json", {"apps": [{"app": app}]})
    return app
