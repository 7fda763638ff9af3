"""Connection secrets in encrypted files, for machines without a usable OS keyring.

One file per connection, ``<dir>/<name>.secrets``: a small JSON envelope around AES-256-GCM ciphertext of the
connection's secrets. The 256-bit key is either

* kept in a separate key file (default ``secrets.key`` beside the connections file, or
  ``KINTONE_SECRETS_KEY_FILE``), 0600, made on first use; or
* derived with scrypt from a passphrase given through the environment (``KINTONE_SECRETS_PASSPHRASE`` or
  ``KINTONE_SECRETS_PASSPHRASE_FILE``), with a random salt per file and the scrypt cost recorded in the file.

The connection's name and the key-derivation record are authenticated as associated data, so a file that was edited,
truncated, copied over another connection's, or opened with another key fails GCM's check and is refused: nothing
from it is used. What this protects against, and what it does not, is in docs/connect.md.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets as random
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from kintone_mcp.privatefiles import file_name_for
from kintone_mcp.settings.store.files import StoreError, write_private

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# cryptography's AEAD and KDF modules are imported where used: every start of the server loads the settings, and only
# connections kept in an encrypted file need them (about 60 ms of imports otherwise).

FORMAT = "kintone-mcp connection secrets"
#: scrypt cost for new files: 2^15 x 8 x 128 bytes = 32 MiB and about 0.1 s per derivation (RFC 7914's
#: interactive-use figure); recorded per file so it can be raised without breaking old files.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
_NONCE = 12
_KEY = 32


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not text")
    return base64.b64decode(text.encode("ascii"), validate=True)


def _aesgcm() -> type[AESGCM]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM


def _associated_data(connection: str, kdf: dict[str, Any]) -> bytes:
    # Canonical JSON: the same record always gives the same bytes, whatever order the file lists its keys in.
    record = {"format": FORMAT, "version": 1, "connection": connection, "kdf": kdf}
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


class EncryptedFileSecretStore:
    """``load`` / ``save`` / ``delete`` of one connection's secrets (a dict of setting name -> secret text)."""

    kind: Literal["file"] = "file"

    def __init__(self, directory: Path, key_file: Path, passphrase: str | None = None) -> None:
        self.directory = directory
        self.key_file = key_file
        self._passphrase = passphrase

    def describe(self) -> str:
        how = "a passphrase (KINTONE_SECRETS_PASSPHRASE)" if self._passphrase else f"the key file {self.key_file}"
        return f"encrypted file in {self.directory} (AES-256-GCM, key from {how})"

    def path_of(self, connection: str) -> Path:
        return self.directory / file_name_for(connection, ".secrets")

    # --- the key ------------------------------------------------------------------------------------------------

    def _key_from_file(self, *, create: bool) -> bytes:
        path = self.key_file
        try:
            text = path.read_text(encoding="ascii")
        except FileNotFoundError:
            if not create:
                raise StoreError(
                    f"the key file {path} that encrypts the stored secrets is missing, so they cannot be decrypted: "
                    "restore it, or enter the secrets again with `kintone-mcp connection edit NAME`."
                ) from None
            key = _aesgcm().generate_key(bit_length=256)
            write_private(path, (_b64(key) + "\n").encode("ascii"))
            return key
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not a key file"
            raise StoreError(f"cannot read the key file {path} ({reason}).") from None
        if os.name == "posix" and stat.S_IMODE(path.stat().st_mode) & 0o077:
            # As ssh does with private keys: a key others can read protects nothing, so say so rather than use it.
            raise StoreError(f"the key file {path} can be read by other users: run `chmod 600 {path}`.")
        try:
            key = _unb64(text.strip())
        except (ValueError, binascii.Error):
            key = b""
        if len(key) != _KEY:
            raise StoreError(f"the key file {path} does not hold a 256-bit key (it was changed or damaged).")
        return key

    def _key_from_passphrase(self, kdf: dict[str, Any]) -> bytes:
        if not self._passphrase:
            raise StoreError(
                "these secrets are encrypted with a passphrase: set KINTONE_SECRETS_PASSPHRASE (or "
                "KINTONE_SECRETS_PASSPHRASE_FILE) in the environment that runs kintone-mcp."
            )
        salt = _unb64(kdf["salt"])
        n, r, p = int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
        if not (2**10 <= n <= 2**20 and 1 <= r <= 32 and 1 <= p <= 16 and len(salt) >= 16):
            raise ValueError("scrypt parameters out of range")
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        return Scrypt(salt=salt, length=_KEY, n=n, r=r, p=p).derive(self._passphrase.encode("utf-8"))

    # --- the store ----------------------------------------------------------------------------------------------

    def save(self, connection: str, values: dict[str, str]) -> None:
        if self._passphrase:
            kdf: dict[str, Any] = {"name": "scrypt", "salt": _b64(random.token_bytes(16)),
                                   "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P}  # fmt: skip
            key = self._key_from_passphrase(kdf)
        else:
            kdf = {"name": "key-file"}
            key = self._key_from_file(create=True)
        nonce = random.token_bytes(_NONCE)
        plaintext = json.dumps(values, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        ciphertext = _aesgcm()(key).encrypt(nonce, plaintext, _associated_data(connection, kdf))
        envelope = {"format": FORMAT, "version": 1, "connection": connection, "kdf": kdf,
                    "nonce": _b64(nonce), "ciphertext": _b64(ciphertext)}  # fmt: skip
        write_private(self.path_of(connection), (json.dumps(envelope, indent=2) + "\n").encode("ascii"))

    def load(self, connection: str) -> dict[str, str] | None:
        from cryptography.exceptions import InvalidTag

        path = self.path_of(connection)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"cannot read the stored secrets in {path} ({exc.strerror}).") from None
        refused = StoreError(
            f"the stored secrets of connection {connection!r} in {path} fail their integrity check: the file was "
            "changed or damaged, copied from another connection, or the key or passphrase is not the one they were "
            f"saved with. Nothing from it was used; enter the secrets again with `kintone-mcp connection edit "
            f"{connection}`."
        )
        try:
            envelope = json.loads(raw.decode("utf-8"))
            if not isinstance(envelope, dict) or envelope.get("format") != FORMAT or envelope.get("version") != 1:
                raise ValueError("not an envelope")
            kdf = envelope["kdf"]
            if not isinstance(kdf, dict):
                raise ValueError("no kdf")
            nonce, ciphertext = _unb64(envelope["nonce"]), _unb64(envelope["ciphertext"])
            if kdf.get("name") == "scrypt":
                key = self._key_from_passphrase(kdf)
            elif kdf.get("name") == "key-file" and set(kdf) == {"name"}:
                key = self._key_from_file(create=False)
            else:
                raise ValueError("unknown kdf")
            # The name authenticated is the one asked for, not the one the file claims: a file renamed or copied
            # over another connection's fails here.
            plaintext = _aesgcm()(key).decrypt(nonce, ciphertext, _associated_data(connection, kdf))
            values = json.loads(plaintext.decode("utf-8"))
        except StoreError:
            raise
        except (InvalidTag, ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
            raise refused from None
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            raise refused
        return values

    def delete(self, connection: str) -> bool:
        try:
            self.path_of(connection).unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise StoreError(f"cannot remove {self.path_of(connection)} ({exc.strerror}).") from None
        return True
