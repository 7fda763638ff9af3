"""Export and import through files: `kintone-mcp export` / `import` (the export_records / import_records engine)
against Cybozu's cli-kintone (`record export` / `record import`, tests/js) on the same sandbox in the same run.

Both run as processes against one sandbox served over HTTPS on loopback (cli-kintone talks only HTTPS; both trust a
certificate made for the run), so each pays the same server, TLS and process start. Reports wall time and the
ratio ours / cli-kintone (goal ≤ 1.0), and the peak memory (max RSS) of our export at the small and the full count
(goal: flat, the cursor pages are written and dropped), and of our import at --import-rows and at the full count
(goal: flat, the file is read as a stream and the checked rows wait on disk).

The import is timed in --rounds rounds, each side going first in turn (the machine is shared, and the sandbox's time
for the same requests varies from one minute to the next); the figure is the median of the rounds' ratios, with each
round and the processes' CPU seconds printed too.

    python benchmarks/bench_transfer.py [--records 100000] [--import-rows 10000] [--small 10000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime
import ipaddress
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx2
import uvicorn
from bench_server_common import sandbox
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CLI = Path(__file__).parents[1] / "tests" / "js" / "node_modules" / ".bin" / "cli-kintone"
DEALS = 2
_AUTH = {"X-Cybozu-Authorization": base64.b64encode(b"Administrator:sandbox").decode()}
_SYSTEM = {"RECORD_NUMBER", "CREATOR", "CREATED_TIME", "MODIFIER", "UPDATED_TIME", "STATUS", "STATUS_ASSIGNEE",
           "CATEGORY", "__ID__", "__REVISION__"}  # fmt: skip


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(hours=3))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def _serve(app: object, cert: Path, key: Path) -> tuple[str, uvicorn.Server]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False,  # type: ignore[arg-type]
                            ssl_certfile=str(cert), ssl_keyfile=str(key))  # fmt: skip
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return f"https://127.0.0.1:{port}", server


def _copy_app(base_url: str, cert: Path) -> int:
    # a long timeout: on a loaded machine the sandbox may take seconds to answer while a 100,000-row import runs
    with httpx2.Client(base_url=base_url, verify=str(cert), headers=_AUTH, timeout=300) as http:
        props = http.get("/k/v1/app/form/fields.json", params={"app": DEALS}).json()["properties"]
        new = int(http.post("/k/v1/preview/app.json", json={"name": "Copy"}).json()["app"])
        body = {"app": new, "properties": {c: p for c, p in props.items() if p["type"] not in _SYSTEM}}
        http.post("/k/v1/preview/app/form/fields.json", json=body).raise_for_status()
        http.post("/k/v1/preview/app/deploy.json", json={"apps": [{"app": new}]}).raise_for_status()
    return new


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(args: list[str], env: dict[str, str], stdout: Path | None = None) -> tuple[float, int]:
    """(seconds, peak RSS in KB) of one process, which must succeed.

    The peak is the process's own high-water mark (VmHWM), read while it runs: wait4's ru_maxrss would start from
    this process's size at the fork (Linux carries the parent's mark into the child), which holds the sandbox."""
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(stdout.open("wb")) if stdout else subprocess.DEVNULL
        errors = stack.enter_context(tempfile.TemporaryFile())  # not a pipe: a full pipe would stall the process
        start = time.perf_counter()
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=errors)
        peak = 0
        while proc.poll() is None:
            try:
                status = Path(f"/proc/{proc.pid}/status").read_text()
            except OSError:
                break
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
            time.sleep(0.05)
        proc.wait()
        seconds = time.perf_counter() - start
        errors.seek(0)
        err = errors.read().decode(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"{args[:4]} failed: {err[-2000:]}")
    return seconds, peak


def _compare_exports(t_ours: float, rss_full: int, records: int, small: int, work: Path, cli_env: dict[str, str],
                     ours_env: dict[str, str], ours: list[str], login: list[str]) -> None:  # fmt: skip
    t_cli, rss_cli = _run([str(CLI), "record", "export", "--app", str(DEALS), *login], cli_env, work / "cli.csv")
    print(f"export {records:,} records to CSV: ours {t_ours:.2f} s, cli-kintone {t_cli:.2f} s, "
          f"ratio {t_ours / t_cli:.2f} (goal <= 1.0); files {(work / 'ours.csv').stat().st_size:,} B and "
          f"{(work / 'cli.csv').stat().st_size:,} B")  # fmt: skip
    _, rss_small = _run(
        [*ours, "export", str(work / "small.csv"), "--app", str(DEALS), "--query", f"$id <= {small}", "--quiet"],
        ours_env,
    )
    print(f"peak memory of our export: {rss_small / 1024:.0f} MB at {small:,} records, {rss_full / 1024:.0f} MB "
          f"at {records:,} ({rss_full / rss_small:.2f}x; goal flat); cli-kintone {rss_cli / 1024:.0f} MB at "
          f"{records:,}")  # fmt: skip


def main(records: int, import_rows: int, small: int, rounds: int, import_only: bool) -> None:
    if not CLI.exists():
        raise SystemExit("tests/js/node_modules is missing: run `npm ci --prefix tests/js`")
    work = Path(tempfile.mkdtemp(prefix="bench-transfer-"))
    cert, key = _certificate(work)
    started = time.perf_counter()
    sb = sandbox(records)
    print(f"sandbox with {records:,} Deals records seeded in {time.perf_counter() - started:.1f} s")
    base_url, server = _serve(sb.asgi_app, cert, key)
    ours_env = {k: v for k, v in os.environ.items() if not k.startswith("KINTONE_")}
    ours_env.update(KINTONE_BASE_URL=base_url, KINTONE_USERNAME="Administrator", KINTONE_PASSWORD="sandbox",
                    KINTONE_CA_BUNDLE=str(cert), KINTONE_DOWNLOAD_MAX_BYTES=str(10**10))  # fmt: skip
    cli_env = {**ours_env, "NODE_EXTRA_CA_CERTS": str(cert)}
    ours = [sys.executable, "-m", "kintone_mcp"]
    login = ["--base-url", base_url, "--username", "Administrator", "--password", "sandbox"]
    try:
        t_ours, rss_full = _run([*ours, "export", str(work / "ours.csv"), "--app", str(DEALS), "--quiet"], ours_env)
        if import_only:
            print(f"(--import-only: our export of the {records:,} records, the file to import, took {t_ours:.2f} s)")
        else:
            _compare_exports(t_ours, rss_full, records, small, work, cli_env, ours_env, ours, login)
        _run([*ours, "export", str(work / "rows.csv"), "--app", str(DEALS), "--query", f"$id <= {import_rows}",
              "--quiet"], ours_env)  # fmt: skip
        ratios, cpu_ours, cpu_cli, rss_rows = [], [], [], 0
        for round_ in range(rounds):
            target_ours, target_cli = _copy_app(base_url, cert), _copy_app(base_url, cert)
            rows = str(work / "rows.csv")
            ours_import = [*ours, "import", rows, "--app", str(target_ours), "--mode", "add", "--quiet"]
            cli_import = [str(CLI), "record", "import", "--app", str(target_cli), "--file-path", rows, *login]
            timed: dict[str, tuple[float, float]] = {}
            order = [("ours", ours_import, ours_env), ("cli", cli_import, cli_env)]
            for side, args, env in order if round_ % 2 == 0 else order[::-1]:
                cpu = _cpu()
                seconds, peak = _run(args, env)
                timed[side] = (seconds, _cpu() - cpu)
                if side == "ours":
                    rss_rows = max(rss_rows, peak)
            (i_ours, c_ours), (i_cli, c_cli) = timed["ours"], timed["cli"]
            ratios.append(i_ours / i_cli)
            cpu_ours.append(c_ours)
            cpu_cli.append(c_cli)
            print(f"  round {round_ + 1} ({'ours' if round_ % 2 == 0 else 'cli-kintone'} first): ours {i_ours:.2f} s "
                  f"(CPU {c_ours:.2f} s), cli-kintone {i_cli:.2f} s (CPU {c_cli:.2f} s), ratio {i_ours / i_cli:.2f}")
        print(f"import {import_rows:,} rows from CSV: median ratio {statistics.median(ratios):.2f} over {rounds} "
              f"rounds (goal <= 1.0); CPU median ours {statistics.median(cpu_ours):.2f} s, cli-kintone "
              f"{statistics.median(cpu_cli):.2f} s")  # fmt: skip
        target_full = _copy_app(base_url, cert)
        seconds, rss_full_import = _run([*ours, "import", str(work / "ours.csv"), "--app", str(target_full), "--mode",
                                         "add", "--quiet"], ours_env)  # fmt: skip
        print(f"peak memory of our import: {rss_rows / 1024:.0f} MB at {import_rows:,} rows, "
              f"{rss_full_import / 1024:.0f} MB at {records:,} ({rss_full_import / rss_rows:.2f}x; goal flat); "
              f"the {records:,} rows took {seconds:.1f} s")
    finally:
        server.should_exit = True


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--import-only", action="store_true", help="skip the timed export comparison")
    a = parser.parse_args()
    main(a.records, a.import_rows, a.small, a.rounds, a.import_only)
