"""The test plays the browser: read the sandbox's consent page, fill in its form, and follow the redirect."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import unescape

import httpx2

from kintone_mcp.sandbox import Sandbox, SandboxConfig
from kintone_mcp.sandbox.access.oauthclients import OAuthClientSpec, OAuthConfig
from kintone_mcp.sandbox.access.oauthstore import demo_client_spec

BASE = "http://sandbox.test"
ALL_SCOPES = (
    "k:app_record:read k:app_record:write k:app_settings:read k:app_settings:write k:file:read k:file:write"
)

_INPUT = re.compile(r"<input\b([^>]*)>")
_ATTR = re.compile(r"(\w+)='([^']*)'")


@dataclass
class Clock:
    """The sandbox's clock, moved by the test instead of sleeping."""

    now: datetime = field(default_factory=lambda: datetime(2026, 4, 1, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_sandbox(clock: Clock | None = None, **oauth: object) -> Sandbox:
    return Sandbox(SandboxConfig(demo=True, demo_records=20, clock=clock, oauth=OAuthConfig(**oauth)))  # type: ignore[arg-type]


def demo_client(sb: Sandbox) -> OAuthClientSpec:
    with sb.store.reading() as conn:
        spec = demo_client_spec(conn)
    assert spec is not None
    return spec


def form_fields(page: str) -> dict[str, str]:
    """Every named input of the page's form with its value (hidden fields carry the authorization request)."""
    fields: dict[str, str] = {}
    for match in _INPUT.finditer(page):
        attrs = {k: unescape(v) for k, v in _ATTR.findall(match.group(1))}
        if "name" in attrs:
            fields[attrs["name"]] = attrs.get("value", "")
    return fields


async def approve(
    browser: httpx2.AsyncClient,
    authorization_url: str,
    *,
    login: str = "sato",
    password: str = "sandbox",
    action: str = "approve",
) -> httpx2.Response:
    """GET the consent page, POST its form as the user would; returns the answer to the POST (a redirect)."""
    page = await browser.get(authorization_url)
    assert page.status_code == 200, page.text
    fields = form_fields(page.text)
    assert {"username", "password"} <= set(fields), "the page must ask for username and password"
    fields.update(username=login, password=password, action=action)
    form_action = re.search(r"<form method='post' action='([^']+)'", page.text)
    assert form_action is not None
    return await browser.post(str(page.url.join(form_action.group(1))), data=fields)


def query_of(location: str) -> dict[str, str]:
    return dict(httpx2.URL(location).params)
