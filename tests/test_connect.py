"""From settings to a working client: credentials per API, OAuth seam, and TLS (client certificate, CA bundle,
HTTPS proxy) over real sockets."""

from __future__ import annotations

import datetime as dt
import ipaddress
import select
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from kintone_mcp.auth import ApiTokenAuth, BasicGateAuth, PasswordAuth, UserApiTokenAuth
from kintone_mcp.auth.oauth import OAuthAuth
from kintone_mcp.client import CredentialsMissingError, NetworkError
from kintone_mcp.client.errors import OAuthLoginRequiredError
from kintone_mcp.connect import build_client
from kintone_mcp.sandbox import Sandbox, SandboxConfig
from kintone_mcp.settings import ConfigurationError, load_settings

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    sb = Sandbox(SandboxConfig(demo=True))
    yield sb
    sb.close()


def asgi(sb: Sandbox) -> httpx2.ASGITransport:
    return httpx2.ASGITransport(app=sb.asgi_app)


async def test_password_serves_both_apis(sandbox: Sandbox) -> None:
    settings = load_settings(
        env={
            "KINTONE_BASE_URL": "http://127.0.0.1:1",
            "KINTONE_USERNAME": "Administrator",
            "KINTONE_PASSWORD": "sandbox",
        }
    )
    async with build_client(settings, transport=asgi(sandbox)) as client:
        assert (await client.get_app(2)).code == "DEALS"
        assert isinstance(client.credentials.rest, PasswordAuth)
        assert client.credentials.user_api is client.credentials.rest
        assert client.describe_credentials() == (
            "REST API: password of user 'Administrator'; User API: password of user 'Administrator'"
        )


async def test_tokens_for_records_and_user_api_token_for_the_directory(sandbox: Sandbox) -> None:
    token = sandbox.demo_tokens[2]
    settings = load_settings(
        env={
            "KINTONE_BASE_URL": "http://localhost:1",
            "KINTONE_API_TOKEN": f"2:{token}",
            "KINTONE_USER_API_TOKEN": "cy.s.api1.a.b.c",
            "KINTONE_GUEST_SPACE_ID": "4",
        }
    )
    async with build_client(settings, transport=asgi(sandbox)) as client:
        assert isinstance(client.credentials.rest, ApiTokenAuth)
        assert isinstance(client.credentials.user_api, UserApiTokenAuth)
        assert client.guest_space_id == 4


async def test_token_only_connection_reports_the_missing_user_api_credentials(sandbox: Sandbox) -> None:
    settings = load_settings(env={"KINTONE_BASE_URL": "http://localhost:1", "KINTONE_API_TOKEN": "2:x"})
    async with build_client(settings, transport=asgi(sandbox)) as client:
        with pytest.raises(CredentialsMissingError, match="User API"):
            await client.list_groups()


async def test_basic_gate_wraps_the_rest_strategy() -> None:
    gated = Sandbox(SandboxConfig(demo=True, basic_auth=("gate", "gate-pw")))
    settings = load_settings(
        env={
            "KINTONE_BASE_URL": "http://127.0.0.1:1",
            "KINTONE_USERNAME": "Administrator",
            "KINTONE_PASSWORD": "sandbox",
            "KINTONE_BASIC_AUTH_USERNAME": "gate",
            "KINTONE_BASIC_AUTH_PASSWORD": "gate-pw",
        }
    )
    async with build_client(settings, transport=asgi(gated)) as client:
        assert isinstance(client.credentials.rest, BasicGateAuth)
        assert (await client.get_app(1)).app_id == 1


async def test_oauth_uses_the_stored_sign_in_and_asks_for_one_when_there_is_none(tmp_path: Path) -> None:
    # The OAuth issue replaced the seam's start-up refusal: the server must start and say on each call what to do.
    settings = load_settings(
        env={"KINTONE_SUBDOMAIN": "x", "KINTONE_OAUTH_CLIENT_ID": "c", "KINTONE_OAUTH_CLIENT_SECRET": "s",
             "KINTONE_OAUTH_TOKEN_STORE": str(tmp_path)}
    )
    async with build_client(settings) as client:
        assert isinstance(client.credentials.rest, OAuthAuth)
        with pytest.raises(OAuthLoginRequiredError, match="kintone-mcp auth login"):
            await client.get_app(1)
    client = build_client(settings, oauth=httpx2.Auth())
    assert client.credentials.rest is not None


