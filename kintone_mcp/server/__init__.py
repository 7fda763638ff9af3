"""The MCP server: tools (``tools/``, one module per group), the compact record format (``compact``,
``record_input``), the safety policy (``policy``), lean schemas (``schema_slim``), the server object (``app``),
transports (``launch``, ``http``) and the ``serve`` / ``check`` commands (``cli_serve``, ``cli_check``).

Nothing is imported here, so that ``kintone-mcp`` loads only what the chosen command needs.
"""
