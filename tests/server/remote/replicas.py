"""Replicas of the remote server behind nginx (Debian's package), round robin, with the sandbox as Kintone.

Each replica is a real ``kintone-mcp serve --transport http --auth kintone-oauth`` process; they share nothing but
the sealing keys and the Kintone OAuth client, as a deployment would. nginx adds ``X-Upstream`` (the replica that
answered) to every answer so a test can see where each request went.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2

from kintone_mcp.sandbox import Sandbox, serve_in_thread
from kintone_mcp.sandbox.access.oauthclients import OAuthClientSpec
from kintone_mcp.sandbox.access.oauthstore import register_client
from kintone_mcp.server.remote.sealing import new_key_text
from tests.server.remote.harness import KINTONE_CLIENT_ID, KINTONE_SECRET, free_port

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream replicas {{
{servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://replicas;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Proto $scheme;
            # SSE answers stream: progress notifications must not wait in a buffer.
            proxy_buffering off;
            proxy_read_timeout 120s;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


@dataclass
class Replicas:
    url: str
    keys: str
    processes: list[subprocess.Popen[bytes]]
    ports: list[int]
    sandbox: Sandbox | None

    def kill(self, index: int) -> None:
        self.processes[index].send_signal(signal.SIGKILL)
        self.processes[index].wait(timeout=10)


def _wait_http(url: str, timeout: float = 120.0, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx2.get(url, timeout=1.0)
            return
        except httpx2.HTTPError:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"{url}: the process ended with {process.returncode}") from None
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer within {timeout} s") from None
            time.sleep(0.1)


@contextmanager
def replicas(sandbox: Sandbox | None, tmp: Path, *, count: int = 3, env: dict[str, str] | None = None,
             direct: bool = False, records: int = 300) -> Iterator[Replicas]:
    """``count`` replicas behind nginx (or, with ``direct`` and one replica, that replica alone). With no
    ``sandbox``, Kintone is ``kintone-mcp sandbox`` in a process of its own (the benchmark: it must not share the
    load generator's interpreter)."""
    nginx = nginx_binary()
    if nginx is None and not direct:
        raise RuntimeError("nginx is not installed")
    front = free_port()
    ports = [free_port() for _ in range(count)]
    public = f"http://127.0.0.1:{ports[0] if direct else front}"
    keys = new_key_text("k1")
    with ExitStack() as stack:
        if sandbox is not None:
            kintone_url = stack.enter_context(serve_in_thread(sandbox))
            with sandbox.store.transaction() as conn:
                register_client(conn, OAuthClientSpec(KINTONE_CLIENT_ID, KINTONE_SECRET, public + "/oauth/callback"))
        else:
            kport = free_port()
            kintone_url = f"http://127.0.0.1:{kport}"
            kintone = subprocess.Popen(
                [sys.executable, "-m", "kintone_mcp", "sandbox", "--demo", "--port", str(kport), "--demo-records",
                 str(records), "--oauth-client", f"{KINTONE_CLIENT_ID}:{KINTONE_SECRET}:{public}/oauth/callback"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            stack.callback(_stop, kintone)
            _wait_http(kintone_url + "/k/v1/apps.json", process=kintone)
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("KINTONE_")}
        base_env.update({
            "KINTONE_BASE_URL": kintone_url, "KINTONE_AUTH_TYPE": "oauth", "KINTONE_OAUTH_CLIENT_ID": KINTONE_CLIENT_ID,
            "KINTONE_OAUTH_CLIENT_SECRET": KINTONE_SECRET, "KINTONE_MCP_REMOTE_KEYS": keys, **(env or {}),
        })
        processes: list[subprocess.Popen[bytes]] = []
        for port in ports:
            log = (tmp / f"replica-{port}.log").open("wb")
            stack.callback(log.close)
            process = subprocess.Popen(
                [sys.executable, "-m", "kintone_mcp", "serve", "--transport", "http", "--auth", "kintone-oauth",
                 "--host", "127.0.0.1", "--port", str(port), "--public-url", public],
                env=base_env, stdout=subprocess.DEVNULL, stderr=log,
            )
            processes.append(process)
            stack.callback(_stop, process)
        for port, process in zip(ports, processes, strict=True):
            _wait_http(f"http://127.0.0.1:{port}/.well-known/oauth-authorization-server", process=process)
        if not direct:
            assert nginx is not None
            conf_dir = tmp / "nginx"
            conf_dir.mkdir(exist_ok=True)
            servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=0;" for p in ports)
            conf = conf_dir / "nginx.conf"
            conf.write_text(NGINX_CONF.format(dir=conf_dir, servers=servers, port=front))
            proxy = subprocess.Popen([nginx, "-c", str(conf), "-p", str(conf_dir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            stack.callback(_stop, proxy)
            _wait_http(public + "/.well-known/oauth-authorization-server", process=proxy)
        yield Replicas(public, keys, processes, ports, sandbox)


def _stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
