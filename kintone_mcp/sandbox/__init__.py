"""A Kintone-compatible server (Starlette + SQLite) for demos, tests and benchmarks.

``Sandbox(SandboxConfig(...)).asgi_app`` is the ASGI app; ``serve_in_thread`` serves it on a loopback socket.

Inside, data flows one way: ``sandbox`` (the ``Sandbox`` object, which wires everything) and ``serving`` on top;
then ``demo`` and ``endpoints`` (one module per Kintone API family); ``http`` (routing, parameters, uploads, responses
and the request context handlers get); ``options`` (``SandboxConfig``); ``records`` (record logic); ``access``
(who is calling and what they may do); ``store`` (everything that runs SQL); ``operations`` (the ASGI wrapper:
limits, faults); and at the bottom ``errors`` and ``messages``, which every layer may use.
"""

from kintone_mcp.sandbox.options import ApiTokenSpec, SandboxConfig, UserApiTokenSpec, UserSpec
from kintone_mcp.sandbox.sandbox import Sandbox
from kintone_mcp.sandbox.serving import serve_in_thread

__all__ = ["ApiTokenSpec", "Sandbox", "SandboxConfig", "UserApiTokenSpec", "UserSpec", "serve_in_thread"]
