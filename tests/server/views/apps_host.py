"""The backend of the test MCP Apps host (tests/js/mcp_apps_host.html): serves that page on a loopback port and
passes the page's MCP requests to a kintone-mcp server through an in-process ``mcp.Client`` that advertises MCP Apps,
as a real host's MCP client would. The server reads the sandbox, so every answer the browser sees is a real one."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from mcp import Client
from mcp.client import advertise
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from kintone_mcp.server.app import KintoneMCPServer

HOST_PAGE = Path(__file__).parents[2] / "js" / "mcp_apps_host.html"


def apps_client(server: KintoneMCPServer) -> Client:
    """An MCP client that says it renders MCP Apps (ext-apps spec, "Client<>Server Capability Negotiation")."""
    return Client(server, extensions=[advertise(EXTENSION_ID, {"mimeTypes": [APP_MIME_TYPE]})])


def host_app(server: KintoneMCPServer) -> Starlette:
    clients: list[Client] = []

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with apps_client(server) as client:
            clients.append(client)
            yield

    async def page(_: Request) -> Response:
        return FileResponse(HOST_PAGE, media_type="text/html")

    async def mcp(request: Request) -> Response:
        body = await request.json()
        method, params = body.get("method"), body.get("params") or {}
        client = clients[0]
        result: Any
        if method == "tools/list":
            result = await client.list_tools()
        elif method == "tools/call":
            result = await client.call_tool(params["name"], params.get("arguments") or {})
        elif method == "resources/read":
            result = await client.read_resource(params["uri"])
        else:
            return JSONResponse({"error": f"the test host passes on no {method!r}"}, status_code=400)
        return JSONResponse(result.model_dump(by_alias=True, exclude_none=True, mode="json"))

    return Starlette(routes=[Route("/", page), Route("/mcp", mcp, methods=["POST"])], lifespan=lifespan)


@contextmanager
def serve_host(server: KintoneMCPServer, *, startup_timeout: float = 10.0) -> Iterator[str]:
    """The host on 127.0.0.1 (a free port, bound before the thread starts); yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(host_app(server), log_level="warning", lifespan="on", access_log=False)
    runner = uvicorn.Server(config)
    thread = threading.Thread(target=runner.run, kwargs={"sockets": [sock]}, name=f"apps-host-{port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not runner.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test MCP Apps host did not start")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        runner.should_exit = True
        thread.join(timeout=10)
        sock.close()
