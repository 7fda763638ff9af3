"""Deterministic demo data: users, organisations, groups, spaces and three related apps.

App 1 Customers (CUSTOMERS), app 2 Deals (DEALS: lookup to Customers, a line-item table with a CALC subtotal,
an owner user field, dates, a stage drop-down, an amount), app 3 Support tickets (TICKETS: process management),
and app 4 Partner requests (PARTNER) in guest space 2 "Partner portal" (``demo_guest``).
Records come from a seeded RNG so every run gives the same data, and are written with one ``executemany`` per
app so that ``demo_records=100_000`` takes seconds.
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from kintone_mcp.sandbox.options import ADMIN_LOGIN, DEFAULT_PASSWORD
from kintone_mcp.sandbox.store import appdefs, appstore, directory
from kintone_mcp.sandbox.store.appdefs import JsonDict

if TYPE_CHECKING:
    from kintone_mcp.sandbox.sandbox import Sandbox

CUSTOMERS, DEALS, TICKETS = 1, 2, 3

USERS: tuple[tuple[str, str, str], ...] = (
    ("sato", "Sato Haruto", "sales"),
    ("suzuki", "Suzuki Yui", "support"),
    ("tanaka", "Tanaka Ren", "support"),
    ("takahashi", "Takahashi Sakura", "engineering"),
    ("watanabe", "Watanabe Sota", "sales"),
)
ORGANIZATIONS = (("sales", "Sales"), ("support", "Customer Support"), ("engineering", "Engineering"))
GROUPS = (("managers", "Managers", ["sato", "takahashi"]), ("everyone", "Everyone", None))

# Demo timestamps start here unless SandboxConfig.demo_start says otherwise (a fixed date keeps the data identical
# across runs and days, which tests rely on; the command line starts the data a year back from today instead).
EPOCH = datetime(2025, 1, 6, 0, 0, tzinfo=UTC)


def epoch_of(sandbox: Sandbox) -> datetime:
    """Where this sandbox's demo timestamps start: ``demo_start`` at midnight UTC, else ``EPOCH``."""
    start = sandbox.config.demo_start
    return EPOCH if start is None else datetime(start.year, start.month, start.day, tzinfo=UTC)


def recent_start(today: date) -> date:
    """A demo start that makes the data current: the Monday a year before ``today``, so deals were created over the
    past year (closing up to four months ahead) and "this month" questions find records."""
    year_ago = today - timedelta(days=365)
    return year_ago - timedelta(days=year_ago.weekday())

_COMPANIES = (
    "Aoba", "Hikari", "Midori", "Sakura", "Fuji", "Kaze", "Umi", "Sora", "Yama", "Kawa", "Hoshi", "Tsuki",
    "Mori", "Hana", "Kumo", "Nami", "Ishi", "Taki", "Hayashi", "Tani",
)
_SUFFIXES = ("Trading", "Systems", "Foods", "Logistics", "Bank", "Clinic", "Motors", "Works", "Labs", "Retail")
_INDUSTRIES = ("Manufacturing", "Retail", "Finance", "IT", "Healthcare", "Logistics")
_PRODUCTS = (
    ("Cloud license", Decimal(1200)), ("Support plan", Decimal(300)), ("Onboarding", Decimal(2500)),
    ("Training day", Decimal(900)), ("Integration kit", Decimal(450)), ("Extra storage", Decimal(80)),
)
_STAGES = ("Lead", "Qualified", "Proposal", "Negotiation", "Won", "Lost")
_TICKET_SUBJECTS = (
    "Cannot log in", "Export to CSV fails", "Invoice amount looks wrong", "Slow search", "Add a dark mode",
    "Mobile app crashes on start", "How do I reset a password?", "Duplicate records after import",
    "Email notifications missing", "Timezone shown incorrectly",
)


def _options(labels: tuple[str, ...] | list[str]) -> JsonDict:
    return {label: {"label": label, "index": str(i)} for i, label in enumerate(labels)}


def _field(code: str, ftype: str, label: str, **attrs: Any) -> JsonDict:
    return appdefs.normalize_property(code, {"type": ftype, "label": label, **attrs}, key=f"properties.{code}")


