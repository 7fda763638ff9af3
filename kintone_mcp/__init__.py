"""kintone-mcp: an MCP server and typed async client for Kintone, with a Kintone-compatible sandbox."""

# The one place the version is written: pyproject.toml reads it from here ([tool.hatch.version]), and the manifests
# are checked against it. A literal rather than importlib.metadata, which costs the server ~30 ms at every start.
__version__ = "0.1.0"

__all__ = ["__version__"]
