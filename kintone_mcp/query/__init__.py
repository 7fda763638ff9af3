"""Kintone's record query language: parse it, print it, build it safely, and check it against an app's fields."""

from kintone_mcp.query.errors import QuerySyntaxError
from kintone_mcp.query.parser import parse

__all__ = ["QuerySyntaxError", "parse"]