def _customer_lookup(target: str) -> JsonDict:
    return {
        "relatedApp": {"app": str(CUSTOMERS), "code": "CUSTOMERS"},
        "relatedKeyField": "customer_code",
        "fieldMappings": [{"field": target, "relatedField": "company_name"}],
        "lookupPickerFields": ["customer_code", "company_name"],
        "filterCond": "",
        "sort": "customer_code asc",
    }


def customer_fields() -> list[JsonDict]:
    return [
        _field("customer_code", "SINGLE_LINE_TEXT", "Customer code", required=True, unique=True, maxLength="16"),
        _field("company_name", "SINGLE_LINE_TEXT", "Company name", required=True, maxLength="100"),
        _field("industry", "DROP_DOWN", "Industry", options=_options(_INDUSTRIES)),
        _field("region", "RADIO_BUTTON", "Region", options=_options(("East", "West", "Overseas")),
               defaultValue="East"),
        _field("contact_name", "SINGLE_LINE_TEXT", "Contact"),
        _field("email", "LINK", "Email", protocol="MAIL"),
        _field("employees", "NUMBER", "Employees", minValue="0"),
        _field("customer_since", "DATE", "Customer since"),
        _field("tags", "CHECK_BOX", "Tags", options=_options(("VIP", "Partner", "Newsletter"))),
        _field("account_manager", "USER_SELECT", "Account manager"),
        _field("notes", "MULTI_LINE_TEXT", "Notes"),
    ]


def deal_fields() -> list[JsonDict]:
    return [
        _field("title", "SINGLE_LINE_TEXT", "Deal", required=True, maxLength="120"),
        _field("customer_code", "SINGLE_LINE_TEXT", "Customer code", lookup=_customer_lookup("customer_name")),
        _field("customer_name", "SINGLE_LINE_TEXT", "Customer name"),
        _field("stage", "DROP_DOWN", "Stage", options=_options(_STAGES), defaultValue="Lead", required=True),
        _field("owner", "USER_SELECT", "Owner",
               defaultValue=[{"code": "LOGINUSER()", "type": "FUNCTION"}]),
        _field("department", "ORGANIZATION_SELECT", "Department"),
        _field("close_date", "DATE", "Expected close date"),
        _field("next_contact", "DATETIME", "Next contact"),
        _field("probability", "NUMBER", "Probability", minValue="0", maxValue="100", unit="%",
               unitPosition="AFTER"),
        _field(
            "line_items",
            "SUBTABLE",
            "Line items",
            fields={
                "product": {"type": "SINGLE_LINE_TEXT", "label": "Product"},
                "quantity": {"type": "NUMBER", "label": "Quantity", "minValue": "0"},
                "unit_price": {"type": "NUMBER", "label": "Unit price", "unit": "$"},
                "subtotal": {"type": "CALC", "label": "Subtotal", "expression": "quantity * unit_price"},
            },
        ),
        _field("total", "CALC", "Total of line items", expression="SUM(subtotal)", unit="$"),
        _field("amount", "NUMBER", "Amount", unit="$"),
        _field("notes", "MULTI_LINE_TEXT", "Notes"),
    ]


def ticket_fields() -> list[JsonDict]:
    return [
        _field("subject", "SINGLE_LINE_TEXT", "Subject", required=True, maxLength="200"),
        _field("description", "MULTI_LINE_TEXT", "Description"),
        _field("priority", "RADIO_BUTTON", "Priority", options=_options(("Low", "Medium", "High", "Urgent")),
               defaultValue="Medium"),
        _field("category", "DROP_DOWN", "Category", options=_options(("Bug", "Question", "Feature request",
                                                                       "Billing"))),
        _field("labels", "MULTI_SELECT", "Labels", options=_options(("frontend", "backend", "mobile", "docs"))),
        _field("customer_code", "SINGLE_LINE_TEXT", "Customer code", lookup=_customer_lookup("customer_name")),
        _field("customer_name", "SINGLE_LINE_TEXT", "Customer name"),
        _field("reported_at", "DATETIME", "Reported at", defaultNowValue=True),
        _field("due_date", "DATE", "Due date"),
        _field("due_time", "TIME", "Due time"),
        _field("assigned_to", "USER_SELECT", "Assigned to"),
        _field("escalation", "GROUP_SELECT", "Escalate to"),
    ]


