"""Kintone's record query language: parse it, print it, build it safely, and check it against an app's fields."""

from kintone_mcp.query.errors import QuerySyntaxError
from kintone_mcp.query.parser import parse
from kintone_mcp.query.printer import quote, strip_positions, to_text

__all__ = ["QuerySyntaxError", "parse", "quote", "strip_positions", "to_text"]
