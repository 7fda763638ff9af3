"""TLS for the connection: CA bundle, cybozu's client certificate (.pfx), and the HTTPS proxy.

Python's ``ssl`` loads client certificates only from PEM files, while cybozu issues PKCS#12 (.pfx) files. The
certificate is therefore opened with ``cryptography``, written as PEM to a private temporary directory with the key
encrypted under a one-off random passphrase, loaded into the context, and deleted at once: the decrypted key never
touches the disk.
"""

from __future__ import annotations

import os
import secrets
import shutil
import ssl
import tempfile
from pathlib import Path

import httpx2


class TlsConfigurationError(Exception):
    """The CA bundle or client certificate cannot be used; the message names the setting to fix."""


def ssl_context(
    *,
    ca_bundle: Path | None = None,
    pfx_path: Path | None = None,
    pfx_password: str | None = None,
) -> ssl.SSLContext:
    """A verifying client context: system CAs (or ``ca_bundle``), plus the client certificate when given."""
    try:
        context = ssl.create_default_context(cafile=str(ca_bundle) if ca_bundle else None)
    except (OSError, ssl.SSLError) as exc:
        raise TlsConfigurationError(
            f"The CA bundle {ca_bundle} (KINTONE_CA_BUNDLE) could not be loaded: {exc.strerror or exc}. "
            "It must be a PEM file of CA certificates."
        ) from None
    if pfx_path is not None:
        load_pfx(context, pfx_path, pfx_password)
    return context


def load_pfx(context: ssl.SSLContext, path: Path, password: str | None) -> None:
    """Adds the certificate and key of a PKCS#12 file to ``context``."""
    # Imported here: only a connection with a client certificate needs it, and it is slow to import.
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, Encoding, PrivateFormat, pkcs12

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TlsConfigurationError(
            f"The client certificate {path} (KINTONE_PFX_FILE_PATH) cannot be read: {exc.strerror}."
        ) from None
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, password.encode() if password else None)
    except (ValueError, TypeError):
        raise TlsConfigurationError(
            f"The client certificate {path} (KINTONE_PFX_FILE_PATH) could not be opened: either the password "
            "(KINTONE_PFX_FILE_PASSWORD) is wrong or the file is not a PKCS#12 (.pfx/.p12) file."
        ) from None
    if key is None or cert is None:
        raise TlsConfigurationError(
            f"The client certificate {path} (KINTONE_PFX_FILE_PATH) holds no private key and certificate pair."
        )
    passphrase = secrets.token_urlsafe(32).encode()
    chain = cert.public_bytes(Encoding.PEM) + b"".join(c.public_bytes(Encoding.PEM) for c in extra or [])
    key_pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(passphrase))
    directory = tempfile.mkdtemp(prefix="kintone-mcp-pfx-")  # mode 0700
    try:
        cert_file = os.path.join(directory, "cert.pem")
        key_file = os.path.join(directory, "key.pem")
        for name, content in ((cert_file, chain), (key_file, key_pem)):
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
        context.load_cert_chain(cert_file, key_file, password=passphrase)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def build_transport(
    *,
    ca_bundle: Path | None = None,
    pfx_path: Path | None = None,
    pfx_password: str | None = None,
    https_proxy: str | None = None,
    limits: httpx2.Limits | None = None,
) -> tuple[httpx2.AsyncBaseTransport, dict[str, httpx2.AsyncBaseTransport]]:
    """The transport for the connection and the mounts that route ``https://`` through the proxy, if any.

    The proxy applies to HTTPS only, as ``HTTPS_PROXY`` means everywhere; plain ``http://`` (a local sandbox) goes
    direct. The environment is never read here: the configuration passes the proxy in.
    """
    context = ssl_context(ca_bundle=ca_bundle, pfx_path=pfx_path, pfx_password=pfx_password)
    limits = limits or httpx2.Limits(max_connections=100, max_keepalive_connections=20)
    direct = httpx2.AsyncHTTPTransport(verify=context, trust_env=False, limits=limits)
    mounts: dict[str, httpx2.AsyncBaseTransport] = {}
    if https_proxy:
        mounts["https://"] = httpx2.AsyncHTTPTransport(
            verify=context, trust_env=False, limits=limits, proxy=httpx2.Proxy(https_proxy)
        )
    return direct, mounts