def ticket_process() -> JsonDict:
    def one(*entities: JsonDict) -> JsonDict:
        return {"type": "ONE", "entities": [{"entity": e, "includeSubs": False} for e in entities]}

    return appdefs.normalize_process(
        {
            "enable": True,
            "states": {
                "Open": {"index": "0", "assignee": one({"type": "USER", "code": "suzuki"},
                                                       {"type": "USER", "code": "tanaka"})},
                "In progress": {"index": "1", "assignee": one({"type": "FIELD_ENTITY", "code": "assigned_to"})},
                "Resolved": {"index": "2", "assignee": one({"type": "CREATOR", "code": None})},
                "Closed": {"index": "3", "assignee": {"type": "ONE", "entities": []}},
            },
            "actions": [
                {"name": "Start work", "from": "Open", "to": "In progress"},
                {"name": "Resolve", "from": "In progress", "to": "Resolved"},
                {"name": "Reopen", "from": "Resolved", "to": "In progress", "type": "SECONDARY"},
                {"name": "Close", "from": "Resolved", "to": "Closed"},
            ],
        }
    )


def _views(*specs: tuple[str, list[str], str, str]) -> JsonDict:
    return {
        name: {"type": "LIST", "name": name, "id": str(6000000 + i), "index": str(i), "fields": fields,
               "filterCond": cond, "sort": sort}
        for i, (name, fields, cond, sort) in enumerate(specs)
    }


def demo_token(app: int, seed: int) -> str:
    """A stable 40-character token per demo app (same seed, same token: scripts can rely on it)."""
    return hashlib.sha256(f"kintone-mcp-sandbox-demo-token:{seed}:{app}".encode()).hexdigest()[:40]


def _install_app(
    conn: sqlite3.Connection,
    *,
    app_id: int,
    code: str,
    name: str,
    description: str,
    fields: list[JsonDict],
    views: JsonDict,
    process: JsonDict | None,
    now: str,
) -> None:
    settings = appdefs.new_app_settings(name, description)
    props = settings["properties"]
    for prop in fields:
        props[prop["code"]] = prop
    if process is not None:
        settings["status"] = process
        for prop in props.values():
            if prop["type"] in ("STATUS", "STATUS_ASSIGNEE"):
                prop["enabled"] = bool(process["enable"])
    settings["layout"] = appdefs.build_layout(props)
    settings["views"] = views
    text = json.dumps(settings)
    conn.execute(
        "INSERT INTO apps(id, code, name, description, created_at, creator, modified_at, modifier, live, preview,"
        " live_revision, preview_revision, deploy_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 2, 2, 'SUCCESS')",
        (app_id, code, name, description, now, ADMIN_LOGIN, now, ADMIN_LOGIN, text, text),
    )


