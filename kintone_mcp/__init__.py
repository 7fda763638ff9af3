"""kintone-mcp: an MCP server and typed async client for Kintone, with a Kintone-compatible sandbox."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kintone-mcp")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
