"""A Kintone-compatible server (Starlette + SQLite) for demos, tests and benchmarks.

``Sandbox(SandboxConfig(...)).asgi_app`` is the ASGI app; ``testing.serve_in_thread`` serves it on a socket.
"""

from kintone_mcp.sandbox.options import ApiTokenSpec, SandboxConfig, UserApiTokenSpec, UserSpec
from kintone_mcp.sandbox.sandbox import Sandbox

__all__ = ["ApiTokenSpec", "Sandbox", "SandboxConfig", "UserApiTokenSpec", "UserSpec"]
