"""Serving a sandbox over a real loopback socket from a background thread (`kintone-mcp serve --sandbox`, tests)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from kintone_mcp.sandbox.sandbox import Sandbox


@contextmanager
def serve_in_thread(sandbox: Sandbox, *, startup_timeout: float = 10.0) -> Iterator[str]:
    """Run uvicorn on 127.0.0.1 (a free port) in a background thread; yields ``http://127.0.0.1:PORT``.

    The socket is bound before the thread starts so the port is known up front and no other process can take it.
    """
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say they are TCP; without it every
    # response waits ~40 ms for a delayed ACK (headers and body are written separately).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(sandbox.asgi_app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"sandbox-{port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the sandbox server thread stopped during start-up; see its log")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the sandbox did not start within {startup_timeout} s")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
