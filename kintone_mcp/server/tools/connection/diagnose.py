"""Step-by-step connection check, shared by the ``test_connection`` tool and ``kintone-mcp check``.

Each step says what it found and, when it failed, the one thing to change. Later steps are skipped when an
earlier one makes them meaningless (no point testing credentials against a host that does not answer).
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import anyio

from kintone_mcp.client.errors import (
    ApiError,
    AuthenticationError,
    CredentialsMissingError,
    KintoneError,
    NetworkError,
    OAuthLoginRequiredError,
    PermissionDeniedError,
)
from kintone_mcp.server.policy import Policy
from kintone_mcp.server.state import ServerOptions
from kintone_mcp.server.tools.connection.report import CheckStep, ConnectionReport
from kintone_mcp.server.tools.outputs import app_brief

if TYPE_CHECKING:
    from kintone_mcp.client import KintoneClient
    from kintone_mcp.client.models.apps import App

#: Apps whose record permission is probed (each probe is one request).
PERMISSION_PROBES = 5
_CRITICAL = ("configuration", "address", "answers", "tls", "credentials")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _is_tls(exc: BaseException) -> bool:
    return any(isinstance(e, ssl.SSLError) or "CERTIFICATE" in str(e).upper() for e in _chain(exc))


class _Report:
    def __init__(self) -> None:
        self.steps: list[CheckStep] = []

    def ok(self, step: str, detail: str) -> None:
        self.steps.append(CheckStep(step=step, status="ok", detail=detail))

    def fail(self, step: str, detail: str, fix: str) -> None:
        self.steps.append(CheckStep(step=step, status="failed", detail=detail, fix=fix))

    def skip(self, step: str, detail: str) -> None:
        self.steps.append(CheckStep(step=step, status="skipped", detail=detail))

    def failed(self, step: str) -> bool:
        return any(s.step == step and s.status == "failed" for s in self.steps)


def unusable_configuration(options: ServerOptions, policy: Policy, problems: list[str]) -> ConnectionReport:
    """The report when no client can be built from the configuration (a client certificate or CA bundle that
    cannot be used): nothing was sent, and each problem names the setting that fixes it."""
    r = _Report()
    r.fail(
        "configuration",
        f"{options.base_url}; the connection cannot be set up: {' '.join(problems)}",
        "Correct the settings named here, then restart the server (or run `kintone-mcp check` again).",
    )
    for step in _CRITICAL[1:]:
        r.skip(step, "not tried: an earlier step failed")
    r.ok("policy", _describe_policy(policy, options))
    return ConnectionReport(
        verdict="failed",
        summary="Not connected: fix the first failed step and check again.",
        base_url=options.base_url,
        auth=options.auth_type,
        steps=r.steps,
    )


async def diagnose(client: KintoneClient, options: ServerOptions, policy: Policy) -> ConnectionReport:
    r = _Report()
    url = urlsplit(client.base_url)
    host = url.hostname or ""
    https = url.scheme == "https"
    auth = client.describe_credentials()
    apps: list[App] | None = None

    if client.has_rest_credentials:
        r.ok("configuration", f"{client.base_url}; {auth}")
    elif client.has_user_api_credentials:
        # A User API token alone is a working setup for users, organizations and groups: the user_api step says
        # whether it works, and the REST steps are simply not for it.
        r.ok("configuration", f"{client.base_url}; {auth}; no REST API credentials (users, organizations and groups "
             "only)")
    else:
        r.fail(
            "configuration",
            f"{client.base_url}; no credentials for the Kintone REST API",
            "Set KINTONE_USERNAME and KINTONE_PASSWORD, or KINTONE_API_TOKEN (as APP_ID:TOKEN).",
        )

    if options.proxy:
        r.skip("address", f"{host} is resolved by the HTTPS proxy")
    else:
        try:
            addresses = await anyio.getaddrinfo(host, url.port or (443 if https else 80), type=socket.SOCK_STREAM)
            r.ok("address", f"{host} resolves to {addresses[0][4][0]}")
        except OSError as exc:
            r.fail(
                "address",
                f"{host} does not resolve ({exc.strerror or exc})",
                "Check KINTONE_BASE_URL (e.g. https://example.cybozu.com or https://example.kintone.com) and the "
                "network or DNS; behind a proxy set HTTPS_PROXY.",
            )

    probe_error: KintoneError | None = None
    if not r.failed("address") and client.has_rest_credentials:
        try:
            apps = await _visible_apps(client, policy)
        except KintoneError as exc:
            probe_error = exc

    if r.failed("address") or not client.has_rest_credentials:
        why = "an earlier step failed" if r.failed("address") or r.failed("configuration") else "no REST credentials"
        for step in ("answers", "tls", "credentials"):
            r.skip(step, f"not tried: {why}")
    elif isinstance(probe_error, OAuthLoginRequiredError):
        # OAuth with no usable sign-in (none, expired, revoked) or without a scope: `kintone-mcp auth login` fixes it.
        if probe_error.missing_scope is None:
            r.skip("answers", "not tried: the OAuth sign-in is missing or no longer valid")
            r.skip("tls", "not tried: the OAuth sign-in is missing or no longer valid")
        else:
            r.ok("answers", f"{client.base_url} answers")
            r.skip("tls", "not checked")
        r.fail("credentials", probe_error.reason, probe_error.fix)
    elif isinstance(probe_error, NetworkError):
        if _is_tls(probe_error):
            r.ok("answers", f"{host} accepts connections")
            r.fail("tls", f"the TLS handshake failed: {probe_error}", _TLS_FIX)
        else:
            r.fail("answers", f"no answer from {client.base_url}: {probe_error}", _ANSWER_FIX)
            r.skip("tls", "not tried: the server did not answer")
        r.skip("credentials", "not tried: the server did not answer")
    elif probe_error is not None and not isinstance(probe_error, ApiError):
        # Refused before sending (API tokens that name no app, with no app configured to try them on; more tokens
        # than one request may carry): the network and TLS are observed with one request without credentials,
        # and the credentials are reported as not verified, never as working.
        try:
            status = await client.probe()
        except NetworkError as exc:
            if _is_tls(exc):
                r.ok("answers", f"{host} accepts connections")
                r.fail("tls", f"the TLS handshake failed: {exc}", _TLS_FIX)
            else:
                r.fail("answers", f"no answer from {client.base_url}: {exc}", _ANSWER_FIX)
                r.skip("tls", "not tried: the server did not answer")
        else:
            r.ok("answers", f"{client.base_url} answers (HTTP {status} to a request without credentials)")
            if https:
                r.ok("tls", "certificate verified")
            else:
                r.skip("tls", "plain http (fine for the local sandbox; Kintone itself is https only)")
        r.skip("credentials", f"not verified: {probe_error} (write tokens as APP_ID:TOKEN, or set KINTONE_APP_ID)")
    else:
        # Kintone answered (records, or an error of its own): the network and TLS steps were observed.
        r.ok("answers", f"{client.base_url} answers")
        if https:
            r.ok("tls", "certificate verified")
        else:
            r.skip("tls", "plain http (fine for the local sandbox; Kintone itself is https only)")
        if isinstance(probe_error, AuthenticationError):
            r.fail("credentials", f"refused: {probe_error.message or probe_error.code}", probe_error.hint or _CRED_FIX)
        elif isinstance(probe_error, ApiError) and not isinstance(probe_error, PermissionDeniedError):
            r.fail(
                "credentials", f"unexpected answer: {probe_error}", "Check KINTONE_BASE_URL and KINTONE_GUEST_SPACE_ID."
            )
        elif isinstance(probe_error, PermissionDeniedError):
            r.ok("credentials", "accepted, but this user or token may not list apps")
        else:
            r.ok("credentials", f"accepted ({options.auth_type})")

    if apps is not None:
        if apps:
            shown = ", ".join(f"{a.app_id} {a.name}" for a in apps[:10]) + (" …" if len(apps) > 10 else "")
            r.ok("apps", f"{len(apps)} app(s) usable: {shown}")
            await _permissions(client, apps, r)
        else:
            r.fail(
                "apps",
                "the credentials reach no app that the allow/deny settings permit",
                "Give the user or token access to the app in Kintone, or adjust KINTONE_ALLOW_APPS / "
                "KINTONE_DENY_APPS.",
            )
    elif not r.failed("credentials") and not any(s.step == "credentials" and s.status == "skipped" for s in r.steps):
        r.skip("apps", "cannot list apps with these credentials")

    await _user_api(client, r, reachable=not any(r.failed(s) for s in _CRITICAL))
    r.ok("policy", _describe_policy(policy, options))

    verdict = "failed" if any(r.failed(s) for s in _CRITICAL) else "ok"
    if verdict == "ok" and any(s.status == "failed" for s in r.steps):
        verdict = "partial"
    if verdict == "ok" and apps is None:
        verdict = "partial"
    summary = {
        "ok": "Connected: the credentials work and the listed apps are usable.",
        "partial": "Connected, but some checks failed or could not run: see the steps with a fix.",
        "failed": "Not connected: fix the first failed step and check again.",
    }[verdict]
    if verdict == "partial" and any(s.step == "credentials" and s.status == "skipped" for s in r.steps):
        summary = "Kintone answers, but the credentials could not be verified: see the skipped steps."
    return ConnectionReport(
        verdict=verdict,
        summary=summary,
        base_url=client.base_url,
        auth=auth,
        steps=r.steps,
        apps=[app_brief(a) for a in apps or []] or None,
    )


_CRED_FIX = "Check KINTONE_USERNAME / KINTONE_PASSWORD or KINTONE_API_TOKEN."
_TLS_FIX = (
    "If a proxy inspects TLS, point KINTONE_CA_BUNDLE at its CA certificate (PEM). For secure access with a client "
    "certificate, set KINTONE_PFX_FILE_PATH and KINTONE_PFX_FILE_PASSWORD and use the *.s.cybozu.com address."
)
_ANSWER_FIX = (
    "Check that the address and port are right and reachable from this machine (firewall, VPN, HTTPS_PROXY)."
)


async def _visible_apps(client: KintoneClient, policy: Policy) -> list[App]:
    try:
        apps = await client.list_apps(limit=100)
    except CredentialsMissingError:
        # Tokens that do not name their app: probe the apps the configuration names.
        ids = set(policy.aliases.values()) | set(policy.allow_apps or ())
        if policy.default_app is not None:
            ids.add(policy.default_app)
        if not ids:
            raise
        apps = []
        for app_id in sorted(ids):
            try:
                apps.append(await client.get_app(app_id))
            except AuthenticationError:
                raise
            except ApiError:
                continue
    return [a for a in apps if policy.app_allowed(a.app_id)]


async def _permissions(client: KintoneClient, apps: list[App], r: _Report) -> None:
    can, cannot = [], []
    for app in apps[:PERMISSION_PROBES]:
        try:
            await client.get_records(app.app_id, query="limit 1", fields=["$id"])
            can.append(str(app.app_id))
        except PermissionDeniedError:
            cannot.append(str(app.app_id))
    more = f" (first {PERMISSION_PROBES} apps checked)" if len(apps) > PERMISSION_PROBES else ""
    if cannot:
        r.fail(
            "permissions",
            f"can read records in app(s) {', '.join(can) or 'none'}; cannot in {', '.join(cannot)}{more}",
            "Grant 'view records' to the user or the API token in those apps' settings.",
        )
    else:
        r.ok("permissions", f"can read records in app(s) {', '.join(can)}{more}")


async def _user_api(client: KintoneClient, r: _Report, *, reachable: bool) -> None:
    if not client.has_user_api_credentials:
        r.skip(
            "user_api",
            "list_users is not offered: neither app API tokens nor OAuth sign-ins reach the User API (set "
            "KINTONE_USER_API_TOKEN, or use password authentication)",
        )
        return
    if not reachable:
        r.skip("user_api", "not tried: an earlier step failed")
        return
    try:
        users = await client.list_users(size=1)
        r.ok("user_api", f"users, organizations and groups readable ({'some' if users else 'no'} users)")
    except KintoneError as exc:
        r.fail("user_api", f"refused: {exc}", "Use an administrator's password or a User API token with Read scope.")


_CONFIRMS = {
    "destructive": "asks the user before destructive calls (bulk writes: over {bulk} records) when the client can",
    "writes": "asks the user before every write (refused where the client cannot ask)",
    "never": "never asks the user to confirm",
}


def _describe_policy(policy: Policy, options: ServerOptions) -> str:
    from kintone_mcp.server.toolsets import describe

    parts = ["read-only" if policy.read_only else "read and write", f"toolsets {describe(policy.toolsets)}"]
    if not policy.read_only:
        confirms = _CONFIRMS[options.confirm].format(bulk=options.confirm_bulk)
        parts.append(f"{confirms} (KINTONE_CONFIRM={options.confirm})")
    if policy.allow_apps is not None:
        parts.append(f"only apps {sorted(policy.allow_apps)}")
    if policy.deny_apps:
        parts.append(f"never apps {sorted(policy.deny_apps)}")
    if policy.default_app is not None:
        parts.append(f"default app {policy.default_app}")
    if policy.aliases:
        parts.append("aliases " + ", ".join(f"{k}={v}" for k, v in sorted(policy.aliases.items())))
    return "; ".join(parts)


def render_text(report: ConnectionReport) -> str:
    """The report for a terminal (``kintone-mcp check``)."""
    mark = {"ok": "ok  ", "failed": "FAIL", "skipped": "skip"}
    lines = [f"kintone-mcp check: {report.base_url}", ""]
    for s in report.steps:
        lines.append(f"  [{mark[s.status]}] {s.step}: {s.detail}")
        if s.fix:
            lines.append(f"         fix: {s.fix}")
    lines += ["", f"{report.verdict.upper()}: {report.summary}"]
    return "\n".join(lines)
