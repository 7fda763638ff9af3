"""The MCP server: tools (``tools/``, one module per tool, grouped by family), the compact record format
(``compact``, ``record_input``), the safety policy (``policy``), lean schemas (``schema_slim``), the server object
(``app``) and transports (``launch``, ``http``). The ``serve`` and ``check`` commands that start it live in
``kintone_mcp.commands``.

Nothing is imported here, so that ``kintone-mcp`` loads only what the chosen command needs.
"""
