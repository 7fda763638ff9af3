"""Checking the connection: the ``test_connection`` tool and the report it shares with ``kintone-mcp check``."""
