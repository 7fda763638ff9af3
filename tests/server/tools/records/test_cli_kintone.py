"""Files go both ways between us and Cybozu's cli-kintone (``@kintone/cli`` from npm, tests/js): a CSV
export_records writes imports with ``cli-kintone record import``, and a CSV ``cli-kintone record export`` writes
imports with import_records, with the same records as a result.

cli-kintone talks only HTTPS, so the sandbox is served here over TLS with a certificate made for the run, and
cli-kintone trusts it through NODE_EXTRA_CA_CERTS (verification stays on)."""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from mcp import Client

from kintone_mcp.sandbox import Sandbox, SandboxConfig
from tests.server.conftest import CUSTOMERS, DEALS, ServerFactory
from tests.server.helpers import call_ok
from tests.server.tools.records.test_transfer import _same, _seed_hard_record, copy_app

CLI = Path(__file__).parents[3] / "js" / "node_modules" / ".bin" / "cli-kintone"
pytestmark = [
    pytest.mark.socket,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("node") is None, reason="needs Node (tests/js)"),
]
#: the demo's first 25 deals and the record _seed_hard_record adds (several users, quotes, commas, line breaks,
#: an exact decimal, a table of several rows)
CONDITION = '$id <= 25 or title like "comma"'
QUERY = f"{CONDITION} order by $id asc"


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(SandboxConfig(demo=True, demo_records=25))


@pytest.fixture
def https(sandbox: Sandbox, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The sandbox over HTTPS on a free loopback port: (base URL, the certificate to trust)."""
    if not CLI.exists():
        pytest.skip("tests/js/node_modules is missing: run `npm ci --prefix tests/js`")
    cert, key = _certificate(tmp_path)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        sandbox.asgi_app, log_level="warning", lifespan="off", access_log=False,
        ssl_certfile=str(cert), ssl_keyfile=str(key),
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the HTTPS sandbox did not start"
        time.sleep(0.01)
    try:
        yield f"https://127.0.0.1:{port}", cert
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def cli_kintone(https: tuple[str, Path], *args: str) -> str:
    base_url, cert = https
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINTONE_")}
    env["NODE_EXTRA_CA_CERTS"] = str(cert)
    done = subprocess.run(
        [str(CLI), "record", *args, "--base-url", base_url, "--username", "Administrator", "--password", "sandbox"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


async def _records(mcp: Client, app: int) -> list[dict[str, Any]]:
    return list((await call_ok(mcp, "get_records", app=app, query=QUERY, limit=100))["records"])


@pytest.mark.anyio
async def test_our_csv_imports_with_cli_kintone(
    make_server: ServerFactory, sandbox: Sandbox, https: tuple[str, Path], tmp_path: Path
) -> None:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    copy = await copy_app(sandbox, DEALS)
    async with Client(make_server(download_dir=downloads)) as mcp:
        await _seed_hard_record(mcp)
        done = await call_ok(mcp, "export_records", app=DEALS, format="csv", query=QUERY)
        cli_kintone(https, "import", "--app", str(copy), "--file-path", done["path"])
        source = await _records(mcp, DEALS)
        copied = await _records(mcp, copy)
    assert len(copied) == len(source) == 26
    for a, b in zip(source, copied, strict=True):
        _same(a, b)


@pytest.mark.anyio
async def test_cli_kintones_csv_imports_with_us(
    make_server: ServerFactory, sandbox: Sandbox, https: tuple[str, Path], tmp_path: Path
) -> None:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    copy = await copy_app(sandbox, DEALS)
    async with Client(make_server(download_dir=downloads)) as mcp:
        await _seed_hard_record(mcp)
        exported = cli_kintone(https, "export", "--app", str(DEALS), "--condition", CONDITION, "--order-by", "$id asc")
        (downloads / "from-cli-kintone.csv").write_text(exported, encoding="utf-8")
        result = await call_ok(mcp, "import_records", app=copy, file="from-cli-kintone.csv", mode="add")
        assert result["written"] == 26
        source = await _records(mcp, DEALS)
        copied = await _records(mcp, copy)
    assert len(copied) == len(source) == 26
    for a, b in zip(source, copied, strict=True):
        _same(a, b)


def cli_kintone_bytes(https: tuple[str, Path], *args: str) -> bytes:
    """cli-kintone's stdout as bytes (an export in Shift_JIS is not text to decode as UTF-8)."""
    base_url, cert = https
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINTONE_")}
    env["NODE_EXTRA_CA_CERTS"] = str(cert)
    done = subprocess.run(
        [str(CLI), "record", *args, "--base-url", base_url, "--username", "Administrator", "--password", "sandbox"],
        env=env, capture_output=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.anyio
async def test_shift_jis_files_go_both_ways(
    make_server: ServerFactory, sandbox: Sandbox, https: tuple[str, Path], tmp_path: Path
) -> None:
    """cli-kintone's --encoding sjis, both ways: its export imports with encoding shift_jis, and our shift_jis
    export imports with it."""
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    names = ["株式会社テスト（東京）", "ソフトウェア開発 第二課"]
    condition = 'customer_code like "JP-"'
    async with Client(make_server(download_dir=downloads)) as mcp:
        for i, name in enumerate(names):
            await call_ok(mcp, "add_record", app=CUSTOMERS, record={"customer_code": f"JP-{i}", "company_name": name})
        data = cli_kintone_bytes(https, "export", "--app", str(CUSTOMERS), "--condition", condition,
                                 "--order-by", "$id asc", "--fields", "customer_code,company_name",
                                 "--encoding", "sjis")  # fmt: skip
        assert "株式会社".encode("shift_jis") in data
        (downloads / "from-cli-kintone.csv").write_bytes(data)
        copy = await copy_app(sandbox, CUSTOMERS)
        result = await call_ok(mcp, "import_records", app=copy, file="from-cli-kintone.csv", mode="add",
                               encoding="shift_jis")  # fmt: skip
        assert result["written"] == 2
        got = await call_ok(mcp, "get_records", app=copy, query="order by $id asc")
        assert [r["company_name"] for r in got["records"]] == names
        fields = ["customer_code", "company_name"]
        done = await call_ok(mcp, "export_records", app=CUSTOMERS, format="csv", encoding="shift_jis",
                             fields=fields, query=f"{condition} order by $id asc")  # fmt: skip
        other = await copy_app(sandbox, CUSTOMERS)
        cli_kintone(https, "import", "--app", str(other), "--file-path", done["path"], "--encoding", "sjis")
        got = await call_ok(mcp, "get_records", app=other, query="order by $id asc")
        assert [r["company_name"] for r in got["records"]] == names
