"""Demo data: the users, organizations, groups, spaces and apps (Customers, Deals, Support tickets, Contracts with
attached files, and a guest-space app) a fresh ``--demo`` sandbox starts with, generated from a seed so that the same
seed gives the same records. ``builders`` holds what the apps are built with; ``seed``, ``guest`` and ``contracts``
write them; ``overview`` reads back what a sandbox holds, for the start-up banners.
"""

from kintone_mcp.sandbox.demo.overview import AppOverview, app_overview
from kintone_mcp.sandbox.demo.seed import recent_start

__all__ = ["AppOverview", "app_overview", "recent_start"]
