"""How a sandbox is set up: storage, seed data, extra credentials and operational knobs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from kintone_mcp.sandbox.access.apitokens import TOKEN_PERMISSIONS
from kintone_mcp.sandbox.access.oauthclients import OAuthConfig
from kintone_mcp.sandbox.operations.middleware import OperationsConfig
from kintone_mcp.sandbox.store.directory import DEFAULT_TIMEZONE


@dataclass(frozen=True)
class UserSpec:
    """A user to create (or whose password to reset) at start-up."""

    login: str
    password: str
    name: str | None = None
    timezone: str = DEFAULT_TIMEZONE
    primary_organization: str | None = None


@dataclass(frozen=True)
class ApiTokenSpec:
    """An app API token to register at start-up; ``permissions`` is a subset of TOKEN_PERMISSIONS."""

    app: int
    token: str
    permissions: frozenset[str] = frozenset(TOKEN_PERMISSIONS)


@dataclass(frozen=True)
class UserApiTokenSpec:
    """A cybozu.com User API token (``Authorization: Bearer``, /v1/ only) to register at start-up.

    ``scope`` is one of USER_API_SCOPES; ``expires`` (aware, or naive meaning UTC) is checked against the sandbox clock.
    """

    token: str
    scope: str = "read"
    expires: datetime | None = None


@dataclass
class SandboxConfig:
    #: SQLite file; None keeps everything in memory for the life of the Sandbox object.
    db_path: str | Path | None = None
    #: Seed the demo users, organisations, groups, spaces and the three demo apps (only into a fresh database).
    demo: bool = True
    #: Number of records in the Deals demo app (benchmarks raise it to 100,000+).
    demo_records: int = 300
    #: Seed of the demo data generator: the same seed gives the same records.
    seed: int = 20240401
    #: First day of the demo data; None keeps the fixed start (2025-01-06), so runs on any day give the same data.
    #: The command line passes a start a year back from today instead, so questions about "this month" find records.
    demo_start: date | None = None
    users: list[UserSpec] = field(default_factory=list)
    api_tokens: list[ApiTokenSpec] = field(default_factory=list)
    #: User API tokens; with ``demo`` and none given, one read-scope token is minted (``Sandbox.demo_user_api_token``).
    user_api_tokens: list[UserApiTokenSpec] = field(default_factory=list)
    #: (user, password) of the optional Basic gate checked in addition to Kintone authentication.
    basic_auth: tuple[str, str] | None = None
    operations: OperationsConfig = field(default_factory=OperationsConfig)
    #: Wall clock used for record timestamps and query functions; tests pin it.
    clock: Callable[[], datetime] | None = None
    #: On add, an omitted SUBTABLE gets one row of default values (as the Kintone form does) rather than none.
    #: Real Kintone's REST behaviour here is unconfirmed, hence the switch.
    subtable_default_row: bool = True
    #: Open cursors (records/cursor.json) allowed at once per domain; one more is 400 GAIA_TM12.
    cursor_limit: int = 10
    #: A cursor not used for this long is gone (Kintone: about 10 minutes). Measured on ``clock``.
    cursor_idle_timeout: timedelta = timedelta(minutes=10)
    #: Largest file POST file.json accepts, in bytes (Kintone's own limit is 1 GB per file).
    max_file_size: int = 100 * 1024 * 1024
    #: How long an upload key stays attachable before the sandbox discards it (Kintone's period is unconfirmed;
    #: 3 days is commonly cited). Measured on ``clock``, so tests can move time forward.
    upload_retention: timedelta = timedelta(days=3)
    #: How long a deploy (preview/app/deploy.json) reports PROCESSING before its outcome, in seconds. Kintone's
    #: deploys take seconds; 0 (the default) finishes at once, so that tests need not wait unless they test waiting.
    deploy_seconds: float = 0.0
    #: Posting a comment increases the record's revision by one. Unconfirmed in Kintone, hence off by default.
    comment_bumps_revision: bool = False
    #: A status action into a state whose assignee is chosen (type ONE) needs ``assignee`` even when there is only one
    #: candidate, as Kintone documents (GAIA_SA01 without it; the default). Off: one candidate is taken without asking.
    status_assignee_required: bool = True
    #: Accept query operators whose support in Kintone is unconfirmed (the unconfirmed set of ``query.operators``:
    #: ``is empty`` on SINGLE_LINE_TEXT and LINK). Off (the default) they are refused with 400 GAIA_IQ03, as an
    #: independent emulator tested against real Kintone reports (docs/findings.md); on, they work as on other text.
    lenient_operators: bool = False
    #: search.json: hits per page when the request gives no ``limit``, and the largest ``limit`` accepted. Kintone's
    #: own numbers are undocumented [U] (docs/findings.md).
    search_default_limit: int = 20
    search_max_limit: int = 100
    #: GET space.json adds ``threads`` ([{id, name}]), which Kintone's answer does not document [U]: a sandbox
    #: extension that lets get_space list threads; off gives Kintone's documented shape only.
    space_json_threads: bool = True
    #: The OAuth 2.0 authorization server: registered clients, token lifetimes, rotation (``access.oauthclients``).
    oauth: OAuthConfig = field(default_factory=OAuthConfig)
