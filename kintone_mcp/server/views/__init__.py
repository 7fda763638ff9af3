"""MCP Apps views (``io.modelcontextprotocol/ui``): the ``ui://`` pages that hosts rendering MCP Apps show a tool's
answer with: a records table for get_records and a chart for aggregate_records (docs/mcp-apps.md).

A tool names its view in its ``SPEC`` (``ui=``); the server then stamps ``_meta.ui.resourceUri`` on the tool and
serves the page (``pages``). Only these names are here, so that a tool module importing one loads nothing else.
"""

RECORDS_VIEW = "ui://kintone/records"
CHART_VIEW = "ui://kintone/chart"

__all__ = ["CHART_VIEW", "RECORDS_VIEW"]