# --- TLS: a certificate authority, a server certificate for 127.0.0.1 and a client certificate ------------------


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _cert(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[str, ec.EllipticCurvePrivateKey] | None, *, ca: bool
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer[0] if issuer else subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
    return builder.sign(issuer[1] if issuer else key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert("test CA", ca_key, None, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = _cert("127.0.0.1", server_key, ("test CA", ca_key), ca=False)
    client_key = ec.generate_private_key(ec.SECP256R1())
    client = _cert("kintone client", client_key, ("test CA", ca_key), ca=False)
    pem = serialization.Encoding.PEM
    (d / "ca.pem").write_bytes(ca.public_bytes(pem))
    (d / "server.pem").write_bytes(server.public_bytes(pem))
    (d / "server.key").write_bytes(
        server_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (d / "client.pfx").write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"client", client_key, client, [ca], serialization.BestAvailableEncryption(b"pfx-pw")
        )
    )
    return {name: d / name for name in ("ca.pem", "server.pem", "server.key", "client.pfx")}


@contextmanager
def serve_tls(sb: Sandbox, pki: dict[str, Path]) -> Iterator[int]:
    """The sandbox over HTTPS on 127.0.0.1, demanding a client certificate issued by the test CA."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        sb.asgi_app,
        log_level="critical",
        lifespan="off",
        ssl_certfile=str(pki["server.pem"]),
        ssl_keyfile=str(pki["server.key"]),
        ssl_ca_certs=str(pki["ca.pem"]),
        ssl_cert_reqs=ssl.CERT_REQUIRED,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


class _ConnectProxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    tunnels: list[str]


class _ConnectHandler(socketserver.BaseRequestHandler):
    """A minimal HTTPS proxy: CONNECT host:port, then relay bytes both ways."""

    def handle(self) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            head += chunk
        method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
        if method != "CONNECT":
            self.request.sendall(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
            return
        host, port = target.rsplit(":", 1)
        assert isinstance(self.server, _ConnectProxy)
        self.server.tunnels.append(target)
        with socket.create_connection((host, int(port))) as upstream:
            self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            sockets = [self.request, upstream]
            while True:
                ready, _, _ = select.select(sockets, [], [], 5)
                if not ready:
                    return
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    (upstream if s is self.request else self.request).sendall(data)


@contextmanager
def connect_proxy() -> Iterator[_ConnectProxy]:
    proxy = _ConnectProxy(("127.0.0.1", 0), _ConnectHandler)
    proxy.tunnels = []
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()


def _tls_env(port: int, pki: dict[str, Path], **extra: str) -> dict[str, str]:
    return {
        "KINTONE_BASE_URL": f"https://127.0.0.1:{port}",
        "KINTONE_USERNAME": "Administrator",
        "KINTONE_PASSWORD": "sandbox",
        "KINTONE_CA_BUNDLE": str(pki["ca.pem"]),
        **extra,
    }


@pytest.mark.socket
async def test_client_certificate_and_ca_bundle(sandbox: Sandbox, pki: dict[str, Path]) -> None:
    with serve_tls(sandbox, pki) as port:
        with_cert = load_settings(
            env=_tls_env(port, pki, KINTONE_PFX_FILE_PATH=str(pki["client.pfx"]), KINTONE_PFX_FILE_PASSWORD="pfx-pw")
        )
        async with build_client(with_cert) as client:
            assert (await client.get_app(1)).app_id == 1
        async with build_client(load_settings(env=_tls_env(port, pki))) as client:
            with pytest.raises(NetworkError):
                await client.get_app(1)
        no_ca = {k: v for k, v in _tls_env(port, pki).items() if k != "KINTONE_CA_BUNDLE"}
        no_ca.update(KINTONE_PFX_FILE_PATH=str(pki["client.pfx"]), KINTONE_PFX_FILE_PASSWORD="pfx-pw")
        async with build_client(load_settings(env=no_ca)) as client:
            with pytest.raises(NetworkError, match="KINTONE_CA_BUNDLE"):
                await client.get_app(1)


@pytest.mark.socket
async def test_https_goes_through_the_proxy(sandbox: Sandbox, pki: dict[str, Path]) -> None:
    with serve_tls(sandbox, pki) as port, connect_proxy() as proxy:
        proxy_url = f"http://127.0.0.1:{proxy.server_address[1]}"
        env = _tls_env(
            port,
            pki,
            KINTONE_PFX_FILE_PATH=str(pki["client.pfx"]),
            KINTONE_PFX_FILE_PASSWORD="pfx-pw",
            HTTPS_PROXY=proxy_url,
        )
        async with build_client(load_settings(env=env)) as client:
            assert (await client.get_app(3)).app_id == 3
        assert proxy.tunnels == [f"127.0.0.1:{port}"]


def test_wrong_pfx_password_is_a_configuration_error(pki: dict[str, Path]) -> None:
    env = {
        "KINTONE_SUBDOMAIN": "acme",
        "KINTONE_API_TOKEN": "t",
        "KINTONE_PFX_FILE_PATH": str(pki["client.pfx"]),
        "KINTONE_PFX_FILE_PASSWORD": "wrong-pfx-canary",
    }
    with pytest.raises(ConfigurationError) as info:
        build_client(load_settings(env=env))
    assert "KINTONE_PFX_FILE_PASSWORD" in str(info.value)
    assert "wrong-pfx-canary" not in str(info.value)


def test_not_a_pfx_is_a_configuration_error(pki: dict[str, Path]) -> None:
    env = {"KINTONE_SUBDOMAIN": "acme", "KINTONE_API_TOKEN": "t", "KINTONE_PFX_FILE_PATH": str(pki["ca.pem"])}
    with pytest.raises(ConfigurationError, match=r"PKCS#12"):
        build_client(load_settings(env=env))
