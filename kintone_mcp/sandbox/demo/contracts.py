"""The demo app with attachments: app 5 "Contracts" (code CONTRACTS), so download_file and upload_file have something
to work on from the first minute.

Each contract names a customer through a lookup, carries a signed contract in ``document`` and, for some, supporting
files in ``attachments``. The files are small text, CSV and Markdown documents stored as if uploaded and attached
(download keys, app 5); their bytes and keys come from the seed, so a given seed gives the same files and keys. Its own
RNG keeps the other demo apps' data unchanged.
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
from datetime import timedelta

from kintone_mcp.sandbox.demo.builders import (
    epoch_of,
    field_def,
    insert_records,
    install_app,
    list_views,
    options_of,
    stamp,
)
from kintone_mcp.sandbox.options import SandboxConfig
from kintone_mcp.sandbox.store import appstore
from kintone_mcp.sandbox.store.appdefs import JsonDict
from kintone_mcp.sandbox.store.directory import ADMIN_LOGIN

CONTRACTS = 5
RECORDS = 8
_KINDS = ("Subscription", "Support", "Onboarding", "Reseller")


def contract_fields(customer_lookup: JsonDict) -> list[JsonDict]:
    return [
        field_def("contract_no", "SINGLE_LINE_TEXT", "Contract number", required=True, unique=True, maxLength="20"),
        field_def("customer_code", "SINGLE_LINE_TEXT", "Customer code", lookup=customer_lookup),
        field_def("customer_name", "SINGLE_LINE_TEXT", "Customer name"),
        field_def("kind", "DROP_DOWN", "Kind", options=options_of(_KINDS)),
        field_def("signed_on", "DATE", "Signed on"),
        field_def("annual_value", "NUMBER", "Annual value", unit="$"),
        field_def("document", "FILE", "Signed contract"),
        field_def("attachments", "FILE", "Attachments"),
    ]


def _store_file(conn: sqlite3.Connection, config: SandboxConfig, *, name: str, content_type: str, data: bytes,
                created: str) -> JsonDict:
    """Store ``data`` as a file attached in the Contracts app and return the FILE value a record holds."""
    # Kintone's download-key shape (a timestamp, then upper-case hex), derived from the seed instead of random.
    digest = hashlib.sha256(f"kintone-mcp-demo-file:{config.seed}:{name}".encode()).hexdigest()[:36].upper()
    key = created[:19].replace("-", "").replace("T", "").replace(":", "") + digest
    cursor = conn.execute(
        "INSERT INTO stored_files(key, kind, name, content_type, size, created_at, app)"
        " VALUES (?, 'download', ?, ?, ?, ?, ?)",
        (key, name, content_type, len(data), created.replace(":00Z", ":00.000000Z"), CONTRACTS),
    )
    conn.execute("INSERT INTO file_chunks(file, seq, data) VALUES (?, 0, ?)", (cursor.lastrowid, data))
    return {"fileKey": key, "name": name, "contentType": content_type, "size": str(len(data))}


def seed_contracts_app(conn: sqlite3.Connection, config: SandboxConfig, customer_lookup: JsonDict,
                       customers: list[tuple[str, str]]) -> None:
    """Install the app with ``RECORDS`` contracts and their files."""
    epoch = epoch_of(config)
    install_app(
        conn, app_id=CONTRACTS, code="CONTRACTS", name="Contracts",
        description="Signed customer contracts with their documents (FILE fields).",
        fields=contract_fields(customer_lookup), process=None, now=stamp(epoch),
        views=list_views(("All contracts", ["contract_no", "customer_name", "kind", "signed_on", "document"], "",
                          "signed_on desc")),
    )
    rng = random.Random(config.seed + CONTRACTS)
    rows = []
    for i in range(1, RECORDS + 1):
        code, name = customers[rng.randrange(len(customers))]
        kind = rng.choice(_KINDS)
        value = rng.choice((1200, 3600, 9000, 24000, 60000))
        created = stamp(epoch + timedelta(days=i * 40, hours=rng.randint(1, 8)))
        number = f"K-{epoch.year}-{i:03d}"
        signed_on = created[:10]
        text = (f"Contract {number}\n\nCustomer: {name} ({code})\nKind: {kind}\nAnnual value: ${value}\n"
                f"Signed on: {signed_on}\n\nThe customer subscribes to the services above for twelve months.\n")
        document = [_store_file(conn, config, name=f"{number}.txt", content_type="text/plain",
                                data=text.encode(), created=created)]
        attachments = []
        if i % 2 == 1:
            seats = rng.randint(5, 200)
            price_list = f"item,quantity,unit_price\nCloud license,{seats},1200\nSupport plan,1,300\n"
            attachments.append(_store_file(conn, config, name=f"{number}-price-list.csv", content_type="text/csv",
                                           data=price_list.encode(), created=created))
        if i % 3 == 0:
            weeks = rng.randint(2, 8)
            notes = f"# Kick-off notes for {name}\n\n- Owner: {ADMIN_LOGIN}\n- Go-live within {weeks} weeks\n"
            attachments.append(_store_file(conn, config, name=f"{number}-kickoff.md", content_type="text/markdown",
                                           data=notes.encode(), created=created))
        data = {
            "contract_no": number,
            "customer_code": code,
            "customer_name": name,
            "kind": kind,
            "signed_on": signed_on,
            "annual_value": str(value),
            "document": document,
            "attachments": attachments,
        }
        text_data = json.dumps(data, ensure_ascii=False)
        rows.append((i, 1, ADMIN_LOGIN, created, ADMIN_LOGIN, created, None, "[]", text_data))
    insert_records(conn, CONTRACTS, rows)
    info = appstore.load_app(conn, CONTRACTS)
    assert info is not None
    appstore.create_indexes(conn, info)
