"""The connection's secrets besides the credentials (issue 17, item 7): a proxy URL's password and the
Proxy-Authorization value made from it, and the client certificate's password, masked in every form."""

from __future__ import annotations

import base64
import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kintone_mcp.client.errors import KintoneError
from kintone_mcp.connect import build_client
from kintone_mcp.redaction import redact_logs
from kintone_mcp.settings import load_settings
from tests.reliability.test_secrets import _pfx

PROXY_USER, PROXY_PASSWORD = "proxy-user", "pxy-CANARY/7c1e@9b"
PFX_PASSWORD = "pfx-CANARY-2e4d6f80"
#: every form the proxy password takes: decoded, as written in the URL, and the Basic value httpx2 sends
PROXY_FORMS = [
    PROXY_PASSWORD,
    "pxy-CANARY%2F7c1e%409b",
    base64.b64encode(f"{PROXY_USER}:{PROXY_PASSWORD}".encode()).decode(),
]


@pytest.fixture
def echoing_proxy() -> Iterator[int]:
    """A proxy that refuses every CONNECT with 502, echoing the request's headers back as its own (as some
    gateways do), which httpcore then logs at debug level."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                data = b""
                while b"\r\n\r\n" not in data and (chunk := conn.recv(4096)):
                    data += chunk
                echoed = b"".join(
                    b"X-Echo-" + line + b"\r\n" for line in data.split(b"\r\n")[1:] if b":" in line
                )
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\n" + echoed + b"Content-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


@pytest.mark.socket
@pytest.mark.anyio
async def test_the_proxy_password_is_masked_in_debug_logs_and_errors(
    echoing_proxy: int, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pfx = _pfx(tmp_path / "client.pfx", PFX_PASSWORD)
    settings = load_settings(
        None,
        {
            "KINTONE_BASE_URL": "https://example.cybozu.com",
            "KINTONE_USERNAME": "sato",
            "KINTONE_PASSWORD": "pw-CANARY-0c4e5a7b",
            "KINTONE_PFX_FILE_PATH": str(pfx),
            "KINTONE_PFX_FILE_PASSWORD": PFX_PASSWORD,
            "HTTPS_PROXY": f"http://{PROXY_USER}:pxy-CANARY%2F7c1e%409b@127.0.0.1:{echoing_proxy}",
            "KINTONE_RETRIES": "0",
        },
    )
    caplog.set_level(logging.DEBUG)
    client = build_client(settings)
    with redact_logs(client.redactor):
        async with client:
            with pytest.raises(KintoneError) as info:
                await client.get_app(1)
        assert settings.https_proxy is not None
        logging.getLogger("test").error("password %s, proxy %s", PFX_PASSWORD, settings.https_proxy.get_secret_value())
    logged = caplog.text
    assert "X-Echo-Proxy-Authorization" in logged  # the header was logged, masked
    for form in [*PROXY_FORMS, PFX_PASSWORD]:
        assert form not in logged, form
        assert form not in str(info.value) and form not in repr(info.value)
    assert all(form not in client.redactor.redact(f"a {form} b") for form in [*PROXY_FORMS, PFX_PASSWORD])
