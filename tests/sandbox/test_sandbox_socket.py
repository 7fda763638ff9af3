"""The sandbox over a real loopback socket (serve_in_thread), including concurrent writers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx2
import pytest
from sandbox_api import password_headers, token_headers

from kintone_mcp.sandbox import Sandbox, SandboxConfig, serve_in_thread

pytestmark = pytest.mark.socket


def test_serves_and_shuts_down() -> None:
    sb = Sandbox(SandboxConfig(demo=True))
    with serve_in_thread(sb) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        resp = httpx2.get(f"{base_url}/k/v1/apps.json", headers=password_headers())
        assert resp.status_code == 200 and len(resp.json()["apps"]) == 4  # 1-3 and 5; 4 is a guest-space app
        error = httpx2.get(f"{base_url}/k/v1/apps.json")
        assert error.status_code == 401 and error.headers["X-Cybozu-Error"] == "CB_AU01"
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(f"{base_url}/k/v1/apps.json", headers=password_headers(), timeout=2)


def test_concurrent_writers_are_serialised() -> None:
    sb = Sandbox(SandboxConfig(demo=True))
    with serve_in_thread(sb) as base_url, httpx2.Client(base_url=base_url, headers=password_headers()) as client:

        def add(i: int) -> list[str]:
            records = [{"title": {"value": f"w{i}-{j}"}} for j in range(10)]
            resp = client.post("/k/v1/records.json", json={"app": 2, "records": records})
            assert resp.status_code == 200, resp.text
            ids: list[str] = resp.json()["ids"]
            return ids

        def bump(_: int) -> str:
            resp = client.put("/k/v1/record.json", json={"app": 2, "id": 1, "record": {"notes": {"value": "x"}}})
            assert resp.status_code == 200, resp.text
            revision: str = resp.json()["revision"]
            return revision

        with ThreadPoolExecutor(max_workers=8) as pool:
            batches = list(pool.map(add, range(16)))
            revisions = list(pool.map(bump, range(16)))
        ids = [i for batch in batches for i in batch]
        assert len(ids) == len(set(ids)) == 160
        # Each batch got consecutive ids: a bulk write is one transaction, never interleaved.
        for batch in batches:
            assert [int(i) for i in batch] == list(range(int(batch[0]), int(batch[0]) + 10))
        # Every concurrent update saw a distinct revision: no lost update.
        assert len(set(revisions)) == 16
        total = client.get("/k/v1/records.json", params={"app": 2, "totalCount": "true"}).json()["totalCount"]
        assert total == "460"


def test_token_over_socket() -> None:
    sb = Sandbox(SandboxConfig(demo=True))
    with serve_in_thread(sb) as base_url:
        resp = httpx2.get(
            f"{base_url}/k/v1/records.json",
            params={"app": 1, "query": "limit 3"},
            headers=token_headers(sb.demo_tokens[1]),
        )
        assert resp.status_code == 200 and len(resp.json()["records"]) == 3
