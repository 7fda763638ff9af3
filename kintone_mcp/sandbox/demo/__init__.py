"""Demo data: the users, organizations, groups, spaces and apps a fresh ``--demo`` sandbox starts with, generated
from a seed so that the same seed gives the same records.
"""

from kintone_mcp.sandbox.demo.seed import recent_start

__all__ = ["recent_start"]
