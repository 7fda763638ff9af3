"""Deterministic demo data: users, organisations, groups, spaces and three related apps.

App 1 Customers (CUSTOMERS), app 2 Deals (DEALS: lookup to Customers, a line-item table with a CALC subtotal,
an owner user field, dates, a stage drop-down, an amount), app 3 Support tickets (TICKETS: process management),
app 4 Partner requests (PARTNER) in guest space 2 "Partner portal" (``guest``), and app 5 Contracts (CONTRACTS:
FILE fields with attached documents, ``contracts``).
Records come from a seeded RNG so every run gives the same data, and are written with one ``executemany`` per
app so that ``demo_records=100_000`` takes seconds.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import sqlite3
from datetime import date, timedelta
from decimal import Decimal

from kintone_mcp.sandbox.access import apitokens
from kintone_mcp.sandbox.access.apitokens import TOKEN_PERMISSIONS
from kintone_mcp.sandbox.demo import contracts, guest
from kintone_mcp.sandbox.demo import spaces as demo_spaces
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
from kintone_mcp.sandbox.store import appdefs, appstore, database, directory, spaces
from kintone_mcp.sandbox.store.appdefs import JsonDict
from kintone_mcp.sandbox.store.directory import ADMIN_LOGIN, DEFAULT_PASSWORD

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

#: How long the demo's deals and tickets were being created: they run from the demo start to start + SPAN.
SPAN = timedelta(days=365)
#: Every this-many-th ticket is worked by the Administrator, the login of `serve --sandbox`, so that "my tickets"
#: (``Assignee in (LOGINUSER())``, ``assigned_to in (LOGINUSER())``) has answers.
ADMIN_TICKET_EVERY = 5


def recent_start(today: date) -> date:
    """A demo start that makes the data current: exactly ``SPAN`` before ``today``, so the newest deal and ticket are
    from today, deals close up to four months ahead, and "this month", "overdue" and "the last 3 days" find records.
    (It used to be the Monday before that, which left up to six days without a record.)"""
    return today - SPAN

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
        field_def("customer_code", "SINGLE_LINE_TEXT", "Customer code", required=True, unique=True, maxLength="16"),
        field_def("company_name", "SINGLE_LINE_TEXT", "Company name", required=True, maxLength="100"),
        field_def("industry", "DROP_DOWN", "Industry", options=options_of(_INDUSTRIES)),
        field_def("region", "RADIO_BUTTON", "Region", options=options_of(("East", "West", "Overseas")),
                  defaultValue="East"),
        field_def("contact_name", "SINGLE_LINE_TEXT", "Contact"),
        field_def("email", "LINK", "Email", protocol="MAIL"),
        field_def("employees", "NUMBER", "Employees", minValue="0"),
        field_def("customer_since", "DATE", "Customer since"),
        field_def("tags", "CHECK_BOX", "Tags", options=options_of(("VIP", "Partner", "Newsletter"))),
        field_def("account_manager", "USER_SELECT", "Account manager"),
        field_def("notes", "MULTI_LINE_TEXT", "Notes"),
    ]


def deal_fields() -> list[JsonDict]:
    return [
        field_def("title", "SINGLE_LINE_TEXT", "Deal", required=True, maxLength="120"),
        field_def("customer_code", "SINGLE_LINE_TEXT", "Customer code", lookup=_customer_lookup("customer_name")),
        field_def("customer_name", "SINGLE_LINE_TEXT", "Customer name"),
        field_def("stage", "DROP_DOWN", "Stage", options=options_of(_STAGES), defaultValue="Lead", required=True),
        field_def("owner", "USER_SELECT", "Owner",
                  defaultValue=[{"code": "LOGINUSER()", "type": "FUNCTION"}]),
        field_def("department", "ORGANIZATION_SELECT", "Department"),
        field_def("close_date", "DATE", "Expected close date"),
        field_def("next_contact", "DATETIME", "Next contact"),
        field_def("probability", "NUMBER", "Probability", minValue="0", maxValue="100", unit="%",
                  unitPosition="AFTER"),
        field_def(
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
        field_def("total", "CALC", "Total of line items", expression="SUM(subtotal)", unit="$"),
        field_def("amount", "NUMBER", "Amount", unit="$"),
        field_def("notes", "MULTI_LINE_TEXT", "Notes"),
    ]


def ticket_fields() -> list[JsonDict]:
    return [
        field_def("subject", "SINGLE_LINE_TEXT", "Subject", required=True, maxLength="200"),
        field_def("description", "MULTI_LINE_TEXT", "Description"),
        field_def("priority", "RADIO_BUTTON", "Priority", options=options_of(("Low", "Medium", "High", "Urgent")),
                  defaultValue="Medium"),
        field_def("category", "DROP_DOWN", "Category", options=options_of(("Bug", "Question", "Feature request",
                                                                            "Billing"))),
        field_def("labels", "MULTI_SELECT", "Labels", options=options_of(("frontend", "backend", "mobile", "docs"))),
        field_def("customer_code", "SINGLE_LINE_TEXT", "Customer code", lookup=_customer_lookup("customer_name")),
        field_def("customer_name", "SINGLE_LINE_TEXT", "Customer name"),
        field_def("reported_at", "DATETIME", "Reported at", defaultNowValue=True),
        field_def("due_date", "DATE", "Due date"),
        field_def("due_time", "TIME", "Due time"),
        field_def("assigned_to", "USER_SELECT", "Assigned to"),
        field_def("escalation", "GROUP_SELECT", "Escalate to"),
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


def demo_token(app: int, seed: int) -> str:
    """A stable 40-character token per demo app (same seed, same token: scripts can rely on it)."""
    return hashlib.sha256(f"kintone-mcp-sandbox-demo-token:{seed}:{app}".encode()).hexdigest()[:40]


def seed(conn: sqlite3.Connection, config: SandboxConfig) -> None:
    """Fill a fresh database with the demo directory, apps, tokens and records."""
    rng = random.Random(config.seed)
    now = epoch_of(config).strftime("%Y-%m-%dT%H:%M:00Z")
    for code, name in ORGANIZATIONS:
        directory.add_organization(conn, code, name)
    for login, name, org in USERS:
        directory.upsert_user(conn, login, DEFAULT_PASSWORD, name=name, now=now, primary_org=org,
                              email=f"{login}@example.com")
    everyone = [ADMIN_LOGIN] + [u[0] for u in USERS]
    for code, name, members in GROUPS:
        directory.add_group(conn, code, name, members if members is not None else everyone)
    spaces.add_space(conn, "Sales team", now=now)
    spaces.add_space(conn, "Partner portal", guest=True, now=now)

    install_app(
        conn, app_id=CUSTOMERS, code="CUSTOMERS", name="Customers", description="Companies we sell to.",
        fields=customer_fields(), process=None, now=now,
        views=list_views(("All customers", ["customer_code", "company_name", "industry"], "", "customer_code asc"),
                         ("VIP", ["company_name", "account_manager"], 'tags in ("VIP")', "company_name asc")),
    )
    install_app(
        conn, app_id=DEALS, code="DEALS", name="Deals", description="Sales pipeline with line items.",
        fields=deal_fields(), process=None, now=now,
        views=list_views(("Pipeline", ["title", "customer_name", "stage", "amount", "close_date"],
                          'stage not in ("Won", "Lost")', "close_date asc"),
                         ("Won deals", ["title", "amount", "owner"], 'stage in ("Won")', "amount desc")),
    )
    install_app(
        conn, app_id=TICKETS, code="TICKETS", name="Support tickets", description="Customer support requests.",
        fields=ticket_fields(), process=ticket_process(), now=now,
        views=list_views(("Open tickets", ["subject", "priority", "Status", "Assignee"],
                          'Status not in ("Closed")', "reported_at desc"),),
    )
    for app in (CUSTOMERS, DEALS, TICKETS, contracts.CONTRACTS):
        apitokens.add(conn, app, demo_token(app, config.seed), TOKEN_PERMISSIONS, demo=True)

    customers = _seed_customers(config, conn, rng, 120)
    _seed_deals(config, conn, rng, customers, max(config.demo_records, 0))
    _seed_tickets(config, conn, rng, customers, 200)
    for app in (CUSTOMERS, DEALS, TICKETS):
        info = appstore.load_app(conn, app)
        assert info is not None
        appstore.create_indexes(conn, info)
    guest.seed_partner_app(conn, config)  # app 4 PARTNER, in the guest space above
    contracts.seed_contracts_app(conn, config, _customer_lookup("customer_name"), customers)  # app 5, with files
    demo_spaces.seed_spaces(conn, config)  # the Sales space's threads, the private Board room, a space template
    # Statistics let SQLite's planner skip an index when a range covers most of the table.
    conn.execute("ANALYZE")


def _seed_customers(config: SandboxConfig, conn: sqlite3.Connection, rng: random.Random, count: int) -> list[
        tuple[str, str]]:
    epoch = epoch_of(config)
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
        rows.append((i, 1, ADMIN_LOGIN, stamp(created), ADMIN_LOGIN, stamp(created), None, "[]",
                     json.dumps(data, ensure_ascii=False)))
    insert_records(conn, CUSTOMERS, rows)
    return customers


def _seed_deals(config: SandboxConfig, conn: sqlite3.Connection, rng: random.Random, customers: list[tuple[str, str]],
                count: int) -> None:
    epoch = epoch_of(config)
    owners = [u for u, _, _ in USERS]
    orgs = {u: org for u, _, org in USERS}
    first_row = database.reserve_counter(conn, "subtable_row", count * 3 + 1)
    row_id = first_row
    rows = []
    span_minutes = int(SPAN.total_seconds()) // 60
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
            "next_contact": stamp(created + timedelta(days=rng.randint(1, 14), hours=rng.randint(0, 8))),
            "probability": str({"Lead": 10, "Qualified": 25, "Proposal": 50, "Negotiation": 75, "Won": 100,
                                "Lost": 0}[stage]),
            "line_items": items,
            "total": str(total),
            "amount": str(total),
            "notes": "",
        }
        revision = rng.randint(1, 4)
        modified = created + timedelta(hours=revision - 1)
        rows.append((i, revision, owner, stamp(created), owner, stamp(modified), None, "[]",
                     json.dumps(data, ensure_ascii=False)))
    insert_records(conn, DEALS, rows)


def _seed_tickets(config: SandboxConfig, conn: sqlite3.Connection, rng: random.Random, customers: list[tuple[str, str]],
                  count: int) -> None:
    epoch = epoch_of(config)
    agents = ["suzuki", "tanaka"]
    reporters = [u for u, _, _ in USERS]
    rows = []
    states = ("Open", "In progress", "Resolved", "Closed")
    labels = ["frontend", "backend", "mobile", "docs"]
    span_minutes = int(SPAN.total_seconds()) // 60
    for i in range(1, count + 1):
        code, name = customers[rng.randrange(len(customers))]
        creator = rng.choice(reporters)
        agent = rng.choice(agents)
        # After the draw, so the RNG sequence (and every other value of every ticket) is what it was before.
        if i % ADMIN_TICKET_EVERY == 0:
            agent = ADMIN_LOGIN
        state = rng.choices(states, weights=(3, 3, 2, 4))[0]
        # Over the same year as the deals, the newest on its last day (today from the command line), growing with
        # the customer base: the square root puts a sixth of the tickets in the last month and a few in the last
        # three days, so "recent" and "overdue" questions have answers of a useful size.
        created = epoch + timedelta(minutes=math.isqrt(i * span_minutes * span_minutes // max(count, 1)))
        assignees = {"Open": agents, "In progress": [agent], "Resolved": [creator], "Closed": []}[state]
        data = {
            "subject": rng.choice(_TICKET_SUBJECTS),
            "description": f"Reported by {name}.",
            "priority": rng.choice(("Low", "Medium", "Medium", "High", "Urgent")),
            "category": rng.choice(("Bug", "Question", "Feature request", "Billing")),
            "labels": sorted(rng.sample(labels, rng.randrange(3)), key=labels.index),
            "customer_code": code,
            "customer_name": name,
            "reported_at": stamp(created),
            "due_date": (created.date() + timedelta(days=rng.randint(1, 30))).isoformat(),
            "due_time": f"{rng.randint(9, 18):02d}:{rng.choice((0, 30)):02d}",
            "assigned_to": [] if state == "Open" else [agent],
            "escalation": ["managers"] if rng.random() < 0.1 else [],
        }
        # Each status action adds 2 to the revision (the status change and the action).
        revision = 1 + 2 * states.index(state)
        modified = created + timedelta(hours=states.index(state) * 5)
        rows.append((i, revision, creator, stamp(created), agent if state != "Open" else creator,
                     stamp(modified), state, json.dumps(assignees), json.dumps(data, ensure_ascii=False)))
    insert_records(conn, TICKETS, rows)
