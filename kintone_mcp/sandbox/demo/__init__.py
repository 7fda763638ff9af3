"""Demo data: the users, organizations, groups, spaces and apps (Customers, Deals, Support tickets and a guest-space
app) a fresh ``--demo`` sandbox starts with, generated from a seed so that the same seed gives the same records.
``builders`` holds what the apps are built with; ``seed`` and ``guest`` write them.
"""

from kintone_mcp.sandbox.demo.seed import recent_start

__all__ = ["recent_start"]
