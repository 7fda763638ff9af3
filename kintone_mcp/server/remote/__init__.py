"""The remote multi-user mode: ``kintone-mcp serve --transport http --auth kintone-oauth`` (docs/remote.md).

``sealing`` (JWE values with key ids), ``provider`` (the OAuth authorization server over the SDK's handlers,
federating to Kintone), ``cimd`` (Client ID Metadata Documents, fenced), ``requests`` (per-request user state and
narrowing headers), ``app`` (the ASGI app, stateless Streamable HTTP), ``launch`` (from settings).
"""