def seed(sandbox: Sandbox, conn: sqlite3.Connection) -> None:
    """Fill a fresh database with the demo directory, apps, tokens and records."""
    rng = random.Random(sandbox.config.seed)
    now = epoch_of(sandbox).strftime("%Y-%m-%dT%H:%M:00Z")
    for code, name in ORGANIZATIONS:
        directory.add_organization(conn, code, name)
    for login, name, org in USERS:
        directory.upsert_user(conn, login, DEFAULT_PASSWORD, name=name, now=now, primary_org=org,
                              email=f"{login}@example.com")
    everyone = [ADMIN_LOGIN] + [u[0] for u in USERS]
    for code, name, members in GROUPS:
        directory.add_group(conn, code, name, members if members is not None else everyone)
    sandbox.add_space("Sales team", conn=conn)
    sandbox.add_space("Partner portal", guest=True, conn=conn)

    _install_app(
        conn, app_id=CUSTOMERS, code="CUSTOMERS", name="Customers", description="Companies we sell to.",
        fields=customer_fields(), process=None, now=now,
        views=_views(("All customers", ["customer_code", "company_name", "industry"], "", "customer_code asc"),
                     ("VIP", ["company_name", "account_manager"], 'tags in ("VIP")', "company_name asc")),
    )
    _install_app(
        conn, app_id=DEALS, code="DEALS", name="Deals", description="Sales pipeline with line items.",
        fields=deal_fields(), process=None, now=now,
        views=_views(("Pipeline", ["title", "customer_name", "stage", "amount", "close_date"],
                      'stage not in ("Won", "Lost")', "close_date asc"),
                     ("Won deals", ["title", "amount", "owner"], 'stage in ("Won")', "amount desc")),
    )
    _install_app(
        conn, app_id=TICKETS, code="TICKETS", name="Support tickets", description="Customer support requests.",
        fields=ticket_fields(), process=ticket_process(), now=now,
        views=_views(("Open tickets", ["subject", "priority", "Status", "Assignee"],
                      'Status not in ("Closed")', "reported_at desc"),),
    )
    for app in (CUSTOMERS, DEALS, TICKETS):
        sandbox.add_api_token(app, demo_token(app, sandbox.config.seed), demo=True, conn=conn)

    customers = _seed_customers(sandbox, conn, rng, 120)
    _seed_deals(sandbox, conn, rng, customers, max(sandbox.config.demo_records, 0))
    _seed_tickets(sandbox, conn, rng, customers, 200)
    for app in (CUSTOMERS, DEALS, TICKETS):
        info = appstore.load_app(conn, app)
        assert info is not None
        appstore.create_indexes(conn, info)
    from kintone_mcp.sandbox.demo import guest  # app 4 PARTNER, in the guest space above

    guest.seed_partner_app(sandbox, conn)
    # Statistics let SQLite's planner skip an index when a range covers most of the table.
    conn.execute("ANALYZE")


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:00Z")


def _insert(conn: sqlite3.Connection, app: int, rows: list[tuple[Any, ...]]) -> None:
    conn.executemany(
        "INSERT INTO records(app, id, revision, creator, created_at, modifier, updated_at, status, assignees, data)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(app, *row) for row in rows],
    )
    conn.execute("UPDATE apps SET next_record_id = ? WHERE id = ?", (len(rows) + 1, app))


def _seed_customers(sandbox: Sandbox, conn: sqlite3.Connection, rng: random.Random, count: int) -> list[
        tuple[str, str]]:
    epoch = epoch_of(sandbox)
    rows = []
    customers = []
    sales = [u for u, _, org in USERS if org == "sales"]
    for i in range(1, count + 1):
        code = f"C-{i:04d}"
        name = f"{rng.choice(_COMPANIES)} {rng.choice(_SUFFIXES)} {i}"
        customers.append((code, name))
        created = epoch + timedelta(minutes=i * 37)
        data = {
            "customer_code": code,
            "company_name": name,
            "industry": rng.choice(_INDUSTRIES),
            "region": rng.choice(("East", "West", "Overseas")),
            "contact_name": f"{rng.choice(('Ito', 'Kato', 'Yamada', 'Sasaki', 'Yamamoto'))} "
                            f"{rng.choice(('Aoi', 'Riku', 'Mei', 'Kaito', 'Hina'))}",
            "email": f"contact{i}@example.com",
            "employees": str(rng.choice((5, 12, 40, 85, 150, 400, 1200, 5000))),
            "customer_since": (date(2015, 1, 1) + timedelta(days=rng.randrange(3650))).isoformat(),
            "tags": sorted(rng.sample(["VIP", "Partner", "Newsletter"], rng.randrange(3)),
                           key=["VIP", "Partner", "Newsletter"].index),
            "account_manager": [rng.choice(sales)],
            "notes": "",
        }
        rows.append((i, 1, ADMIN_LOGIN, _stamp(created), ADMIN_LOGIN, _stamp(created), None, "[]",
                     json.dumps(data, ensure_ascii=False)))
    _insert(conn, CUSTOMERS, rows)
    return customers


def _seed_deals(sandbox: Sandbox, conn: sqlite3.Connection, rng: random.Random, customers: list[tuple[str, str]],
                count: int) -> None:
    epoch = epoch_of(sandbox)
    owners = [u for u, _, _ in USERS]
    orgs = {u: org for u, _, org in USERS}
    first_row = sandbox.store.reserve_counter(conn, "subtable_row", count * 3 + 1)
    row_id = first_row
    rows = []
    span_minutes = 365 * 24 * 60
    for i in range(1, count + 1):
        code, name = customers[rng.randrange(len(customers))]
        owner = rng.choice(owners)
        items = []
        total = Decimal(0)
        for _ in range(rng.randint(1, 3)):
            product, price = _PRODUCTS[rng.randrange(len(_PRODUCTS))]
            qty = rng.randint(1, 20)
            subtotal = price * qty
            total += subtotal
            items.append({"id": str(row_id), "value": {"product": product, "quantity": str(qty),
                                                        "unit_price": str(price), "subtotal": str(subtotal)}})
            row_id += 1
        created = epoch + timedelta(minutes=(i * span_minutes) // max(count, 1))
        stage = _STAGES[rng.randrange(len(_STAGES))]
        data = {
            "title": f"{rng.choice(('Renewal', 'Expansion', 'New', 'Pilot', 'Upgrade'))} - {name}",
            "customer_code": code,
            "customer_name": name,
            "stage": stage,
            "owner": [owner],
            "department": [orgs[owner]],
            "close_date": (created.date() + timedelta(days=rng.randint(7, 120))).isoformat(),
            "next_contact": _stamp(created + timedelta(days=rng.randint(1, 14), hours=rng.randint(0, 8))),
            "probability": str({"Lead": 10, "Qualified": 25, "Proposal": 50, "Negotiation": 75, "Won": 100,
                                "Lost": 0}[stage]),
            "line_items": items,
            "total": str(total),
            "amount": str(total),
            "notes": "",
        }
        revision = rng.randint(1, 4)
        modified = created + timedelta(hours=revision - 1)
        rows.append((i, revision, owner, _stamp(created), owner, _stamp(modified), None, "[]",
                     json.dumps(data, ensure_ascii=False)))
    _insert(conn, DEALS, rows)


def _seed_tickets(sandbox: Sandbox, conn: sqlite3.Connection, rng: random.Random, customers: list[tuple[str, str]],
                  count: int) -> None:
    epoch = epoch_of(sandbox)
    agents = ["suzuki", "tanaka"]
    reporters = [u for u, _, _ in USERS]
    rows = []
    states = ("Open", "In progress", "Resolved", "Closed")
    labels = ["frontend", "backend", "mobile", "docs"]
    for i in range(1, count + 1):
        code, name = customers[rng.randrange(len(customers))]
        creator = rng.choice(reporters)
        agent = rng.choice(agents)
        state = rng.choices(states, weights=(3, 3, 2, 4))[0]
        created = epoch + timedelta(hours=i * 11)
        assignees = {"Open": agents, "In progress": [agent], "Resolved": [creator], "Closed": []}[state]
        data = {
            "subject": rng.choice(_TICKET_SUBJECTS),
            "description": f"Reported by {name}.",
            "priority": rng.choice(("Low", "Medium", "Medium", "High", "Urgent")),
            "category": rng.choice(("Bug", "Question", "Feature request", "Billing")),
            "labels": sorted(rng.sample(labels, rng.randrange(3)), key=labels.index),
            "customer_code": code,
            "customer_name": name,
            "reported_at": _stamp(created),
            "due_date": (created.date() + timedelta(days=rng.randint(1, 30))).isoformat(),
            "due_time": f"{rng.randint(9, 18):02d}:{rng.choice((0, 30)):02d}",
            "assigned_to": [] if state == "Open" else [agent],
            "escalation": ["managers"] if rng.random() < 0.1 else [],
        }
        # Each status action adds 2 to the revision (the status change and the action).
        revision = 1 + 2 * states.index(state)
        modified = created + timedelta(hours=states.index(state) * 5)
        rows.append((i, revision, creator, _stamp(created), agent if state != "Open" else creator,
                     _stamp(modified), state, json.dumps(assignees), json.dumps(data, ensure_ascii=False)))
    _insert(conn, TICKETS, rows)
